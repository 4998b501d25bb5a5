/**
 * A small web app for the watch-window tests and bench: busybox httpd with CGI scripts, so a
 * release can turn bad after it went live. `/cgi-bin/v` answers the version; `/cgi-bin/health`
 * answers ok. With `breakAfterSec`, both answer 500 "broken" from that many seconds after the
 * container started; with `redirectHealth`, the health path redirects to https (an app that
 * forces SSL). Files by path, for a build context.
 */
export function breakingAppFiles(version: string, opts: { breakAfterSec?: number; redirectHealth?: boolean } = {}): Record<string, string> {
  const broken = opts.breakAfterSec === undefined
    ? ''
    : `if [ $(( $(date +%s) - $(cat /tmp/started) )) -ge ${opts.breakAfterSec} ]; then printf 'Status: 500 Internal Server Error\\r\\nContent-Type: text/plain\\r\\n\\r\\nbroken\\n'; exit 0; fi\n`;
  const answer = (body: string) => `#!/bin/sh\n${broken}printf 'Content-Type: text/plain\\r\\n\\r\\n${body}\\n'\n`;
  const health = opts.redirectHealth
    ? "#!/bin/sh\nprintf 'Status: 301 Moved Permanently\\r\\nLocation: https://%s/cgi-bin/health\\r\\nContent-Type: text/plain\\r\\n\\r\\nmoved\\n' \"${HTTP_HOST:-app}\"\n"
    : answer('ok');
  return {
    Dockerfile: 'FROM werker-test/busybox:latest\nCOPY www /www\nRUN chmod 755 /www/cgi-bin/v /www/cgi-bin/health\nEXPOSE 8080\n' +
      'CMD ["sh", "-c", "date +%s > /tmp/started; exec httpd -f -p 8080 -h /www"]\n',
    'www/index.html': `${version}\n`,
    'www/cgi-bin/v': answer(version),
    'www/cgi-bin/health': health,
  };
}
