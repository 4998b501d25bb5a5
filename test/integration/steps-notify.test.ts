import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DockerRuntime } from '../../src/runtime/docker/client.ts';
import { runCli, type CliResult } from '../helpers/cli.ts';
import { repoRoot } from '../helpers/corpus.ts';
import { requireDocker } from '../helpers/docker.ts';
import { startGitHubApi, type GitHubApi } from '../helpers/github-api.ts';
import { startSmtpServer, type SmtpServer } from '../helpers/smtp.ts';
import { startSlackWebhook, type SlackMessage, type SlackWebhook } from '../helpers/slack-webhook.ts';
import { tempDirs } from '../helpers/temp-dirs.ts';

// werker's built-in notify and release packages (steps/slack-notifier, pretty-slack-notify,
// email-notify, github-create-release, github-upload-asset) on the real engine, run by
// `werker build` with --docker-network host so the box reaches servers on the host's loopback:
// a Slack incoming webhook, an SMTP server (smtp-server) and a GitHub REST API checked against
// GitHub's OpenAPI description (@octokit/openapi). Nothing leaves the machine.
const docker: DockerRuntime | undefined = await requireDocker();
const workDir = tempDirs('werker-notify');

const fixtureDir = (name: string): string => path.join(repoRoot, 'test/fixtures/steps', name);

/** What the hosted product told a run about its repository (werker takes them as flags). */
const GIT_FLAGS = ['--git-domain', 'github.com', '--git-owner', 'werker-test', '--git-repository', 'notify-app',
  '--git-branch', 'master', '--git-commit', '3f4c2a1b9d8e7f60a5b4c3d2e1f0a9b8c7d6e5f4'];

/** `werker build` of a fixture pipeline, on the host's network, with the given X_/XXX_ variables. */
async function build(fixture: string, pipeline: string, env: Record<string, string>, extra: string[] = []): Promise<CliResult & { out: string }> {
  const args = ['build', fixtureDir(fixture), '--pipeline', pipeline, '--working-dir', workDir(), '--docker-network', 'host',
    '--application-name', 'notify-app', '--application-owner-name', 'werker-test', ...GIT_FLAGS, ...extra];
  const r = await runCli(args, { env: { WERCKER_STARTED_BY: 'ada', ...env } });
  return { ...r, out: plain(r.stdout + r.stderr) };
}

