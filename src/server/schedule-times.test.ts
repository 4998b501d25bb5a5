import { describe, expect, it } from 'vitest';
import { InputError } from './context.ts';
import { checkFrequency, checkTimeZone, readCron, wallClock } from './schedule-times.ts';

const iso = (dates: Date[]) => dates.map((d) => d.toISOString());
const runsAfter = (expression: string, zone: string, after: string, n = 3) => iso(readCron(expression, zone).nextRuns(n, new Date(after)));

describe('next runs of a schedule', () => {
  it('reads the expression in its time zone', () => {
    // 02:00 in Berlin is 01:00 UTC in winter.
    expect(runsAfter('0 2 * * *', 'Europe/Berlin', '2026-12-02T12:00:00Z', 2)).toEqual(['2026-12-03T01:00:00.000Z', '2026-12-04T01:00:00.000Z']);
    expect(runsAfter('0 2 * * *', 'UTC', '2026-12-02T12:00:00Z', 1)).toEqual(['2026-12-03T02:00:00.000Z']);
    expect(runsAfter('30 9 * * *', 'Asia/Kolkata', '2026-12-02T12:00:00Z', 1)).toEqual(['2026-12-03T04:00:00.000Z']);
  });

  it('keeps the wall-clock time across a daylight-saving change (New York, spring forward on 8 March 2026)', () => {
    expect(runsAfter('0 9 * * *', 'America/New_York', '2026-03-06T15:00:00Z')).toEqual(['2026-03-07T14:00:00.000Z', '2026-03-08T13:00:00.000Z', '2026-03-09T13:00:00.000Z']);
  });

  it('runs a time the spring change skips just after the gap, and a repeated time once (Berlin, 29 March and 25 October 2026)', () => {
    // 02:30 does not exist on 29 March: it runs at 03:00 CEST (01:00 UTC), then 02:30 CEST again.
    expect(runsAfter('30 2 * * *', 'Europe/Berlin', '2026-03-27T12:00:00Z')).toEqual(['2026-03-28T01:30:00.000Z', '2026-03-29T01:00:00.000Z', '2026-03-30T00:30:00.000Z']);
    // 02:30 happens twice on 25 October: it runs at the first (CEST, 00:30 UTC) only.
    expect(runsAfter('30 2 * * *', 'Europe/Berlin', '2026-10-24T12:00:00Z')).toEqual(['2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z', '2026-10-27T01:30:00.000Z']);
  });

  it('runs an every-30-minutes schedule through the repeated hour, in real time', () => {
    // 00:00-01:00 UTC is 02:00-03:00 CEST, and 01:00-02:00 UTC is 02:00-03:00 CET again.
    expect(runsAfter('*/30 2 * * *', 'Europe/Berlin', '2026-10-24T23:50:00Z', 4)).toEqual([
      '2026-10-25T00:00:00.000Z', '2026-10-25T00:30:00.000Z', '2026-10-25T01:00:00.000Z', '2026-10-25T01:30:00.000Z',
    ]);
  });

  it('gives the next occurrence strictly after the time asked (an occurrence claimed at its own minute is not given again)', () => {
    const cron = readCron('* * * * *', 'UTC');
    expect(cron.nextAfter(new Date('2026-01-01T10:00:00.000Z'))?.toISOString()).toBe('2026-01-01T10:01:00.000Z');
    expect(cron.nextAfter(new Date('2026-01-01T10:00:59.999Z'))?.toISOString()).toBe('2026-01-01T10:01:00.000Z');
  });

  it('runs on either day when both day fields are restricted, as cron does', () => {
    // The 1st of the month or a Monday: 1 July 2026 is a Wednesday.
    expect(runsAfter('0 12 1 * MON', 'UTC', '2026-06-29T13:00:00Z', 2)).toEqual(['2026-07-01T12:00:00.000Z', '2026-07-06T12:00:00.000Z']);
  });
});

describe('time zones and frequency', () => {
  it('takes IANA names as the runtime spells them and refuses unknown ones', () => {
    expect(checkTimeZone('europe/berlin')).toBe('Europe/Berlin');
    expect(checkTimeZone('UTC')).toBe('UTC');
    expect(() => checkTimeZone('Mars/Olympus_Mons')).toThrow('unknown time zone "Mars/Olympus_Mons": give an IANA name such as UTC, Europe/Berlin');
    expect(() => checkTimeZone('')).toThrow(InputError);
  });

  it('refuses an expression that never occurs, or occurs more often than the minimum interval', () => {
    const now = new Date('2026-12-02T12:00:00Z');
    expect(() => checkFrequency('0 0 30 2 *', readCron('0 0 30 2 *', 'UTC'), 60_000, now)).toThrow('never occurs');
    expect(() => checkFrequency('*/2 * * * *', readCron('*/2 * * * *', 'UTC'), 5 * 60_000, now)).toThrow('runs 2 minutes apart at times; a schedule may run at most once every 5 minutes');
    // Minutes 0 and 1 of one hour a day: the short gap is found among the next occurrences.
    expect(() => checkFrequency('0,1 3 * * *', readCron('0,1 3 * * *', 'UTC'), 5 * 60_000, now)).toThrow('1 minute apart');
    expect(() => checkFrequency('*/5 * * * *', readCron('*/5 * * * *', 'UTC'), 5 * 60_000, now)).not.toThrow();
    // Every minute is the most five fields can say, and the default limit allows it.
    expect(() => checkFrequency('* * * * *', readCron('* * * * *', 'UTC'), 60_000, now)).not.toThrow();
  });

  it('shows a time as the wall clock of the zone', () => {
    expect(wallClock('2026-12-03T01:00:00.000Z', 'Europe/Berlin')).toBe('2026-12-03 02:00');
    expect(wallClock('2026-07-01T00:30:00.000Z', 'America/New_York')).toBe('2026-06-30 20:30');
  });
});
