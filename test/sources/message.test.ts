// The message formats of live sources: every accepted form with the samples it gives, every
// rejected form with the error it gives.

import { describe, expect, it } from 'vitest';
import { parseMessage, type Sample } from '../../src/sources';

const T = 1_700_000_000_000;

interface Accepted {
  name: string;
  data: unknown;
  valuePath?: string;
  timePath?: string;
  samples: Sample[];
}

const accepted: Accepted[] = [
  { name: 'a bare number', data: '42', samples: [{ value: 42 }] },
  { name: 'a number with spaces', data: ' 42.5 \n', samples: [{ value: 42.5 }] },
  { name: 'a negative exponent form', data: '-1.5e-3', samples: [{ value: -0.0015 }] },
  { name: 'a leading dot and a plus sign', data: '+.5', samples: [{ value: 0.5 }] },
  { name: 'a JSON string holding a number', data: '"42"', samples: [{ value: 42 }] },
  { name: 'JSON null: a gap', data: 'null', samples: [{ value: NaN }] },
  { name: '{t, value}', data: `{"t": ${T}, "value": 3}`, samples: [{ value: 3, time: T }] },
  { name: '{time, value}', data: `{"time": ${T}, "value": 3}`, samples: [{ value: 3, time: T }] },
  {
    name: '{timestamp, value}',
    data: `{"timestamp": ${T}, "value": 3}`,
    samples: [{ value: 3, time: T }],
  },
  { name: 'an object without a time', data: '{"value": 3}', samples: [{ value: 3 }] },
  { name: 'a numeric string value', data: '{"value": " 3.5"}', samples: [{ value: 3.5 }] },
  {
    name: 'a null value: a gap',
    data: `{"t": 5, "value": null}`,
    samples: [{ value: NaN, time: 5 }],
  },
  { name: 'a null time: no time', data: '{"t": null, "value": 1}', samples: [{ value: 1 }] },
  {
    name: 'a numeric string time',
    data: '{"t": "17", "value": 1}',
    samples: [{ value: 1, time: 17 }],
  },
  {
    name: 'an ISO date-time with Z',
    data: '{"t": "2023-11-14T22:13:20Z", "value": 1}',
    samples: [{ value: 1, time: T }],
  },
  {
    name: 'an ISO date-time with an offset and milliseconds',
    data: '{"time": "2023-11-15T00:13:20.000+02:00", "value": 1}',
    samples: [{ value: 1, time: T }],
  },
  {
    name: 'an ISO date: midnight UTC',
    data: '{"time": "2024-01-01", "value": 1}',
    samples: [{ value: 1, time: Date.UTC(2024, 0, 1) }],
  },
  {
    name: 't is preferred to time',
    data: '{"t": 1, "time": 2, "value": 0}',
    samples: [{ value: 0, time: 1 }],
  },
  {
    name: 'other fields are ignored',
    data: '{"value": 2, "unit": "C", "sensor": {"id": 4}}',
    samples: [{ value: 2 }],
  },
  {
    name: 'a multivariate value',
    data: '{"value": [1, "2", null]}',
    samples: [{ value: [1, 2, NaN] }],
  },
  {
    name: 'a batch of numbers, strings, nulls and objects',
    data: `[1, "2", null, {"t": ${T}, "value": 4}]`,
    samples: [{ value: 1 }, { value: 2 }, { value: NaN }, { value: 4, time: T }],
  },
  {
    name: 'a batch of multivariate rows',
    data: '[[1, 2], [3, null]]',
    samples: [{ value: [1, 2] }, { value: [3, NaN] }],
  },
  { name: 'an empty batch', data: '[]', samples: [] },
  {
    name: 'a value path',
    data: '{"data": {"temp": 21.5}, "t": 9}',
    valuePath: 'data.temp',
    samples: [{ value: 21.5, time: 9 }],
  },
  {
    name: 'a value path through an array index',
    data: '{"readings": [{"v": 7}, {"v": 8}]}',
    valuePath: 'readings.1.v',
    samples: [{ value: 8 }],
  },
  {
    name: 'a value path and a time path',
    data: '{"payload": {"temp": "20", "at": "2023-11-14T22:13:20Z"}}',
    valuePath: 'payload.temp',
    timePath: 'payload.at',
    samples: [{ value: 20, time: T }],
  },
  {
    name: 'a value path selecting an array: multivariate',
    data: '{"xyz": [0.1, 0.2, 0.3]}',
    valuePath: 'xyz',
    samples: [{ value: [0.1, 0.2, 0.3] }],
  },
  {
    name: 'paths applied to each object of a batch',
    data: '[{"d": {"v": 1}, "ts": 1}, {"d": {"v": 2}, "ts": 2}]',
    valuePath: 'd.v',
    timePath: 'ts',
    samples: [
      { value: 1, time: 1 },
      { value: 2, time: 2 },
    ],
  },
  { name: 'a bare number with a value path', data: '5', valuePath: 'a.b', samples: [{ value: 5 }] },
  { name: 'already parsed JSON: a number', data: 6, samples: [{ value: 6 }] },
  { name: 'already parsed JSON: null', data: null, samples: [{ value: NaN }] },
  {
    name: 'already parsed JSON: an array of objects',
    data: [
      { t: 1, value: 2 },
      { timestamp: 2, value: 3 },
    ],
    samples: [
      { value: 2, time: 1 },
      { value: 3, time: 2 },
    ],
  },
];

