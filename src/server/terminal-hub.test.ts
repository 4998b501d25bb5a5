import { describe, expect, it } from 'vitest';
import { channelPair, parseTerminalMessage, type TerminalMessage } from '../runner/terminal-protocol.ts';
import { Masker } from '../util/mask.ts';
import { TerminalHub } from './terminal-hub.ts';

const tick = () => new Promise((r) => setTimeout(r, 5));

/** A browser's socket as the hub sees it: the test holds the other end. */
function browser() {
  const [hubSide, page] = channelPair();
  const got: TerminalMessage[] = [];
  let closed: string | undefined;
  page.onMessage((m) => got.push(m));
  page.onClose((r) => (closed = r));
  return { hubSide, page, got, closed: () => closed };
}

describe('TerminalHub', () => {
  it('hands a terminal to the runner polling for the run, relays keys one way and masked output the other', async () => {
    const hub = new TerminalHub();
    expect(hub.holding(1)).toBe(false);
    const poll = hub.next(1, 5000);
    expect(hub.holding(1)).toBe(true);
    const b = browser();
    hub.ask(1, 'ada', b.hubSide, new Masker(['hunter22']));
    const request = await poll;
    expect(request).toMatchObject({ user: 'ada' });
    const runnerEnd = hub.inProcess(1, request!.id)!;
    const keys: TerminalMessage[] = [];
    runnerEnd.onMessage((m) => keys.push(m));
    b.page.send({ type: 'input', data: 'ls\r' });
    b.page.send({ type: 'output', data: 'a browser may not speak for the box' });
    runnerEnd.send({ type: 'output', data: 'the value: hun' });
    runnerEnd.send({ type: 'output', data: 'ter22!\r\n' });
    runnerEnd.send({ type: 'exit', code: 0 });
    await tick();
    expect(keys).toEqual([{ type: 'input', data: 'ls\r' }]);
    const shown = b.got.filter((m) => m.type === 'output').map((m) => (m as { data: string }).data).join('');
    expect(shown).toBe('the value: ***!\r\n');
    expect(b.got.at(-1)).toEqual({ type: 'exit', code: 0 });
    runnerEnd.close('the shell exited');
    await tick();
    expect(b.closed()).toBe('the shell exited');
  });

  it('queues a request until the runner polls; a second terminal gets its own session', async () => {
    const hub = new TerminalHub();
    const one = browser(), two = browser();
    hub.ask(2, 'ada', one.hubSide, new Masker([]));
    hub.ask(2, 'bob', two.hubSide, new Masker([]));
    const first = await hub.next(2, 1000);
    const second = await hub.next(2, 1000);
    expect([first?.user, second?.user]).toEqual(['ada', 'bob']);
    expect(first?.id).not.toBe(second?.id);
    expect(hub.inProcess(2, first!.id)).toBeDefined();
    expect(hub.inProcess(2, first!.id)).toBeUndefined(); // one runner end per request
    expect(hub.inProcess(3, second!.id)).toBeUndefined(); // not another run's
  });

  it('closes a run\'s terminals with a line saying why when the run stops running', async () => {
    const hub = new TerminalHub();
    const b = browser();
    const poll = hub.next(4, 1000);
    hub.ask(4, 'ada', b.hubSide, new Masker([]));
    hub.inProcess(4, (await poll)!.id);
    hub.endRun(4, 'the run is cancelled');
    await tick();
    expect(b.got).toContainEqual({ type: 'notice', text: 'the run is cancelled: the terminal ends' });
    expect(b.closed()).toBe('the run is cancelled');
  });

  it('a runner end that goes away tells the browser', async () => {
    const hub = new TerminalHub();
    const b = browser();
    const poll = hub.next(5, 1000);
    hub.ask(5, 'ada', b.hubSide, new Masker([]));
    const runnerEnd = hub.inProcess(5, (await poll)!.id)!;
    runnerEnd.close('the socket closed (1006)');
    await tick();
    expect(b.got).toContainEqual({ type: 'notice', text: 'the terminal ended: the socket closed (1006)' });
  });
});

describe('parseTerminalMessage', () => {
  it('keeps what the protocol knows and drops the rest', () => {
    expect(parseTerminalMessage('{"type":"input","data":"x"}')).toEqual({ type: 'input', data: 'x' });
    expect(parseTerminalMessage('{"type":"resize","rows":30,"cols":100}')).toEqual({ type: 'resize', rows: 30, cols: 100 });
    expect(parseTerminalMessage('{"type":"resize","rows":0,"cols":100}')).toBeUndefined();
    expect(parseTerminalMessage('{"type":"input","data":3}')).toBeUndefined();
    expect(parseTerminalMessage('{"type":"eval"}')).toBeUndefined();
    expect(parseTerminalMessage('not json')).toBeUndefined();
  });
});
