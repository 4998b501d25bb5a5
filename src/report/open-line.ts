/**
 * Rejoins a line that a step's output brought in pieces (a partial flush, then the rest; see
 * `step.output`'s `partial`), for the reporters that print text. It says, for each piece,
 * whether a line left open by another stream or step must be ended first and whether the piece
 * continues the open line (so it gets no prefix of its own); and, before any other event,
 * whether an open line must be ended.
 */
export class OpenLine {
  #open: string | undefined;

  output(step: number, stream: string, partial: boolean | undefined): { endOpen: boolean; continues: boolean } {
    const key = `${step}:${stream}`;
    const continues = this.#open === key;
    const endOpen = this.#open !== undefined && !continues;
    this.#open = partial ? key : undefined;
    return { endOpen, continues };
  }

  /** Before an event that is not output: true when a line is open (write its line break). */
  close(): boolean {
    const was = this.#open !== undefined;
    this.#open = undefined;
    return was;
  }
}
