// The message formats a live source understands, and their parser. Pure functions, no DOM: the
// Node tests run the whole table.
//
// A message is one reading or a JSON array of readings. A reading is
//   a number                      42, "42" (a JSON string), or raw text " 42.5 "
//   null                          a gap: a sample with NaN, which the engine treats as missing
//   an object                     {"t": 1700000000000, "value": 3}; the value is at `valuePath`
//                                 (default "value"), the time at `timePath` (default the first of
//                                 "t", "time", "timestamp" that is present, optional)
//   an array inside a batch       [[1, 2], [3, 4]]: two multivariate samples
// A value may itself be an array of numbers (a multivariate sample): {"value": [1, 2.5, null]}.
// The paths apply to objects only: a bare number is a reading whatever the paths say.
// A time is a number (ms since the epoch, or any increasing number) or an ISO 8601 date string,
// turned into ms since the epoch by Date.parse (a date-time without an offset is local time).
// Anything else is rejected as a whole with a message naming what was wrong: a batch is accepted
// or rejected together, so a half-understood message never reaches the engine.

/** One reading. `value` is a number, or an array for a multivariate series; NaN is a gap. */
export interface Sample {
  value: number | number[];
  /** ms since the epoch, or any increasing number; absent when the message carries none. */
  time?: number;
}

/** Why a source reported an `error`. Only 'bad-url' stops the source; the others are counted. */
export interface SourceErrorInfo {
  code: 'malformed-message' | 'connection' | 'bad-url';
  message: string;
}

/** Time keys tried in this order when no `timePath` is given. */
const TIME_KEYS = ['t', 'time', 'timestamp'] as const;

/** Longest excerpt of an offending message quoted in an error. */
const EXCERPT_CHARS = 80;

/** A decimal number and nothing else: no hex, no "Infinity", no "NaN", no trailing garbage. */
const NUMBER_TEXT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** ISO 8601 dates and date-times, the forms Date.parse reads the same in every browser. */
const ISO_DATE =
  /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i;

/** Thrown inside the parser, turned into a SourceErrorInfo at its edge. */
class Malformed extends Error {}

/**
 * Read one message into samples. `data` is the raw text of a message (a WebSocket or SSE message,
 * a poll response body) or an already parsed JSON value. Returns the samples (possibly none, for
 * `[]`) or a 'malformed-message' error that says what was wrong and quotes the message, truncated.
 */
export function parseMessage(
  data: unknown,
  valuePath?: string,
  timePath?: string,
): Sample[] | SourceErrorInfo {
  try {
    const json = typeof data === 'string' ? parseText(data) : data;
    if (Array.isArray(json)) {
      return json.map((item, i) => {
        try {
          return readItem(item, valuePath, timePath);
        } catch (e) {
          if (e instanceof Malformed) throw new Malformed(`item ${i}: ${e.message}`);
          throw e;
        }
      });
    }
    return [readReading(json, valuePath, timePath)];
  } catch (e) {
    if (!(e instanceof Malformed)) throw e;
    return { code: 'malformed-message', message: `${e.message} in ${excerpt(data)}` };
  }
}

/** Raw text: a bare number, or JSON. */
function parseText(text: string): unknown {
  const trimmed = text.trim();
  if (trimmed === '') throw new Malformed('empty message');
  if (NUMBER_TEXT.test(trimmed)) return finite(Number(trimmed), 'number');
  try {
    return JSON.parse(trimmed);
  } catch {
    throw new Malformed('neither a number nor JSON');
  }
}

/** One element of a batch: a reading, or an array of numbers as one multivariate sample. */
function readItem(item: unknown, valuePath?: string, timePath?: string): Sample {
  if (Array.isArray(item)) return { value: readVector(item, 'value') };
  return readReading(item, valuePath, timePath);
}