interface Rejected {
  name: string;
  data: unknown;
  valuePath?: string;
  timePath?: string;
  /** What the error message must say. */
  says: RegExp;
}

const rejected: Rejected[] = [
  { name: 'an empty message', data: '', says: /^empty message in ''$/ },
  { name: 'only spaces', data: '  \n ', says: /^empty message/ },
  { name: 'a word', data: 'hello', says: /^neither a number nor JSON in 'hello'$/ },
  { name: 'NaN as text', data: 'NaN', says: /^neither a number nor JSON in 'NaN'$/ },
  { name: 'Infinity as text', data: 'Infinity', says: /^neither a number nor JSON/ },
  { name: 'a number with units', data: '42 C', says: /^neither a number nor JSON in '42 C'$/ },
  { name: 'hex', data: '0x10', says: /^neither a number nor JSON/ },
  { name: 'broken JSON', data: '{"value": 1', says: /^neither a number nor JSON/ },
  { name: 'a number too large for a double', data: '1e400', says: /^number is not finite/ },
  {
    name: 'a JSON string that is not a number',
    data: '"abc"',
    says: /^value is not a number: "abc"/,
  },
  { name: 'a JSON string "NaN"', data: '"NaN"', says: /^value is not a number: "NaN"/ },
  { name: 'a boolean', data: 'true', says: /^a reading cannot be a boolean \(true\) in 'true'$/ },
  { name: 'an object without value', data: '{"t": 1, "v": 2}', says: /^no value at "value"/ },
  {
    name: 'a boolean value',
    data: '{"value": false}',
    says: /^value at "value" is a boolean \(false\)/,
  },
  { name: 'an object value', data: '{"value": {"x": 1}}', says: /^value at "value" is an object/ },
  {
    name: 'a word as value',
    data: '{"value": "high"}',
    says: /^value at "value" is not a number: "high"/,
  },
  { name: 'an empty vector', data: '{"value": []}', says: /^value at "value" is an empty array/ },
  {
    name: 'a vector with a word',
    data: '{"value": [1, "x"]}',
    says: /^value at "value"\[1\] is not a number: "x"/,
  },
  {
    name: 'a nested vector',
    data: '{"value": [1, [2]]}',
    says: /^value at "value"\[1\] is an array, not a number/,
  },
  {
    name: 'a time that is no date',
    data: '{"t": "yesterday", "value": 1}',
    says: /^time at "t" is neither a number nor an ISO 8601 date: "yesterday"/,
  },
  {
    name: 'a date Date.parse would guess at',
    data: '{"time": "March 7, 2024", "value": 1}',
    says: /^time at "time" is neither a number nor an ISO 8601 date/,
  },
  {
    name: 'an impossible ISO date',
    data: '{"time": "2024-13-45", "value": 1}',
    says: /^time at "time" is neither/,
  },
  { name: 'a boolean time', data: '{"t": true, "value": 1}', says: /^time at "t" is a boolean/ },
  {
    name: 'a missing value path',
    data: '{"data": {"temp": 1}}',
    valuePath: 'data.humidity',
    says: /^no value at "data.humidity"/,
  },
  {
    name: 'a value path indexing past an array',
    data: '{"r": [1]}',
    valuePath: 'r.3',
    says: /^no value at "r.3"/,
  },
  {
    name: 'a value path with a word for an index',
    data: '{"r": [1]}',
    valuePath: 'r.first',
    says: /^no value at "r.first"/,
  },
  {
    name: 'a value path into inherited properties',
    data: '{"value": 1}',
    valuePath: 'constructor',
    says: /^no value at "constructor"/,
  },
  {
    name: 'a missing time path',
    data: '{"value": 1, "t": 2}',
    timePath: 'ts',
    says: /^no time at "ts"/,
  },
  {
    name: 'a null time at a time path',
    data: '{"value": 1, "ts": null}',
    timePath: 'ts',
    says: /^no time at "ts"/,
  },
  {
    name: 'a batch with one bad item, rejected whole',
    data: '[1, 2, "three", 4]',
    says: /^item 2: value is not a number: "three" in '\[1, 2, "three", 4\]'$/,
  },
  {
    name: 'a batch holding a boolean',
    data: '[1, true]',
    says: /^item 1: a reading cannot be a boolean/,
  },
  { name: 'already parsed: NaN', data: NaN, says: /^value is not finite \(NaN\)/ },
  { name: 'already parsed: undefined', data: undefined, says: /^a reading cannot be undefined/ },
  { name: 'already parsed: a boolean', data: false, says: /^a reading cannot be a boolean/ },
];

