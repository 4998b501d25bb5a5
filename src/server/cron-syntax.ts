/**
 * The syntax of a schedule's cron expression, checked before croner sees it so that a mistake is
 * named by its place: which field, which character (croner's own errors name neither). Five
 * fields (minute hour day-of-month month day-of-week) with `*`, numbers, `a-b` ranges, `/step`
 * and `,` lists, month and weekday names (JAN, MON…), `?` for either day field; or one of the
 * keywords below. A seconds or year field, `L`, `W`, `#` and `@reboot` are refused.
 */

export interface CronField {
  name: string;
  min: number;
  max: number;
  /** Three-letter names for the values, from `min` on. */
  names?: readonly string[];
}

export const CRON_FIELDS: readonly CronField[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'] },
  // 7 is Sunday too, as in every cron.
  { name: 'day of week', min: 0, max: 7, names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] },
];

/** The keywords and the five fields each stands for. */
export const CRON_KEYWORDS: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

/** Where an expression went wrong: the field (1-5, or null for the expression as a whole) and the column (1-based) in the text. */
export interface CronProblem {
  message: string;
  field: number | null;
  fieldName: string | null;
  column: number;
}

/** The five fields the expression stands for, or the first problem in it. */
export function parseCronSyntax(text: string): { fields: string } | { problem: CronProblem } {
  const start = text.length - text.trimStart().length;
  const trimmed = text.trim();
  if (trimmed === '') return { problem: whole('the expression is empty: five fields (minute hour day-of-month month day-of-week) or a keyword such as @daily', 1) };
  if (trimmed.startsWith('@')) return keyword(trimmed, start);
  const tokens = splitFields(text);
  if (tokens.length !== CRON_FIELDS.length) return { problem: fieldCount(tokens) };
  for (const [index, token] of tokens.entries()) {
    const problem = checkField(token.text, CRON_FIELDS[index]!);
    if (problem) return { problem: { message: problem.message, field: index + 1, fieldName: CRON_FIELDS[index]!.name, column: token.column + problem.offset } };
  }
  return { fields: tokens.map((t) => t.text).join(' ') };
}

const whole = (message: string, column: number): CronProblem => ({ message, field: null, fieldName: null, column });

function keyword(word: string, start: number): { fields: string } | { problem: CronProblem } {
  const fields = CRON_KEYWORDS[word.toLowerCase()];
  if (fields) return { fields };
  const known = Object.keys(CRON_KEYWORDS).join(', ');
  const why = word.toLowerCase() === '@reboot' ? '@reboot has no time to run at on a server' : `"${word}" is no keyword`;
  return { problem: whole(`${why}; the keywords are ${known}`, start + 1) };
}

interface Token { text: string; column: number }

/** The whitespace-separated fields with their 1-based columns. */
function splitFields(text: string): Token[] {
  return [...text.matchAll(/\S+/g)].map((m) => ({ text: m[0], column: m.index + 1 }));
}

function fieldCount(tokens: Token[]): CronProblem {
  const expected = 'five fields: minute hour day-of-month month day-of-week';
  if (tokens.length > CRON_FIELDS.length) {
    const extra = tokens[CRON_FIELDS.length]!;
    const hint = tokens.length === 6 ? ' (a seconds or year field is not supported: schedules run at most once a minute)' : '';
    return whole(`${expected}; field ${CRON_FIELDS.length + 1} ("${extra.text}") is one too many${hint}`, extra.column);
  }
  const end = tokens.length ? tokens.at(-1)!.column + tokens.at(-1)!.text.length : 1;
  return whole(`${expected}; found ${tokens.length}, the ${CRON_FIELDS[tokens.length]!.name} field is missing`, end);
}

interface FieldProblem { message: string; offset: number }

/** The first problem in one field's comma-separated items, with its offset (0-based) in the field. */
function checkField(text: string, field: CronField): FieldProblem | undefined {
  let offset = 0;
  for (const item of text.split(',')) {
    if (item === '') return { message: 'an empty list item (two commas, or a comma at an end)', offset };
    const problem = checkItem(item, field);
    if (problem) return { message: problem.message, offset: offset + problem.offset };
    offset += item.length + 1;
  }
  return undefined;
}

/** `*`, `?`, `a`, `a-b`, each optionally with `/step`. */
function checkItem(item: string, field: CronField): FieldProblem | undefined {
  const slash = item.indexOf('/');
  const base = slash < 0 ? item : item.slice(0, slash);
  const baseProblem = checkBase(base, field);
  if (baseProblem) return baseProblem;
  if (slash < 0) return undefined;
  if (base !== '*' && base.indexOf('-', 1) < 0) return { message: `a step follows "*" or a range (*/${item.slice(slash + 1)} or ${base}-${field.max}/${item.slice(slash + 1)}), not a single value`, offset: slash };
  const step = item.slice(slash + 1);
  if (!/^\d+$/.test(step)) return { message: `a step is a number after "/", not "${step}"`, offset: slash + 1 + firstBadDigit(step) };
  const span = field.max - field.min + 1;
  if (Number(step) < 1 || Number(step) > span) return { message: `the step ${step} is out of range 1-${span}`, offset: slash + 1 };
  return undefined;
}

function checkBase(base: string, field: CronField): FieldProblem | undefined {
  if (base === '*') return undefined;
  if (base === '?') return field.name.startsWith('day of') ? undefined : { message: '"?" stands only for a day field', offset: 0 };
  if (base === '') return { message: 'a value, a range or "*" is missing here', offset: 0 };
  const dash = base.indexOf('-', 1);
  const from = dash < 0 ? base : base.slice(0, dash);
  const first = checkValue(from, field);
  if (typeof first !== 'number') return first;
  if (dash < 0) return undefined;
  const to = checkValue(base.slice(dash + 1), field);
  if (typeof to !== 'number') return { message: to.message, offset: dash + 1 + to.offset };
  if (to < first) return { message: `the range ${base} runs backwards (${from} is after ${base.slice(dash + 1)})`, offset: 0 };
  return undefined;
}

/** A value's number, or why it is none (with the offset of the character at fault). */
function checkValue(text: string, field: CronField): number | FieldProblem {
  if (text === '') return { message: 'a value is missing', offset: 0 };
  const named = field.names?.indexOf(text.toUpperCase()) ?? -1;
  if (named >= 0) return field.min + named;
  if (!/^\d+$/.test(text)) return notAValue(text, field);
  const n = Number(text);
  if (n < field.min || n > field.max) return { message: `${text} is out of range ${field.min}-${field.max}`, offset: 0 };
  return n;
}

function notAValue(text: string, field: CronField): FieldProblem {
  if (/^[\dLW#]+$/i.test(text)) return { message: `"${text}": L, W and # are not supported`, offset: text.search(/[LW#]/i) };
  const names = field.names ? ` or a name (${field.names[0]}-${field.names.at(-1)})` : '';
  // Digits then something else (`5x`): the something else is the mistake; a word is wrong from its start.
  return { message: `"${text}" is not a number${names}`, offset: /^\d/.test(text) ? firstBadDigit(text) : 0 };
}

const firstBadDigit = (text: string): number => Math.max(0, text.search(/\D/));