/** A number, a numeric string, null, or an object holding the value (and maybe a time). */
function readReading(json: unknown, valuePath?: string, timePath?: string): Sample {
  if (json === null || typeof json === 'number' || typeof json === 'string') {
    return { value: readScalar(json, 'value') };
  }
  if (typeof json !== 'object' || Array.isArray(json)) {
    throw new Malformed(`a reading cannot be ${describe(json)}`);
  }
  const value = readValue(json, valuePath);
  const time = readTime(json, timePath);
  return time === undefined ? { value } : { value, time };
}

function readValue(obj: object, valuePath = 'value'): number | number[] {
  const found = select(obj, valuePath);
  if (found === undefined) throw new Malformed(`no value at "${valuePath}"`);
  if (Array.isArray(found)) return readVector(found, `value at "${valuePath}"`);
  return readScalar(found, `value at "${valuePath}"`);
}

function readTime(obj: object, timePath: string | undefined): number | undefined {
  if (timePath !== undefined) {
    const found = select(obj, timePath);
    if (found === undefined || found === null) throw new Malformed(`no time at "${timePath}"`);
    return readTimeValue(found, `time at "${timePath}"`);
  }
  for (const key of TIME_KEYS) {
    const found = select(obj, key);
    if (found !== undefined && found !== null) return readTimeValue(found, `time at "${key}"`);
  }
  return undefined;
}

function readTimeValue(found: unknown, what: string): number {
  if (typeof found === 'number') return finite(found, what);
  if (typeof found === 'string') {
    const text = found.trim();
    if (NUMBER_TEXT.test(text)) return finite(Number(text), what);
    if (ISO_DATE.test(text)) {
      const ms = Date.parse(text);
      if (Number.isFinite(ms)) return ms;
    }
    throw new Malformed(`${what} is neither a number nor an ISO 8601 date: ${quote(found)}`);
  }
  throw new Malformed(`${what} is ${describe(found)}, not a number or a date`);
}

/** A number, a numeric string, or null (a gap, NaN). */
function readScalar(found: unknown, what: string): number {
  if (found === null) return NaN;
  if (typeof found === 'number') return finite(found, what);
  if (typeof found === 'string') {
    const text = found.trim();
    if (NUMBER_TEXT.test(text)) return finite(Number(text), what);
    throw new Malformed(`${what} is not a number: ${quote(found)}`);
  }
  throw new Malformed(`${what} is ${describe(found)}, not a number`);
}

function readVector(items: unknown[], what: string): number[] {
  if (items.length === 0) throw new Malformed(`${what} is an empty array`);
  return items.map((x, i) => readScalar(x, `${what}[${i}]`));
}

function finite(x: number, what: string): number {
  if (!Number.isFinite(x)) throw new Malformed(`${what} is not finite (${x})`);
  return x;
}

/**
 * Follow a dotted path: "data.temp", "readings.0.v" (a segment of digits indexes an array).
 * Undefined when any step is missing. Only own properties, so "constructor" finds nothing.
 */
export function select(root: unknown, path: string): unknown {
  let node = root;
  for (const key of path.split('.')) {
    if (Array.isArray(node)) {
      if (!/^\d+$/.test(key)) return undefined;
      node = node[Number(key)];
    } else if (node !== null && typeof node === 'object' && Object.hasOwn(node, key)) {
      node = (node as Record<string, unknown>)[key];
    } else {
      return undefined;
    }
  }
  return node;
}

function describe(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'an array';
  if (typeof x === 'object') return 'an object';
  if (typeof x === 'boolean') return `a boolean (${x})`;
  if (x === undefined) return 'undefined';
  return `a ${typeof x}`;
}

function quote(s: string): string {
  return JSON.stringify(s.length > EXCERPT_CHARS ? s.slice(0, EXCERPT_CHARS) + '…' : s);
}

/** The message as a reader would quote it: its text, cut to EXCERPT_CHARS. */
function excerpt(data: unknown): string {
  let text: string;
  if (typeof data === 'string') text = data;
  else {
    try {
      text = JSON.stringify(data) ?? String(data);
    } catch {
      text = String(data);
    }
  }
  text = text.trim().replace(/\s+/g, ' ');
  return text.length > EXCERPT_CHARS ? `'${text.slice(0, EXCERPT_CHARS)}…'` : `'${text}'`;
}
