import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { RunEvent } from '../../engine/events.ts';
import { FINAL_STATUSES, InputError, type ServerEnv } from '../context.ts';
import type { ServerCore } from '../core.ts';
import { intParam } from './errors.ts';

/**
 * `GET /api/runs/:id/events`: the run's log as server-sent events. Replays the stored events
 * after `Last-Event-ID` (a reconnecting EventSource sends it) or `?after=SEQ`, then follows the
 * live ones, and closes after `run.finished`. Each message: `id: <seq>`, `event: <type>`,
 * `data: <RunEvent JSON>`. A comment line every `heartbeatSeconds` keeps proxies from closing
 * it. `?format=json` returns the stored events as one JSON array instead (no follow).
 */
export function eventRoutes(core: ServerCore, heartbeatSeconds: number): Hono<ServerEnv> {
  const routes = new Hono<ServerEnv>();
  routes.get('/runs/:id/events', async (c) => {
    const runId = intParam(c.req.param('id'), 'run id');
    if (!(await core.runStatus(runId))) throw new InputError(`no run ${runId}`, 404);
    const after = Number(c.req.header('last-event-id') ?? c.req.query('after') ?? 0) || 0;
    if (c.req.query('format') === 'json') return c.json({ events: await core.listRunEvents(runId, after, 100_000) });
    return streamSSE(c, async (stream) => {
      let last = after;
      let finished = false;
      let wake: (() => void) | undefined;
      let rung = false;
      // Live events only ring the bell; the store is the one source, read in seq order.
      const stop = core.followRun(runId, () => {
        rung = true;
        wake?.();
      });
      stream.onAbort(() => wake?.());
      const heartbeat = setInterval(() => void stream.write(': heartbeat\n\n').catch(() => undefined), heartbeatSeconds * 1000);
      try {
        while (!finished && !stream.aborted) {
          rung = false;
          const batch = await core.listRunEvents(runId, last, 500);
          for (const event of batch) {
            await send(stream, event);
            last = event.seq;
            if (event.type === 'run.finished') finished = true;
          }
          if (batch.length === 500 || finished) continue;
          // A run always ends with run.finished; this only guards against a store edited by hand,
          // so it is asked when the store had nothing new, not after every batch of a live run.
          if (!batch.length && await isFinal(core, runId) && (await core.listRunEvents(runId, last, 1)).length === 0) break;
          // Nothing new: wait for the bell, or poll now and then (events from another server process).
          if (rung) continue;
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, 2000);
            wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });
          wake = undefined;
        }
      } finally {
        clearInterval(heartbeat);
        stop();
      }
    });
  });
  return routes;
}

async function send(stream: { writeSSE(m: { data: string; event?: string; id?: string }): Promise<void> }, event: RunEvent): Promise<void> {
  await stream.writeSSE({ id: String(event.seq), event: event.type, data: JSON.stringify(event) });
}

async function isFinal(core: ServerCore, runId: number): Promise<boolean> {
  const status = await core.runStatus(runId);
  return !status || FINAL_STATUSES.includes(status);
}
