// coveralls-upload: werker's uploader for the goveralls step when the box has no goveralls
// binary (docs/wercker-compat.md §7.3). It reads a Go cover profile, turns it into Coveralls'
// job format (one coverage entry per source line: null for lines without statements, else the
// hit count) and POSTs it to <endpoint>/api/v1/jobs as the multipart field `json_file`, the
// request Coveralls' API documents. Only the standard library is used, so it builds offline.
//
// Usage: coveralls-upload -coverprofile=profile.cov -service=wercker.com -endpoint=URL
// The repository token comes from COVERALLS_TOKEN (never a flag: flags are visible in ps).
package main

import (
	"bufio"
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

type sourceFile struct {
	Name         string `json:"name"`
	SourceDigest string `json:"source_digest"`
	Coverage     []*int `json:"coverage"`
}

type gitHead struct {
	ID             string `json:"id"`
	AuthorName     string `json:"author_name,omitempty"`
	AuthorEmail    string `json:"author_email,omitempty"`
	CommitterName  string `json:"committer_name,omitempty"`
	CommitterEmail string `json:"committer_email,omitempty"`
	Message        string `json:"message,omitempty"`
}

type gitInfo struct {
	Head   gitHead `json:"head"`
	Branch string  `json:"branch,omitempty"`
}

type job struct {
	RepoToken    string       `json:"repo_token,omitempty"`
	ServiceName  string       `json:"service_name"`
	ServiceJobID string       `json:"service_job_id,omitempty"`
	Git          *gitInfo     `json:"git,omitempty"`
	RunAt        string       `json:"run_at"`
	SourceFiles  []sourceFile `json:"source_files"`
}

// block is one line of a cover profile: file:startLine.startCol,endLine.endCol statements count.
type block struct {
	file               string
	startLine, endLine int
	statements, count  int
}

func main() {
	profile := flag.String("coverprofile", "profile.cov", "Go cover profile to upload")
	service := flag.String("service", "wercker.com", "CI service name sent to Coveralls")
	endpoint := flag.String("endpoint", "https://coveralls.io", "Coveralls endpoint")
	flag.Parse()
	blocks, err := readProfile(*profile)
	if err != nil {
		die("cannot read the cover profile %s: %v", *profile, err)
	}
	files, err := sourceFiles(blocks)
	if err != nil {
		die("%v", err)
	}
	j := job{
		RepoToken: os.Getenv("COVERALLS_TOKEN"), ServiceName: *service, ServiceJobID: firstEnv("WERCKER_RUN_ID", "WERCKER_BUILD_ID"),
		Git: readGit(), RunAt: time.Now().UTC().Format(time.RFC3339), SourceFiles: files,
	}
	if err := post(strings.TrimRight(*endpoint, "/")+"/api/v1/jobs", j); err != nil {
		die("%v", err)
	}
}

func die(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "coveralls-upload: "+format+"\n", args...)
	os.Exit(1)
}

func firstEnv(names ...string) string {
	for _, n := range names {
		if v := os.Getenv(n); v != "" {
			return v
		}
	}
	return ""
}

func readProfile(name string) ([]block, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var blocks []block
	scanner := bufio.NewScanner(f)
	for line := 1; scanner.Scan(); line++ {
		text := strings.TrimSpace(scanner.Text())
		if text == "" || strings.HasPrefix(text, "mode:") {
			continue
		}
		b, err := parseBlock(text)
		if err != nil {
			return nil, fmt.Errorf("line %d: %v", line, err)
		}
		blocks = append(blocks, b)
	}
	return blocks, scanner.Err()
}

func parseBlock(text string) (block, error) {
	colon := strings.LastIndex(text, ":")
	fields := strings.Fields(text[colon+1:])
	if colon < 0 || len(fields) != 3 {
		return block{}, fmt.Errorf("not a cover profile line: %q", text)
	}
	span := strings.Split(fields[0], ",")
	if len(span) != 2 {
		return block{}, fmt.Errorf("bad span in %q", text)
	}
	start, err1 := strconv.Atoi(strings.Split(span[0], ".")[0])
	end, err2 := strconv.Atoi(strings.Split(span[1], ".")[0])
	stmts, err3 := strconv.Atoi(fields[1])
	count, err4 := strconv.Atoi(fields[2])
	for _, err := range []error{err1, err2, err3, err4} {
		if err != nil {
			return block{}, fmt.Errorf("bad numbers in %q", text)
		}
	}
	return block{file: text[:colon], startLine: start, endLine: end, statements: stmts, count: count}, nil
}

