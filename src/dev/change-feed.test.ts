import { afterEach, describe, expect, it, vi } from 'vitest';
import { ChangeFeed } from './change-feed.ts';

afterEach(() => vi.useRealTimers());

describe('ChangeFeed', () => {
  it('gives one batch for a burst of events, once the burst has been quiet for the debounce time', async () => {
    vi.useFakeTimers();
    const feed = new ChangeFeed(200);
    const next = feed.next();
    let got: string[] | undefined;
    void next.then((files) => (got = files));
    for (const f of ['a.js', 'b.js', 'a.js']) {
      feed.push(f);
      await vi.advanceTimersByTimeAsync(150);
    }
    expect(got).toBeUndefined();
    await vi.advanceTimersByTimeAsync(60);
    expect(got).toEqual(['a.js', 'b.js']);
  });

  it('keeps a batch that arrives while nobody waits, and merges it with later events', async () => {
    vi.useFakeTimers();
    const feed = new ChangeFeed(100);
    feed.push('x');
    await vi.advanceTimersByTimeAsync(150);
    feed.push('y');
    await vi.advanceTimersByTimeAsync(150);
    expect(await feed.next()).toEqual(['x', 'y']);
    const later = feed.next();
    feed.push('z');
    await vi.advanceTimersByTimeAsync(150);
    expect(await later).toEqual(['z']);
  });
});
