import type { RunEvent, RunEventBody } from '../engine/events.ts';
import type { Masker } from '../util/mask.ts';
import { isoNow, type Store } from '../store/db.ts';
import { appendEvents, getRunRow, type EventInput, type EventRow, type RunRow } from '../store/runs.ts';
import { InputError } from './context.ts';
import type { LiveEvents } from './live.ts';
import type { RunChanges } from './run-changes.ts';
import { maskEventBody } from '../engine/events.ts';
import { maskerFor } from './mask-events.ts';
import type { RunnerFinish } from '../runner/protocol.ts';
import { jobVariables } from './variables.ts';

/** An event body as runners and the server's own notes give it; `at` is kept when there is one. */
export type EventBody = RunEventBody & { at?: string };

/**
 * Writes a run's events: masked with the run's protected values, numbered and stored under a
 * guard on the run row (store/runs.ts appendEvents), then told to live followers. Every writer
 * (runner reports, cancel, the reaper) goes through here, so no event is stored unmasked.
 */
export class RunRecorder {
  /** Maskers of running runs, so a report does not read the run's variables again. */
  readonly #maskers = new Map<number, Masker>();

  constructor(private readonly store: Store, private readonly live: LiveEvents, private readonly maxEvents: number, private readonly changes?: RunChanges) {}

  /** Stores events (masked) while `guard` holds on the locked run row, with `update`'s changes; undefined when the guard failed. */
  async record(runId: number, bodies: EventBody[], guard: (r: RunRow) => boolean, update?: (r: RunRow) => Partial<RunRow>): Promise<RunRow | undefined> {
    const masker = await this.maskerOf(runId);
    const inputs = bodies.map((b) => {
      // Where events enter the store: a runner of any version sends them, and the server adds lines of
      // its own, so the store masks at its door with the bus's rule (events.ts).
      const { at, ...body } = maskEventBody(masker, b);
      return { type: body.type, body: JSON.stringify(body), at: typeof at === 'string' ? at : isoNow() };
    });
    // The row's message is shown on run lists and pages: what a runner reports there is masked too.
    let previous: RunRow['status'] | undefined;
    const masked = update && ((r: RunRow) => {
      previous = r.status;
      return maskedMessage(masker, update(r));
    });
    const done = await appendEvents(this.store, runId, inputs, guard, masked, { max: this.maxEvents, marker: truncationMarker(this.maxEvents) });
    if (!done) return undefined;
    this.live.publish(runId, done.rows.map(toEvent));
    if (previous !== undefined) this.changes?.emit(done.run, previous);
    return done.run;
  }

  /** A claim hands the run its variables: mask with exactly those until the run ends or is given back. */
  remember(runId: number, masker: Masker): void {
    this.#maskers.set(runId, masker);
  }

  /** The run ended or waits for a new claim (which loads its variables again). */
  forget(runId: number): void {
    this.#maskers.delete(runId);
  }

  /** The masker of the run's protected values (its claim's, while it runs): for its log and its terminals. */
  async maskerOf(runId: number): Promise<Masker> {
    let m = this.#maskers.get(runId);
    if (!m) {
      const row = await getRunRow(this.store, runId);
      if (!row) throw new InputError(`no run ${runId}`, 404);
      m = maskerFor(await jobVariables(this.store, row.application_id, row.pipeline));
      if (row.status === 'running') this.#maskers.set(runId, m);
    }
    return m;
  }
}

/** The run.finished event, stored with the status that ends the run. */
export function finalEvent(status: RunnerFinish['status'], durationMs: number, error?: { message: string; hint?: string }): RunEventBody {
  return { type: 'run.finished', status, durationMs, ...(error ? { error } : {}) };
}

/** A stored event as the API and live followers see it. */
export function toEvent(row: EventRow): RunEvent {
  return { ...(JSON.parse(row.body) as RunEventBody), runId: String(row.run_id), seq: row.seq, at: row.at } as RunEvent;
}

/** The log line stored in place of everything a run printed past the cap. */
function truncationMarker(max: number): EventInput {
  const text = `output truncated: this run reached ${max} stored events, so the rest of its output is not kept (steps and the result still are); the server's --max-run-events sets the cap`;
  return { type: 'log', body: JSON.stringify({ type: 'log', level: 'warn', text }), at: isoNow() };
}

function maskedMessage(masker: Masker, changes: Partial<RunRow>): Partial<RunRow> {
  return typeof changes.message === 'string' ? { ...changes, message: masker.mask(changes.message) } : changes;
}
