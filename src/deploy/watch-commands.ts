import type { RemoteCommand } from './commands.ts';

/** The access log's size in bytes now (0 when nginx has not written it yet): the watch counts what comes after. */
export function accessLogSize(log: string): RemoteCommand {
  return { argv: ['sh', '-c', 'if [ -e "$1" ]; then wc -c < "$1"; else echo 0; fi', 'sh', log] };
}

/**
 * `<answers> <5xx answers>` of one upstream address in the access log after `offset` bytes (the
 * site's log format is `$msec $upstream_addr $status`). Fails, saying so, when the deploy user
 * cannot read the log. A log rotated away under the watch (now shorter than the offset) is read
 * from its start.
 */
export function count5xx(log: string, offset: number, upstream: string): RemoteCommand {
  const script = [
    'if [ ! -e "$1" ]; then echo 0 0; exit 0; fi',
    'if [ ! -r "$1" ]; then echo "cannot read $1" >&2; exit 3; fi',
    'size=$(wc -c < "$1"); from=$2; if [ "$size" -lt "$from" ]; then from=0; fi',
    'tail -c +$((from + 1)) "$1" | awk -v a="$3" \'$2 == a { n++; if ($3 >= 500) f++ } END { print n + 0, f + 0 }\'',
  ].join('; ');
  return { argv: ['sh', '-c', script, 'sh', log, String(offset), upstream] };
}
