# werker: POST a file with python when the box has neither curl nor wget (lib/notify.sh _wn_post).
# Arguments: URL CONTENT-TYPE BODY-FILE ANSWER-FILE [HEADER...]; prints the HTTP status, writes the
# answer's body; exits 7 with the reason on stderr when no answer came. Python 2 and 3.
import sys

try:
    from urllib.request import Request, urlopen
    from urllib.error import HTTPError
except ImportError:  # Python 2
    from urllib2 import Request, urlopen, HTTPError


def main(argv):
    url, content_type, body_file, answer_file = argv[1:5]
    with open(body_file, 'rb') as f:
        request = Request(url, data=f.read())
    request.add_header('Content-Type', content_type)
    for header in argv[5:]:
        name, value = header.split(':', 1)
        request.add_header(name.strip(), value.strip())
    try:
        answer = urlopen(request, timeout=60)
        status, body = answer.getcode(), answer.read()
    except HTTPError as err:
        status, body = err.code, err.read()
    except Exception as err:  # no answer: refused, unreachable, timed out, bad TLS
        sys.stderr.write('%s\n' % (getattr(err, 'reason', None) or err))
        return 7
    with open(answer_file, 'wb') as f:
        f.write(body)
    sys.stdout.write('%d' % status)
    return 0


sys.exit(main(sys.argv))
