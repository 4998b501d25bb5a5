import { StringDecoder } from 'node:string_decoder';
import type { Masker } from './mask.ts';

/**
 * Masks a byte stream that is shown as it comes (a terminal's output), where a secret may be
 * split across chunks: each chunk is decoded (a UTF-8 character cut in two waits for its other
 * bytes), and the tail that could be the start of a secret waits for the next chunk
 * (Masker.splitForStream). `end()` gives what is left, masked.
 */
export class StreamMasker {
  #decoder = new StringDecoder('utf8');
  #held = '';

  constructor(private readonly masker: Masker) {}

  push(chunk: Buffer | string): string {
    const text = this.#held + (typeof chunk === 'string' ? chunk : this.#decoder.write(chunk));
    if (this.masker.empty) {
      this.#held = '';
      return text;
    }
    const { shown, held } = this.masker.splitForStream(text);
    this.#held = held;
    return shown;
  }

  end(): string {
    const rest = this.#held + this.#decoder.end();
    this.#held = '';
    return this.masker.mask(rest);
  }
}
