import { describe, expect, it } from 'vitest';
import { createBus, type RunEvent, type RunEventBody, type RunEventType } from '../../src/engine/events.ts';
import { goQuote } from '../../src/util/go-quote.ts';

// Masking is the bus's (src/engine/events.ts): every text field of every event is masked as it
// enters, so no subscriber (terminal, --json, log file, the runner's uplink) ever sees a secret.

/** A secret whose Go-quoted form (how the box's env holds it, docs/wercker-compat.md §3.6) differs from it. */
const QUOTED = 'pa$$"word\\tok-5b9d';
/** A multi-line secret (a key): each of its lines is masked where it is printed alone. */
const KEY_LINES = ['-----BEGIN TEST KEY-----', 'bWFza2VkLWJ5LXRoZS1idXM', '-----END TEST KEY-----'];
const KEY = KEY_LINES.join('\n');
const SECRETS = [QUOTED, KEY];

const inner = (value: string) => goQuote(value).slice(1, -1);
/** Every form of a secret the masker covers, each put in every text field in turn. */
const FORMS: Record<string, string> = {
  'the secret': QUOTED,
  'its Go-quoted form': inner(QUOTED),
  'a multi-line secret': KEY,
  'a multi-line secret Go-quoted': inner(KEY),
  ...Object.fromEntries(KEY_LINES.map((line, i) => [`line ${i + 1} of a multi-line secret`, line])),
};
/** No text a subscriber receives may contain any of these. */
const NEEDLES = [...new Set(Object.values(FORMS))];

/** Every field required, nested ones too: a sample cannot leave an optional text field out. */
type Complete<T> = T extends string | number | boolean ? T : T extends readonly (infer U)[] ? Complete<U>[] : { [K in keyof T]-?: Complete<T[K]> };
type Sample<T extends RunEventType> = Complete<Extract<RunEventBody, { type: T }>>;

/**
 * One body of every event type with `s` in every text field. The type makes it complete: a new
 * event type (or a new field, optional ones included) without a sample here fails to compile.
 */
function samples(s: string): { [T in RunEventType]: Sample<T> } {
  return {
    'run.started': { type: 'run.started', pipeline: s, box: s, services: [`db (${s})`, s], steps: [s, `step ${s}`], afterSteps: [s] },
    'image.pull': { type: 'image.pull', image: s, status: s, current: 1, total: 2 },
    'image.ready': { type: 'image.ready', image: s, pulled: true, durationMs: 3 },
    'service.started': { type: 'service.started', name: s, image: s, containerId: s },
    'service.ready': { type: 'service.ready', name: s, waitedMs: 4, how: s },
    'service.failed': { type: 'service.failed', name: s, message: s, logs: `first\n${s}\nlast` },
    'service.logs': { type: 'service.logs', name: s, logs: `first\n${s}\nlast` },
    'step.started': { type: 'step.started', step: 1, name: s, phase: 'main' },
    'step.output': { type: 'step.output', step: 1, stream: 'stdout', text: `token: ${s}`, partial: true },
    'step.finished': { type: 'step.finished', step: 1, name: s, phase: 'after', status: 'failed', exitCode: 1, durationMs: 5, message: s, hint: s },
    'phase.finished': { type: 'phase.finished', phase: 'setup', status: 'passed', durationMs: 9 },
    'artifacts.stored': { type: 'artifacts.stored', path: s, files: 6, bytes: 7 },
    'log': { type: 'log', level: 'warn', text: s },
    'run.finished': { type: 'run.finished', status: 'errored', durationMs: 8, error: { message: s, hint: s } },
  };
}

/** Every string in an event, nested ones included, with where it sits. */
function texts(value: unknown, at = ''): [string, string][] {
  if (typeof value === 'string') return [[at, value]];
  if (Array.isArray(value)) return value.flatMap((v, i) => texts(v, `${at}[${i}]`));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => texts(v, at ? `${at}.${k}` : k));
  return [];
}

/** The fields holding a word of the event vocabulary (not text from the run), as in the samples. */
const WORDS = new Set(['type', 'stream', 'phase', 'status', 'level']);
const isWord = (event: RunEventBody, field: string) => WORDS.has(field) && !(event.type === 'image.pull' && field === 'status');