/** Output without the colours of wercker-init's info/success/fail. */
const plain = (s: string): string => s.replace(/\x1b\[[0-9;]*m/g, '');

/** The one attachment of a message slack-notifier / pretty-slack-notify posted. */
const attachment = (m: SlackMessage): Record<string, unknown> => (m.payload.attachments as Record<string, unknown>[])[0]!;

describe('the shared helpers of the notify packages', () => {
  it('every package carries the same copy of lib/notify.sh and lib/post.py', () => {
    const packages = ['slack-notifier', 'pretty-slack-notify', 'github-create-release', 'github-upload-asset'];
    for (const file of ['notify.sh', 'post.py']) {
      const copies = packages.map((p) => readFileSync(path.join(repoRoot, 'steps', p, 'lib', file), 'utf8'));
      for (const [i, copy] of copies.entries()) expect(copy, `steps/${packages[i]}/lib/${file}`).toBe(copies[0]);
    }
    for (const p of packages) expect(readdirSync(path.join(repoRoot, 'steps', p, 'lib')).sort()).toEqual(['notify.sh', 'post.py']);
  });
});

describe.skipIf(!docker)('slack-notifier and pretty-slack-notify post to a Slack incoming webhook', () => {
  let slack: SlackWebhook;
  beforeAll(async () => {
    slack = await startSlackWebhook({ deploys: ['deploys', 'builds', 'archived'], gone: ['general'] });
  });
  afterAll(() => slack?.close());
  const env = () => ({ X_SLACK_URL: slack.url('deploys'), X_SLACK_GONE_URL: slack.url('gone') });
  const posted = (from: number) => slack.messages.slice(from);

  it('a passed build: each step posts what Slack accepts, notify_on: failed and another branch post nothing', async () => {
    const before = slack.messages.length;
    const r = await build('notify', 'slack-passed', env());
    expect(r.code, r.out).toBe(0);
    expect(slack.problems).toEqual([]);
    const msgs = posted(before);
    expect(msgs).toHaveLength(3);
    const [custom, onMaster, pretty] = msgs as [SlackMessage, SlackMessage, SlackMessage];
    // slack-notifier with channel, username and icon_url: JSON, the channel with its #.
    expect(custom.contentType).toBe('application/json');
    expect(custom.userAgent).toBe('werker-slack-notifier');
    expect(custom.payload).toMatchObject({ channel: '#builds', username: 'werker-bot', icon_url: 'https://icons.werker.test/ok.png' });
    expect(attachment(custom)).toMatchObject({ color: 'good', fallback: 'build for notify-app by ada has passed on branch master (3f4c2a1)' });
    expect(attachment(custom).text).toMatch(/^<https:\/\/app\.wercker\.com\/werker-test\/notify-app\/runs\/slack-passed\/[0-9a-f]{24}\|build> for notify-app by ada has passed on branch master \(<https:\/\/github\.com\/werker-test\/notify-app\/commit\/3f4c2a1b9d8e7f60a5b4c3d2e1f0a9b8c7d6e5f4\|3f4c2a1>\)$/);
    // The defaults: wercker's bot name and icon, the webhook's own channel.
    expect(onMaster.payload).not.toHaveProperty('channel');
    expect(onMaster.payload).toMatchObject({ username: 'werckerbot', icon_url: expect.stringMatching(/^https:\/\/secure\.gravatar\.com\/avatar\//) });
    // wantedly/pretty-slack-notify: links to the run, the app and the commit.
    expect(pretty.userAgent).toBe('werker-pretty-slack-notify');
    expect(pretty.payload).toMatchObject({ username: 'wercker_build' });
    expect(attachment(pretty)).toMatchObject({ color: 'good', fallback: 'build for werker-test/notify-app by ada has passed on master(3f4c2a1b)' });
    expect(attachment(pretty).text).toMatch(/^<\S+\|build> for <\S+#applications\/notify-app\|werker-test\/notify-app> by ada has passed on master\(<https:\/\/github\.com\/werker-test\/notify-app\/commit\/3f4c2a1b9d8e7f60a5b4c3d2e1f0a9b8c7d6e5f4\|3f4c2a1b>\)$/);
    expect(r.out).toContain('slack-notifier: the run passed and notify_on is failed: nothing posted');
    expect(r.out).toContain('slack-notifier: branch "master" is not "release": nothing posted');
    expect(r.out).toContain("Result 'passed' did not match notify condition 'failed': skipped to notify");
    expect(r.out).toContain('slack-notifier: posted "build for notify-app by ada has passed on branch master (3f4c2a1)" to Slack channel #builds (127.0.0.1:');
    // The webhook URL is a secret: only its host is printed.
    expect(r.out).not.toContain('/services/');
  });

  it('a failed build: notify_on: failed posts, in red, naming the failed step; the failure message is escaped for Slack', async () => {
    const before = slack.messages.length;
    const r = await build('notify', 'slack-failed', env());
    expect(r.code).toBe(1);
    expect(slack.problems).toEqual([]);
    const msgs = posted(before);
    expect(msgs).toHaveLength(2);
    const [notifier, pretty] = msgs as [SlackMessage, SlackMessage];
    expect(notifier.payload).toMatchObject({ channel: '#builds' });
    expect(attachment(notifier)).toMatchObject({ color: 'danger', fallback: 'build for notify-app by ada has failed on branch master (3f4c2a1) at step: unit tests' });
    expect(attachment(notifier).text).toMatch(/ at step: unit tests$/);
    expect(r.out).toContain("Result 'failed' did not match notify condition 'passed': skipped to notify");
    expect(pretty.payload).toMatchObject({ channel: '#builds', username: 'Wercker' });
    expect(attachment(pretty)).toMatchObject({ color: 'danger' });
    expect(attachment(pretty).text).toMatch(/^Build broke :boom: &lt;@oncall&gt; &amp; friends\n<\S+\|build> for .* has failed on master\(<\S+\|3f4c2a1b>\) at step unit tests$/);
  });

  it('busybox (wget) and a box with only python post too; branches is a regular expression', async () => {
    const before = slack.messages.length;
    const [busybox, python] = await Promise.all([build('notify', 'pretty-busybox', env()), build('notify', 'python-only', env())]);
    expect(busybox.code, busybox.out).toBe(0);
    expect(python.code, python.out).toBe(0);
    expect(slack.problems).toEqual([]);
    const msgs = posted(before);
    expect(msgs).toHaveLength(3);
    for (const m of msgs) expect(m.contentType).toBe('application/json');
    const yay = msgs.find((m) => m.payload.channel === '#builds')!;
    expect(attachment(yay).text).toMatch(/^yay :smile:\n<\S+\|build> for <\S+\|werker-test\/notify-app> by ada has passed on master/);
    expect(busybox.out).toContain("'master' branch did not match notify branches /^release$/: skipped to notify");
    expect(msgs.find((m) => m.payload.username === 'busybox-bot')).toBeDefined();
    expect(msgs.find((m) => m.payload.username === 'python-bot')).toBeDefined();
  });

  it('Slack refusing the message, an empty url or no HTTP client fail the after-step clearly; the build keeps its result', async () => {
    const [gone, channel, empty, noClient] = await Promise.all([
      build('notify', 'slack-refused', env()),
      build('notify', 'slack-unknown-channel', env()),
      build('notify', 'slack-empty-url', env()),
      build('notify', 'slack-no-http-client', env()),
    ]);
    for (const r of [gone, channel, empty, noClient]) expect(r.code, r.out).toBe(0);
    expect(gone.out).toMatch(/After-step failed: slack-notifier[\s\S]*slack-notifier: Slack \(127\.0\.0\.1:\d+\) refused the message: HTTP 404 no_service; the webhook URL is wrong or the webhook was removed/);
    expect(channel.out).toMatch(/pretty-slack-notify: Slack \(127\.0\.0\.1:\d+\) refused the message: HTTP 404 channel_not_found; the channel "#nowhere" does not exist/);
    expect(empty.out).toContain('slack-notifier: url is empty; give the Slack incoming webhook URL');
    expect(noClient.out).toContain('slack-notifier: could not reach the Slack webhook at 127.0.0.1:');
    expect(noClient.out).toContain('this box has none of curl, wget and python to make HTTP requests with');
    expect(gone.out + channel.out).not.toContain('/services/');
    slack.problems.length = 0;
  });

  it('slack-notifier without url is refused before anything runs', async () => {
    const r = await build('notify', 'slack-missing-url', env());
    expect(r.code).toBe(1);
    expect(r.out).toContain('step "slack-notifier" needs "url" (required by its step.yml)');
  });
});

describe.skipIf(!docker)('github-create-release and github-upload-asset against a GitHub API checked by its OpenAPI description', () => {
  const token = 'ghp_werkerTestToken0123456789abcdef';
  let github: GitHubApi;
  beforeAll(async () => {
    github = await startGitHubApi({ token, repos: ['werker-test/notify-app', 'werker-test/other-app'] });
  });
  afterAll(() => github?.close());
  const env = () => ({ X_WERKER_GITHUB_API_URL: github.apiUrl, X_WERKER_GITHUB_UPLOADS_URL: github.uploadsUrl, XXX_GITHUB_TOKEN: token });
  const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

  it('creates the release and uploads two assets to it with the exported id (curl)', async () => {
    const r = await build('release', 'release', env());
    expect(r.code, r.out).toBe(0);
    expect(github.problems).toEqual([]);
    const release = github.releases.find((x) => x.request.tag_name === 'v1.2.3')!;
    expect(release.repo).toBe('werker-test/notify-app');
    // Every value JSON-escaped, target_commitish from the run's commit, prerelease a boolean.
    expect(release.request).toEqual({
      tag_name: 'v1.2.3', target_commitish: '3f4c2a1b9d8e7f60a5b4c3d2e1f0a9b8c7d6e5f4', name: 'werker "1.2.3"',
      body: 'First line\nSecond line with a "quote" & a \\ backslash', prerelease: true,
    });
    const create = github.requests.find((q) => q.operationId === 'repos/create-release')!;
    expect(create.headers).toMatchObject({ authorization: `token ${token}`, accept: 'application/vnd.github+json', 'user-agent': 'werker-github-create-release' });
    // The archive went up whole, typed by its extension (no `file` in this box), named after the file.
    const [archive, notes] = release.assets;
    expect(archive!.name).toBe('werker-app-1.2.3.tar.gz');
    expect(archive!.contentType).toBe('application/gzip');
    expect(r.out).toContain(`archive sha256: ${sha256(archive!.data)}`);
    expect(notes).toMatchObject({ name: 'release notes (1.2.3).md', contentType: 'text/markdown' });
    expect(notes!.data.toString()).toBe('# werker-app 1.2.3\n\n- first release\n');
    const upload = github.requests.find((q) => q.operationId === 'repos/upload-release-asset')!;
    expect(upload.path).toBe(`/repos/werker-test/notify-app/releases/${release.id}/assets`);
    expect(upload.headers['user-agent']).toBe('werker-github-upload-asset');
    expect(r.out).toContain(`exporting release id (${release.id}) to environment variable: $WERCKER_GITHUB_CREATE_RELEASE_ID`);
    expect(r.out).toContain(`release ${release.id}, archive ${archive!.id}, notes ${notes!.id}`);
    expect(r.out).toContain('github-create-release: created the release v1.2.3 of werker-test/notify-app: https://github.com/werker-test/notify-app/releases/tag/v1.2.3');
    expect(r.out).not.toContain(token);
  });

  it('busybox (wget) and a box with only python create releases and upload binary assets', async () => {
    const [busybox, python] = await Promise.all([build('release', 'release-busybox', env()), build('release', 'release-python', env())]);
    expect(busybox.code, busybox.out).toBe(0);
    expect(python.code, python.out).toBe(0);
    expect(github.problems).toEqual([]);
    const rc = github.releases.find((x) => x.request.tag_name === 'v2.0.0-rc.1')!;
    expect(rc.repo).toBe('werker-test/other-app');
    expect(rc.request).toEqual({ tag_name: 'v2.0.0-rc.1', target_commitish: 'release-2.0', draft: true });
    expect(rc.assets[0]).toMatchObject({ name: 'werker-app.zip', contentType: 'application/zip' });
    expect(busybox.out).toContain(`zip sha256: ${sha256(rc.assets[0]!.data)}`);
    expect(busybox.out).toContain(`release ${rc.id}, zip ${rc.assets[0]!.id}`);
    const v3 = github.releases.find((x) => x.request.tag_name === 'v3.0.0')!;
    expect(v3.assets[0]).toMatchObject({ name: 'werker-app.bin', contentType: 'application/octet-stream' });
    expect([...v3.assets[0]!.data]).toEqual([0, 1, 2, 255, ...Buffer.from('binary')]);
  });

  it('GitHub refusing, a missing tag, file or release id fail the step with what to do', async () => {
    const runs = await Promise.all(['release-exists', 'bad-token', 'unknown-repo', 'bad-draft', 'no-release-id', 'missing-file', 'unknown-release', 'busybox-nul-bytes']
      .map((p) => build('release', p, { ...env(), X_WRONG_TOKEN: 'not-the-token' })));
    const [exists, badToken, unknownRepo, badDraft, noRelease, missingFile, unknownRelease, nulBytes] = runs;
    for (const r of runs) expect(r.code, r.out).toBe(1);
    expect(exists!.out).toMatch(/github-create-release: GitHub answered HTTP 422 to POST http:\/\/127\.0\.0\.1:\d+\/repos\/werker-test\/notify-app\/releases: Validation Failed \(already_exists \); a release with the tag v9\.9\.9 may already exist/);
    expect(badToken!.out).toContain('GitHub answered HTTP 401');
    expect(badToken!.out).toContain('Bad credentials; the token is not valid');
    expect(unknownRepo!.out).toMatch(/HTTP 404 to POST \S+\/repos\/werker-test\/no-such-repo\/releases: Not Found; the repository does not exist or the token may not create releases in it/);
    expect(badDraft!.out).toContain('github-create-release: The parameter draft has to be false or true (it is "yes")');
    expect(noRelease!.out).toContain('github-upload-asset: no release id: give release_id, or run github-create-release before this step');
    expect(missingFile!.out).toContain('github-upload-asset: The file does not exist: dist/none.zip (in /pipeline/source)');
    expect(unknownRelease!.out).toMatch(/HTTP 404 to POST \S+\/releases\/12345\/assets: Not Found; the release 12345 does not exist in werker-test\/notify-app/);
    expect(nulBytes!.out).toMatch(/github-upload-asset: could not send the asset to GitHub at \S+\/releases\/90000001\/assets: this box's busybox wget cannot send dist\/nul\.bin \(it holds NUL bytes\); install curl or python in the box/);
    for (const r of runs) expect(r.out).not.toContain(token);
    expect(github.problems).toEqual([]);
  });

  it('a release step without its tag is refused before anything runs', async () => {
    const r = await build('release', 'missing-tag', env());
    expect(r.code).toBe(1);
    expect(r.out).toContain('step "github-create-release" needs "tag" (required by its step.yml)');
  });
});

describe.skipIf(!docker)('email-notify mails the result through a real SMTP server', () => {
  const login = { user: 'werker-mailer', password: 'smtp-pa55-7e1b' };
  let smtp: SmtpServer;
  beforeAll(async () => {
    smtp = await startSmtpServer(login);
  });
  afterAll(() => smtp?.close());
  const env = () => ({ X_SMTP_HOST: smtp.host, X_SMTP_USER: login.user, XXX_SMTP_PASSWORD: login.password, X_WRONG_PASSWORD: 'not-it' });

  it('a passed build (python): wercker\'s subject and body, to every recipient, after STARTTLS and a login; on: failed and another branch send nothing', async () => {
    const before = smtp.mails.length;
    const r = await build('notify', 'email-passed', env());
    expect(r.code, r.out).toBe(0);
    const mails = smtp.mails.slice(before);
    expect(mails).toHaveLength(1);
    const mail = mails[0]!;
    expect(mail).toMatchObject({ user: login.user, secure: true, from: 'alerts@werker.test', to: ['dev@werker.test', 'ops@werker.test'] });
    expect(mail.headers).toMatchObject({
      from: 'alerts@werker.test', to: 'dev@werker.test, ops@werker.test', subject: 'werker-test/notify-app: build of master by ada passed.',
    });
    expect(mail.headers['message-id']).toMatch(/^<.+@.+>$/);
    expect(mail.headers.date).toMatch(/^\w{3}, \d{1,2} \w{3} \d{4} /);
    expect(mail.body).toMatch(/^Build passed\.\n\nSee <https:\/\/app\.wercker\.com\/werker-test\/notify-app\/runs\/email-passed\/[0-9a-f]{24}>\n\n/);
    expect(mail.body).toContain('Git Repository: https://github.com/werker-test/notify-app\nGit Branch: master\nGit Commit: 3f4c2a1b9d8e7f60a5b4c3d2e1f0a9b8c7d6e5f4\nStarted By: ada\n');
    expect(r.out).toContain('email-notify: the run passed and on is failed: no mail sent');
    expect(r.out).toContain('email-notify: branch "master" is not "release": no mail sent');
    expect(r.out).toContain('email-notify: mailed "werker-test/notify-app: build of master by ada passed." (sent to dev@werker.test, ops@werker.test through 127.0.0.1:');
    expect(r.out).not.toContain(login.password);
  });

  it('a failed build (curl): on: failed mails the custom subject (UTF-8) and body; the default body names the failed step', async () => {
    const before = smtp.mails.length;
    const r = await build('notify', 'email-failed-curl', env());
    expect(r.code).toBe(1);
    const mails = smtp.mails.slice(before);
    expect(mails).toHaveLength(2);
    const [custom, plainMail] = mails as [typeof mails[0] & object, typeof mails[0] & object];
    expect(custom).toMatchObject({ user: login.user, secure: true, from: 'alerts@werker.test', to: ['oncall@werker.test'] });
    expect(custom.headers.subject).toBe('Broken: master ✗');
    expect(custom.body).toBe('The unit tests failed.\nSee the log.\n');
    expect(plainMail.headers.subject).toBe('werker-test/notify-app: build of master by ada failed.');
    expect(plainMail.body).toMatch(/^Build failed\.\n[\s\S]*\nFailed Step: unit tests\n/);
    expect(r.out).not.toContain(login.password);
  });

  it('a refused login, an unreachable server or no mail client fail the after-step with what to check', async () => {
    const runs = await Promise.all(['email-wrong-password', 'email-wrong-password-curl', 'email-unreachable', 'email-no-client'].map((p) => build('notify', p, env())));
    const [wrong, wrongCurl, unreachable, noClient] = runs;
    for (const r of runs) expect(r.code, r.out).toBe(0);
    expect(wrong!.out).toMatch(/After-step failed: email-notify[\s\S]*email-notify: the mail was not sent: the SMTP server 127\.0\.0\.1:\d+ refused the login of werker-mailer: 535 .*; check host, username and password/);
    expect(wrongCurl!.out).toMatch(/email-notify: the mail was not sent: curl: \(67\) Login denied/);
    expect(unreachable!.out).toMatch(/email-notify: the mail was not sent: could not talk to the SMTP server 127\.0\.0\.1:1: .*[Cc]onnection refused/);
    expect(noClient!.out).toContain('email-notify: this box has neither python nor curl to send mail with');
    for (const r of runs) expect(r.out).not.toContain(login.password);
  });
});
