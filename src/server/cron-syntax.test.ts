import { describe, expect, it } from 'vitest';
import { parseCronSyntax } from './cron-syntax.ts';
import { CronSyntaxError, readCron } from './schedule-times.ts';

/** The problem of an expression, as field number / column / message. */
function problemOf(expression: string) {
  const parsed = parseCronSyntax(expression);
  if (!('problem' in parsed)) throw new Error(`"${expression}" was accepted as "${parsed.fields}"`);
  return parsed.problem;
}

describe('cron expression syntax', () => {
  it.each([
    ['* * * * *', '* * * * *'],
    ['*/15 9-17 * * MON-FRI', '*/15 9-17 * * MON-FRI'],
    ['0 0 1,15 jan,jul ?', '0 0 1,15 jan,jul ?'],
    ['  5  4   *  *  7 ', '5 4 * * 7'],
    ['0-30/10 0 L-less * *'.replace('L-less', '1-31'), '0-30/10 0 1-31 * *'],
    ['@daily', '0 0 * * *'],
    ['@HOURLY', '0 * * * *'],
    ['@weekly', '0 0 * * 0'],
    ['@monthly', '0 0 1 * *'],
    ['@yearly', '0 0 1 1 *'],
    ['@annually', '0 0 1 1 *'],
    ['@midnight', '0 0 * * *'],
  ])('accepts %j as %j', (expression, fields) => {
    expect(parseCronSyntax(expression)).toEqual({ fields });
  });

  it.each([
    // expression, field, column (1-based in the text), words of the message
    ['0 24 * * *', 2, 3, '24 is out of range 0-23'],
    ['60 * * * *', 1, 1, '60 is out of range 0-59'],
    ['0 0 0 * *', 3, 5, '0 is out of range 1-31'],
    ['0 0 * 13 *', 4, 7, '13 is out of range 1-12'],
    ['0 0 * * 8', 5, 9, '8 is out of range 0-7'],
    ['0 0 * * MON-FRX', 5, 13, '"FRX" is not a number or a name (SUN-SAT)'],
    ['0 0 * JANUARY *', 4, 7, '"JANUARY" is not a number or a name (JAN-DEC)'],
    ['5x * * * *', 1, 2, '"5x" is not a number'],
    ['0 1,,2 * * *', 2, 5, 'an empty list item'],
    ['0 1, * * *', 2, 5, 'an empty list item'],
    ['*/0 * * * *', 1, 3, 'the step 0 is out of range 1-60'],
    ['*/x * * * *', 1, 3, 'a step is a number after "/", not "x"'],
    ['0 */2a * * *', 2, 6, 'a step is a number after "/", not "2a"'],
    ['5/15 * * * *', 1, 2, 'a step follows "*" or a range'],
    ['30-10 * * * *', 1, 1, 'the range 30-10 runs backwards'],
    ['0 0 L * *', 3, 5, 'L, W and # are not supported'],
    ['0 0 * * 5#2', 5, 10, 'L, W and # are not supported'],
    ['? * * * *', 1, 1, '"?" stands only for a day field'],
    ['0 0 * * 1-', 5, 11, 'a value is missing'],
  ])('refuses %j at field %i, character %i', (expression, field, column, words) => {
    const problem = problemOf(expression);
    expect(problem.message).toContain(words);
    expect({ field: problem.field, column: problem.column }).toEqual({ field, column });
    // The column points into the field named, or just after it where something is missing.
    const fieldStart = [...expression.matchAll(/\S+/g)][field - 1]!;
    expect(column).toBeGreaterThanOrEqual(fieldStart.index + 1);
    expect(column).toBeLessThanOrEqual(fieldStart.index + fieldStart[0].length + 1);
  });

  it('names a wrong number of fields at the field too many, or the end where one is missing', () => {
    expect(problemOf('0 0 * * * *')).toMatchObject({ field: null, column: 11, message: expect.stringContaining('field 6 ("*") is one too many (a seconds or year field is not supported') });
    expect(problemOf('0 0 * *')).toMatchObject({ field: null, column: 8, message: expect.stringContaining('found 4, the day of week field is missing') });
    expect(problemOf('')).toMatchObject({ field: null, column: 1, message: expect.stringContaining('the expression is empty') });
  });

  it('refuses unknown keywords and @reboot', () => {
    expect(problemOf('@fortnightly')).toMatchObject({ field: null, column: 1, message: expect.stringContaining('"@fortnightly" is no keyword; the keywords are @yearly') });
    expect(problemOf(' @reboot')).toMatchObject({ column: 2, message: expect.stringContaining('@reboot has no time to run at on a server') });
  });

  it('throws a CronSyntaxError whose message and position name the field and the character', () => {
    let caught: unknown;
    try {
      readCron('0 24 * * *', 'UTC');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(CronSyntaxError);
    const err = caught as CronSyntaxError;
    expect(err.status).toBe(400);
    expect(err.message).toBe('invalid cron expression "0 24 * * *" at character 3, field 2 (hour): 24 is out of range 0-23');
    expect(err.position).toEqual({ column: 3, field: 2, fieldName: 'hour' });
  });

  it('leaves croner nothing to refuse that it let through (every accepted expression reads)', () => {
    for (const expression of ['*/15 9-17 * * MON-FRI', '0 0 1,15 jan,jul ?', '0-30/10 0 1-31 * *', '@weekly', '0 0 * * 7', '59 23 31 12 *']) {
      expect(readCron(expression, 'UTC').nextAfter(new Date('2026-01-01T00:00:00Z'))).toBeInstanceOf(Date);
    }
  });
});