/** What a subscriber receives for each sample: through `emit`, and `step.output` through `output` too. */
function deliver(bus: ReturnType<typeof createBus>, bodies: RunEventBody[], received: RunEvent[]): RunEvent[] {
  received.length = 0;
  for (const body of bodies) bus.emit(body);
  const out = bodies.find((b) => b.type === 'step.output');
  if (out?.type === 'step.output') bus.output(out.step, out.stream, out.text, out.partial);
  return [...received];
}

function leaks(events: RunEvent[]): string[] {
  return events.flatMap((e) => texts(e).filter(([, text]) => NEEDLES.some((n) => text.includes(n))).map(([field]) => `${e.type} ${field}`));
}

describe('the bus masks every text field of every event', () => {
  it('has samples that put the secret in every text field (nested ones included) of every event type', () => {
    const all = Object.values(samples(QUOTED));
    expect(all.map((b) => b.type).sort()).toEqual(Object.keys(samples(QUOTED)).sort());
    for (const body of all) {
      for (const [field, text] of texts(body)) {
        if (isWord(body, field)) continue;
        expect(text, `${body.type} ${field}`).toContain(QUOTED);
      }
    }
  });

  it('shows a bus without secrets passing them through (so the check below can see a leak)', () => {
    const received: RunEvent[] = [];
    const bus = createBus('run-1', [(e) => received.push(e)]);
    const got = deliver(bus, Object.values(samples(QUOTED)), received);
    expect(got).toHaveLength(Object.keys(samples(QUOTED)).length + 1);
    expect(leaks(got).length).toBeGreaterThan(Object.keys(samples(QUOTED)).length);
  });

  for (const [what, form] of Object.entries(FORMS)) {
    it(`masks ${what} in every text field, given when the bus is made or hidden later`, () => {
      const bodies = Object.values(samples(form));
      const received: RunEvent[] = [];
      const given = createBus('run-1', [(e) => received.push(e)], { secrets: SECRETS });
      expect(leaks(deliver(given, bodies, received))).toEqual([]);
      const hidden = createBus('run-1', [(e) => received.push(e)]);
      hidden.hide(SECRETS);
      const got = deliver(hidden, bodies, received);
      expect(leaks(got)).toEqual([]);
      // Masked, not dropped: each event keeps its type and words, and says where the secret was.
      expect(got.map((e) => e.type)).toEqual([...bodies.map((b) => b.type), 'step.output']);
      for (const [i, body] of bodies.entries()) {
        for (const [field, text] of texts(body)) {
          const now = texts(got[i]).find(([f]) => f === field)?.[1];
          if (isWord(body, field)) expect(now, `${body.type} ${field}`).toBe(text);
          else expect(now, `${body.type} ${field}`).toContain('***');
        }
      }
    });
  }

  it('leaves the words of the vocabulary alone when a secret is one of them, so events keep their shape', () => {
    const received: RunEvent[] = [];
    const bus = createBus('run-1', [(e) => received.push(e)], { secrets: ['main', 'passed', 'stdout', 'warn'] });
    const got = deliver(bus, [samples('x')['step.started'], samples('x')['phase.finished'], samples('x')['log'], samples('main passed')['step.output']], received);
    expect(got.map((e) => ('phase' in e ? e.phase : 'level' in e ? e.level : e.type === 'step.output' ? e.stream : ''))).toEqual(['main', 'setup', 'warn', 'stdout', 'stdout']);
    expect(got.at(-1)).toMatchObject({ type: 'step.output', text: 'token: *** ***' });
  });

  it('masks output lines before any subscriber sees them, and holds back a line that may be starting a secret', () => {
    const seen: string[] = [];
    const bus = createBus('run-1', [(e) => e.type === 'step.output' && seen.push(`${e.stream}:${e.text}`)], { secrets: ['tok-1234'] });
    bus.output(1, 'stdout', 'using tok-1234');
    bus.output(1, 'stderr', 'ok');
    expect(seen).toEqual(['stdout:using ***', 'stderr:ok']);
    expect(bus.holdBack('token: tok-12')).toBe('token: '.length);
    expect(bus.holdBack('progress 50%')).toBe('progress 50%'.length);
  });

  it('masks the texts that leave a run by another road than an event (its result, the after-steps\' env)', () => {
    const bus = createBus('run-1', []);
    bus.hide([QUOTED]);
    expect(bus.mask(`step failed: ${QUOTED}`)).toBe('step failed: ***');
  });
});