describe('parseMessage', () => {
  describe('accepts', () => {
    it.each(accepted)('$name', ({ data, valuePath, timePath, samples }) => {
      expect(parseMessage(data, valuePath, timePath)).toEqual(samples);
    });
  });

  describe('rejects', () => {
    it.each(rejected)('$name', ({ data, valuePath, timePath, says }) => {
      const result = parseMessage(data, valuePath, timePath);
      expect(Array.isArray(result), `accepted as ${JSON.stringify(result)}`).toBe(false);
      if (Array.isArray(result)) return;
      expect(result.code).toBe('malformed-message');
      expect(result.message).toMatch(says);
    });
  });

  it('quotes a long message cut to 80 characters', () => {
    const long = `{"value": "${'x'.repeat(200)}"}`;
    const result = parseMessage(long);
    if (Array.isArray(result)) throw new Error('accepted');
    const quoted = /in '(.*)'$/.exec(result.message)?.[1] ?? '';
    expect(quoted.length).toBe(81);
    expect(quoted.endsWith('…')).toBe(true);
    expect(result.message.length).toBeLessThan(260);
  });

  it('quotes a multi-line message on one line', () => {
    const result = parseMessage('{\n  "value": true\n}');
    if (Array.isArray(result)) throw new Error('accepted');
    expect(result.message).toBe(
      `value at "value" is a boolean (true), not a number in '{ "value": true }'`,
    );
  });

  it('never throws, whatever it is given', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    for (const data of [cyclic, Symbol('s'), 10n, () => 1, new Map(), [cyclic]]) {
      const result = parseMessage(data);
      expect(Array.isArray(result), String(typeof data)).toBe(false);
    }
  });
});
