import { PassThrough } from 'node:stream';
import Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import type { OutputChunk } from '../runtime.ts';
import { demuxBuffer, demuxToChunks } from './demux.ts';

function frame(type: number, text: string): Buffer {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header.writeUInt8(type, 0);
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

describe('demux', () => {
  it('turns a framed stream cut anywhere into ordered chunks', async () => {
    const source = new PassThrough();
    const out = demuxToChunks(new Docker({ socketPath: '/nonexistent' }).modem, source);
    const wire = Buffer.concat([frame(1, 'out1\n'), frame(2, 'err1\n'), frame(1, 'out2\n')]);
    for (let i = 0; i < wire.length; i += 3) source.write(wire.subarray(i, i + 3));
    source.end();
    const chunks: string[] = [];
    for await (const c of out as AsyncIterable<OutputChunk>) chunks.push(`${c.stream}:${c.data.toString()}`);
    expect(chunks).toEqual(['stdout:out1\n', 'stderr:err1\n', 'stdout:out2\n']);
  });

  it('splits a whole log buffer', () => {
    expect(demuxBuffer(Buffer.concat([frame(1, 'a'), frame(2, 'b'), frame(1, 'c')]))).toEqual({ stdout: 'ac', stderr: 'b' });
    expect(demuxBuffer(Buffer.from('tty output, no frames'))).toEqual({ stdout: 'tty output, no frames', stderr: '' });
  });
});
