import { describe, expect, it } from 'vitest';
import { SentinelParser, type StreamName } from './sentinel-parser.ts';

const UUID = '0b7e4a52-6c1f-4d3a-9e8b-2f5c7d9a1e30';

function setup() {
  const seen: string[] = [];
  const parser = new SentinelParser({
    // A piece of a line shown before its newline is marked with a trailing "~".
    line: (stream: StreamName, text: string, partial?: boolean) => seen.push(`${stream}:${text}${partial ? '~' : ''}`),
    status: (code) => seen.push(`status:${code}`),
    marker: () => seen.push('marker'),
  });
  parser.expect(UUID);
  return { parser, seen };
}

/** Feeds `text` on stdout cut at each offset in `cuts`. */
function feedCut(parser: SentinelParser, stream: StreamName, text: string, cuts: number[]) {
  let at = 0;
  for (const cut of [...cuts, text.length]) {
    parser.feed(stream, Buffer.from(text.slice(at, cut)));
    at = cut;
  }
}

describe('SentinelParser', () => {
  it('finds the status line and hides it', () => {
    const { parser, seen } = setup();
    parser.feed('stdout', `hello\n${UUID} 3\n`);
    expect(seen).toEqual(['stdout:hello', 'status:3']);
  });

  it('finds a sentinel cut in the middle of the uuid', () => {
    const { parser, seen } = setup();
    feedCut(parser, 'stdout', `out\n${UUID} 0\n`, [4 + 10]);
    expect(seen).toEqual(['stdout:out', 'status:0']);
  });

  it('finds a sentinel cut at every possible byte', () => {
    const text = `a\nbb\n${UUID} 127\n`;
    for (let cut = 1; cut < text.length; cut++) {
      const { parser, seen } = setup();
      feedCut(parser, 'stdout', text, [cut]);
      expect(seen, `cut at ${cut}`).toEqual(['stdout:a', 'stdout:bb', 'status:127']);
    }
  });

  it('checks every line of a chunk, not just the last', () => {
    const { parser, seen } = setup();
    parser.feed('stdout', `x\n${UUID} 0\nlate\n`);
    expect(seen).toEqual(['stdout:x', 'status:0', 'stdout:late']);
  });

  it('treats text before the uuid on the sentinel line as output (printf without newline)', () => {
    const { parser, seen } = setup();
    feedCut(parser, 'stdout', `abc${UUID} 1\n`, [3]);
    expect(seen).toEqual(['stdout:abc', 'status:1']);
  });

  it('a flushed partial line does not break detection or show sentinel text', () => {
    const { parser, seen } = setup();
    parser.feed('stdout', `progress 10%`);
    parser.flushPartials();
    parser.feed('stdout', ` 20% ${UUID.slice(0, 5)}`);
    parser.flushPartials(); // the uuid's first characters must be held back
    parser.feed('stdout', `${UUID.slice(5)} 0\n`);
    expect(seen).toEqual(['stdout:progress 10%~', 'stdout: 20% ~', 'status:0']);
  });

  it('does not repeat a fully flushed line when its newline arrives: it only ends it', () => {
    const { parser, seen } = setup();
    parser.feed('stdout', 'waiting...');
    parser.flushPartials();
    parser.flushPartials();
    parser.feed('stdout', '\ndone\n');
    expect(seen).toEqual(['stdout:waiting...~', 'stdout:', 'stdout:done']);
  });

  it('the rest of a partly flushed line comes as the piece that ends it', () => {
    const { parser, seen } = setup();
    parser.feed('stdout', 'Applying ticker.0001_initial...');
    parser.flushPartials();
    parser.feed('stdout', ' OK\nnext\n');
    expect(seen).toEqual(['stdout:Applying ticker.0001_initial...~', 'stdout: OK', 'stdout:next']);
  });

  it('recognises the stderr marker, with output before it', () => {
    const { parser, seen } = setup();
    parser.feed('stderr', `oops\nlast${UUID}:\n`);
    expect(seen).toEqual(['stderr:oops', 'stderr:last', 'marker']);
  });

  it('does not take a status line from stderr, and hides xtrace of the protocol', () => {
    const { parser, seen } = setup();
    parser.feed('stderr', `+ echo ${UUID} 0\n+ printf '${UUID}\\072\\n'\n`);
    expect(seen).toEqual([]);
  });

  it('drops late sentinels of an earlier (timed-out) batch but keeps their output', () => {
    const { parser, seen } = setup();
    parser.expect('11111111-2222-3333-4444-555555555555');
    parser.feed('stdout', `slow${UUID} 0\n`);
    parser.feed('stderr', `${UUID}:\n`);
    expect(seen).toEqual(['stdout:slow']);
  });

  it('end() emits what is left', () => {
    const { parser, seen } = setup();
    parser.feed('stdout', 'no newline');
    parser.feed('stderr', 'err tail');
    parser.end();
    expect(seen).toEqual(['stdout:no newline', 'stderr:err tail']);
  });
});