// packageDirs maps import paths to directories for the packages below the current directory.
func packageDirs() map[string]string {
	dirs := map[string]string{}
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}} {{.Dir}}", "./...").Output()
	if err != nil {
		return dirs
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if parts := strings.SplitN(line, " ", 2); len(parts) == 2 {
			dirs[parts[0]] = parts[1]
		}
	}
	return dirs
}

func sourceFiles(blocks []block) ([]sourceFile, error) {
	dirs := packageDirs()
	cwd, _ := os.Getwd()
	byFile := map[string][]block{}
	for _, b := range blocks {
		byFile[b.file] = append(byFile[b.file], b)
	}
	names := make([]string, 0, len(byFile))
	for n := range byFile {
		names = append(names, n)
	}
	sort.Strings(names)
	files := []sourceFile{}
	for _, name := range names {
		path := name
		if dir, ok := dirs[filepath.Dir(name)]; ok {
			path = filepath.Join(dir, filepath.Base(name))
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("cannot read %s (from the cover profile's %s): %v", path, name, err)
		}
		rel, err := filepath.Rel(cwd, path)
		if err != nil || strings.HasPrefix(rel, "..") {
			rel = name
		}
		sum := md5.Sum(src)
		files = append(files, sourceFile{Name: filepath.ToSlash(rel), SourceDigest: hex.EncodeToString(sum[:]), Coverage: lineCoverage(src, byFile[name])})
	}
	return files, nil
}

// lineCoverage gives each line of src the highest count of the blocks with statements on it.
func lineCoverage(src []byte, blocks []block) []*int {
	lines := bytes.Count(src, []byte("\n"))
	if len(src) > 0 && src[len(src)-1] != '\n' {
		lines++
	}
	coverage := make([]*int, lines)
	for _, b := range blocks {
		if b.statements == 0 {
			continue
		}
		for l := b.startLine; l <= b.endLine && l <= lines; l++ {
			if coverage[l-1] == nil || *coverage[l-1] < b.count {
				c := b.count
				coverage[l-1] = &c
			}
		}
	}
	return coverage
}

func gitOutput(args ...string) string {
	out, err := exec.Command("git", args...).Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

func readGit() *gitInfo {
	info := &gitInfo{Branch: firstEnv("GIT_BRANCH", "WERCKER_GIT_BRANCH")}
	if line := gitOutput("log", "-1", "--format=%H%x00%an%x00%ae%x00%cn%x00%ce%x00%s"); line != "" {
		f := strings.Split(line, "\x00")
		if len(f) == 6 {
			info.Head = gitHead{ID: f[0], AuthorName: f[1], AuthorEmail: f[2], CommitterName: f[3], CommitterEmail: f[4], Message: f[5]}
		}
	}
	if info.Head.ID == "" {
		info.Head.ID = os.Getenv("WERCKER_GIT_COMMIT")
	}
	if info.Branch == "" {
		info.Branch = gitOutput("rev-parse", "--abbrev-ref", "HEAD")
	}
	if info.Head.ID == "" {
		return nil
	}
	return info
}

func post(url string, j job) error {
	payload, err := json.Marshal(j)
	if err != nil {
		return err
	}
	var body bytes.Buffer
	form := multipart.NewWriter(&body)
	part, err := form.CreateFormFile("json_file", "json_file")
	if err != nil {
		return err
	}
	part.Write(payload)
	form.Close()
	req, err := http.NewRequest(http.MethodPost, url, &body)
	if err != nil {
		return fmt.Errorf("bad endpoint %s: %v", url, err)
	}
	req.Header.Set("Content-Type", form.FormDataContentType())
	res, err := (&http.Client{Timeout: 60 * time.Second}).Do(req)
	if err != nil {
		return fmt.Errorf("POST %s: %v", url, err)
	}
	defer res.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	var reply struct {
		Message string `json:"message"`
		URL     string `json:"url"`
		Error   bool   `json:"error"`
	}
	_ = json.Unmarshal(answer, &reply)
	if res.StatusCode/100 != 2 || reply.Error {
		return fmt.Errorf("POST %s: %s: %s", url, res.Status, strings.TrimSpace(string(answer)))
	}
	fmt.Printf("%d source files uploaded to %s: %s\n", len(j.SourceFiles), url, reply.Message)
	if reply.URL != "" {
		fmt.Println("Job URL:", reply.URL)
	}
	return nil
}
