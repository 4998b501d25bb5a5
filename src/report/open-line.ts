/**
 * Rejoins a line that a step's output brought in pieces (a partial flush, then the rest; see
 * `step.output`'s `partial`), for the reporters that print text. It says, for each piece,
 * whether a line left open by another stream or step must be ended first and whether the piece
 * continues the open line (so it gets no prefix of its own); and, before any other event,
 * whether an open line must be ended. Called for every output line: no allocation per call.
 */
export class OpenLine {
  #step = -1;
  #stream = '';
  readonly #answer = { endOpen: false, continues: false };

  /** The answer object is reused: read it before the next call. */
  output(step: number, stream: string, partial: boolean | undefined): { readonly endOpen: boolean; readonly continues: boolean } {
    const open = this.#step !== -1;
    const continues = open && this.#step === step && this.#stream === stream;
    this.#answer.endOpen = open && !continues;
    this.#answer.continues = continues;
    if (partial) {
      this.#step = step;
      this.#stream = stream;
    } else this.#step = -1;
    return this.#answer;
  }

  /** Before an event that is not output: true when a line is open (write its line break). */
  close(): boolean {
    const was = this.#step !== -1;
    this.#step = -1;
    return was;
  }
}
