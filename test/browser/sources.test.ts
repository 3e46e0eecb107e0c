// src/sources.ts in Chromium against the feed server of test/support/feed-server.ts (started by
// test/support/feed-setup.ts): real WebSockets, EventSources and fetches. Each test has its own
// channel on the server. Nothing asserts on wall time: backoff is checked on the delays the
// source schedules, with small values so the tests stay quick.

import { afterEach, describe, expect, inject, it, vi } from 'vitest';
import {
  openSource,
  type Sample,
  type Source,
  type SourceErrorInfo,
  type SourceOptions,
  type SourceStatus,
} from '../../src/sources';
import type { FeedStats } from '../support/feed-server';
import { Prng } from '../../worker/core';

const FEED = inject('feedUrl');
const WAIT = { timeout: 10_000, interval: 5 };
const T = 1_700_000_000_000;

let channels = 0;
/** A fresh channel name, so no test hears another's clients. */
function channel(label: string): string {
  channels += 1;
  return `${label}-${channels}-${Math.random().toString(36).slice(2, 8)}`;
}

function wsUrl(ch: string): string {
  return `${FEED.replace(/^http/, 'ws')}/ws/${ch}`;
}
function sseUrl(ch: string): string {
  return `${FEED}/sse/${ch}`;
}
function pollUrl(ch: string): string {
  return `${FEED}/poll/${ch}`;
}

async function control<T = unknown>(ch: string, action: string, body?: string): Promise<T> {
  const res = await fetch(`${FEED}/control/${ch}/${action}`, {
    method: body === undefined && action === 'stats' ? 'GET' : 'POST',
    body,
  });
  if (!res.ok) throw new Error(`control ${action}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}
const send = (ch: string, ...messages: string[]) =>
  control<{ clients: number }>(ch, 'send', JSON.stringify(messages));
const stats = (ch: string) => control<FeedStats>(ch, 'stats');
const failNext = (ch: string, n: number) => control(ch, `fail?n=${n}`, '');
const drop = (ch: string) => control<{ dropped: number }>(ch, 'drop', '');
const setPoll = (ch: string, body: string) => control(ch, 'poll', body);

interface Recorded {
  source: Source;
  samples: Sample[];
  errors: SourceErrorInfo[];
  statuses: SourceStatus[];
  /** Values of all samples, in order. */
  values(): (number | number[])[];
  /** The status reports with this state. */
  reports(state: SourceStatus['state']): SourceStatus[];
}

const open: Source[] = [];
afterEach(() => {
  for (const s of open.splice(0)) s.close();
});

type Options = Omit<SourceOptions, 'onSamples' | 'onError' | 'onStatus'>;

function record(options: Options): Recorded {
  const samples: Sample[] = [];
  const errors: SourceErrorInfo[] = [];
  const statuses: SourceStatus[] = [];
  const source = openSource({
    ...options,
    onSamples: (s) => void samples.push(...s),
    onError: (e) => void errors.push(e),
    onStatus: (s) => void statuses.push(s),
  });
  open.push(source);
  return {
    source,
    samples,
    errors,
    statuses,
    values: () => samples.map((s) => s.value),
    reports: (state) => statuses.filter((s) => s.state === state),
  };
}

async function opened(r: Recorded): Promise<void> {
  await vi.waitFor(() => expect(r.source.status.state).toBe('open'), WAIT);
}

/** mulberry32: a seeded uniform [0, 1) generator for the jitter. */
/** Uniform [0, 1) numbers from the core's seeded generator. */
function seeded(seed: number): () => number {
  const prng = new Prng(seed);
  return () => prng.next();
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const TRANSPORTS = [
  { name: 'WebSocket', url: wsUrl },
  { name: 'SSE', url: sseUrl },
] as const;

describe.each(TRANSPORTS)('$name source', ({ url }) => {
  it('receives numbers, {t, value} objects and batches', async () => {
    const ch = channel('values');
    const r = record({ url: url(ch) });
    expect(r.statuses[0]).toMatchObject({ state: 'connecting', url: url(ch), attempt: 0 });
    await opened(r);
    const { clients } = await send(
      ch,
      '42',
      ' 42.5 ',
      `{"t": ${T}, "value": 3}`,
      '{"time": "2023-11-14T22:13:20Z", "value": null}',
      '[1, {"timestamp": 5, "value": 2}]',
      '{\n  "value": [1, 2]\n}',
    );
    expect(clients).toBe(1);
    await vi.waitFor(() => expect(r.samples).toHaveLength(7), WAIT);
    expect(r.samples).toEqual([
      { value: 42 },
      { value: 42.5 },
      { value: 3, time: T },
      { value: NaN, time: T },
      { value: 1 },
      { value: 2, time: 5 },
      { value: [1, 2] },
    ]);
    expect(r.errors).toEqual([]);
    expect(r.source.status).toMatchObject({ state: 'open', received: 7, malformed: 0, attempt: 0 });
    expect(r.statuses.map((s) => s.state)).toEqual(['connecting', 'open']);
  });

  it('selects fields with value-path and time-path', async () => {
    const ch = channel('paths');
    const r = record({ url: url(ch), valuePath: 'data.readings.1', timePath: 'meta.at' });
    await opened(r);
    await send(
      ch,
      '{"data": {"readings": [0, 21.5]}, "meta": {"at": 1000}}',
      '{"data": {"readings": [0, "22"]}, "meta": {"at": "2023-11-14T22:13:20.000Z"}}',
    );
    await vi.waitFor(() => expect(r.samples).toHaveLength(2), WAIT);
    expect(r.samples).toEqual([
      { value: 21.5, time: 1000 },
      { value: 22, time: T },
    ]);
  });

  it('counts and reports malformed messages, and carries on', async () => {
    const ch = channel('malformed');
    const r = record({ url: url(ch) });
    await opened(r);
    await send(ch, 'hello', '{"value": true}', '[1, "two"]', '7');
    await vi.waitFor(() => expect(r.samples).toHaveLength(1), WAIT);
    expect(r.values()).toEqual([7]);
    expect(r.errors.map((e) => e.code)).toEqual(Array(3).fill('malformed-message'));
    expect(r.errors[0].message).toBe("neither a number nor JSON in 'hello'");
    expect(r.errors[1].message).toMatch(/value at "value" is a boolean/);
    expect(r.errors[2].message).toMatch(/^item 1: value is not a number: "two"/);
    expect(r.source.status).toMatchObject({ state: 'open', received: 1, malformed: 3 });
    await send(ch, '8');
    await vi.waitFor(() => expect(r.values()).toEqual([7, 8]), WAIT);
    expect(r.reports('reconnecting')).toEqual([]);
  });

  it('reconnects after the connection drops, and samples resume', async () => {
    const ch = channel('drop');
    const r = record({ url: url(ch), backoff: { initialMs: 20 }, random: () => 0.5 });
    await opened(r);
    await send(ch, '1');
    await vi.waitFor(() => expect(r.values()).toEqual([1]), WAIT);

    expect(await drop(ch)).toEqual({ dropped: 1 });
    await vi.waitFor(() => expect(r.reports('reconnecting')).toHaveLength(1), WAIT);
    expect(r.reports('reconnecting')[0]).toMatchObject({ attempt: 1, retryInMs: 20 });
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0].code).toBe('connection');
    expect(r.errors[0].message).toMatch(/connection lost.*; retry 1 in 0\.0 s/);

    await vi.waitFor(() => expect(r.reports('open')).toHaveLength(2), WAIT);
    expect(r.statuses.map((s) => s.state)).toEqual([
      'connecting',
      'open',
      'reconnecting',
      'connecting',
      'open',
    ]);
    expect(r.statuses.at(-1)).toMatchObject({ attempt: 1, retryInMs: null });
    await send(ch, '2');
    await vi.waitFor(() => expect(r.values()).toEqual([1, 2]), WAIT);
    // A message on the new connection proves it works: the attempt count starts over.
    expect(r.statuses.at(-1)).toMatchObject({ state: 'open', attempt: 0 });
    expect(r.source.status).toMatchObject({ received: 2, malformed: 0 });
  });

  it('backs off longer after each failed attempt, with jitter', async () => {
    const ch = channel('backoff');
    await failNext(ch, 5);
    const initialMs = 10;
    const r = record({
      url: url(ch),
      backoff: { initialMs, factor: 2, jitter: 0.3, maxMs: 1000 },
      random: seeded(42),
    });
    await opened(r);
    const retries = r.reports('reconnecting');
    expect(retries.map((s) => s.attempt)).toEqual([1, 2, 3, 4, 5]);
    const delays = retries.map((s) => s.retryInMs ?? NaN);
    delays.forEach((delay, i) => {
      const base = initialMs * 2 ** i;
      expect(delay, `retry ${i + 1}`).toBeGreaterThanOrEqual(Math.floor(base * 0.7));
      expect(delay, `retry ${i + 1}`).toBeLessThanOrEqual(Math.ceil(base * 1.3));
      if (i > 0)
        expect(delay, `retry ${i + 1} after ${delays[i - 1]}`).toBeGreaterThan(delays[i - 1]);
    });
    // Not all exactly on the base: the jitter is there.
    expect(delays.some((d, i) => d !== initialMs * 2 ** i)).toBe(true);
    expect(r.errors.map((e) => e.code)).toEqual(Array(5).fill('connection'));
    expect(r.errors[0].message).toMatch(/could not connect/);
    expect(await stats(ch)).toMatchObject({ refused: 5, accepted: 1 });
    expect(r.source.status.attempt).toBe(5);
    await send(ch, '1');
    await vi.waitFor(() => expect(r.source.status.attempt).toBe(0), WAIT);
  });

  it('caps the delay at maxMs before jitter', async () => {
    const ch = channel('cap');
    await failNext(ch, 4);
    const r = record({
      url: url(ch),
      backoff: { initialMs: 10, factor: 3, maxMs: 40, jitter: 0.5 },
      random: () => 0.5,
    });
    await opened(r);
    expect(r.reports('reconnecting').map((s) => s.retryInMs)).toEqual([10, 30, 40, 40]);
  });

  it('stops on close(): no status, samples or reconnection after it', async () => {
    const ch = channel('close');
    const r = record({ url: url(ch), backoff: { initialMs: 5 } });
    await opened(r);
    await send(ch, '1');
    await vi.waitFor(() => expect(r.samples).toHaveLength(1), WAIT);
    r.source.close();
    expect(r.source.status).toMatchObject({ state: 'closed', retryInMs: null, received: 1 });
    const seen = {
      samples: r.samples.length,
      errors: r.errors.length,
      statuses: r.statuses.length,
    };
    await vi.waitFor(async () => expect(await stats(ch)).toMatchObject({ ws: 0, sse: 0 }), WAIT);
    await send(ch, '2');
    await drop(ch);
    await pause(100);
    expect({
      samples: r.samples.length,
      errors: r.errors.length,
      statuses: r.statuses.length,
    }).toEqual(seen);
    expect((await stats(ch)).accepted).toBe(1);
  });

  it('cancels a scheduled retry on close()', async () => {
    const ch = channel('close-retry');
    await failNext(ch, 1000);
    const r = record({ url: url(ch), backoff: { initialMs: 20, maxMs: 20 } });
    await vi.waitFor(
      () => expect(r.reports('reconnecting').length).toBeGreaterThanOrEqual(2),
      WAIT,
    );
    await vi.waitFor(() => expect(r.source.status.state).toBe('reconnecting'), WAIT);
    r.source.close();
    const attempts = (await stats(ch)).refused;
    const statuses = r.statuses.length;
    await pause(150);
    expect((await stats(ch)).refused).toBe(attempts);
    expect(r.statuses).toHaveLength(statuses);
    expect(r.source.status.state).toBe('closed');
  });
});

describe('poll source', () => {
  it('gets readings and drops the ones it has seen', async () => {
    const ch = channel('poll');
    await setPoll(ch, '[{"t": 1, "value": 10}, {"t": 2, "value": 20}]');
    const r = record({ url: pollUrl(ch), mode: 'poll', pollInterval: 10 });
    await vi.waitFor(() => expect(r.samples).toHaveLength(2), WAIT);
    expect(r.statuses.slice(0, 2).map((s) => s.state)).toEqual(['connecting', 'open']);
    // Several more polls of the same window give nothing new.
    const polls = (await stats(ch)).polls;
    await vi.waitFor(async () => expect((await stats(ch)).polls).toBeGreaterThan(polls + 2), WAIT);
    expect(r.values()).toEqual([10, 20]);

    await setPoll(ch, '[{"t": 2, "value": 20}, {"t": 3, "value": 30}, {"t": 4, "value": 40}]');
    await vi.waitFor(() => expect(r.values()).toEqual([10, 20, 30, 40]), WAIT);
    await setPoll(ch, '{"t": 4, "value": 40}');
    await setPoll(ch, '{"t": 5, "value": 50}');
    await vi.waitFor(() => expect(r.values()).toEqual([10, 20, 30, 40, 50]), WAIT);
    expect(r.samples.map((s) => s.time)).toEqual([1, 2, 3, 4, 5]);
    expect(r.errors).toEqual([]);
    expect(r.source.status).toMatchObject({ state: 'open', received: 5 });
  });

  it('yields every poll when readings carry no time', async () => {
    const ch = channel('poll-untimed');
    await setPoll(ch, '7');
    const r = record({ url: pollUrl(ch), mode: 'poll', pollInterval: 10 });
    await vi.waitFor(() => expect(r.samples.length).toBeGreaterThanOrEqual(3), WAIT);
    expect(new Set(r.values())).toEqual(new Set([7]));
  });

  it('uses value-path and time-path, and counts a malformed body without reconnecting', async () => {
    const ch = channel('poll-paths');
    await setPoll(ch, '{"reading": {"v": "1.5", "at": "2023-11-14T22:13:20Z"}}');
    const r = record({
      url: pollUrl(ch),
      mode: 'poll',
      pollInterval: 10,
      valuePath: 'reading.v',
      timePath: 'reading.at',
    });
    await vi.waitFor(() => expect(r.samples).toEqual([{ value: 1.5, time: T }]), WAIT);
    await setPoll(ch, '<html>oops</html>');
    await vi.waitFor(() => expect(r.source.status.malformed).toBeGreaterThanOrEqual(1), WAIT);
    expect(r.errors[0]).toEqual({
      code: 'malformed-message',
      message: "neither a number nor JSON in '<html>oops</html>'",
    });
    await setPoll(ch, '{"reading": {"v": 2, "at": "2023-11-14T22:13:21Z"}}');
    await vi.waitFor(() => expect(r.values()).toEqual([1.5, 2]), WAIT);
    expect(r.reports('reconnecting')).toEqual([]);
  });

  it('backs off when polls fail, then polls again', async () => {
    const ch = channel('poll-fail');
    await setPoll(ch, '[{"t": 1, "value": 1}]');
    await failNext(ch, 3);
    const r = record({
      url: pollUrl(ch),
      mode: 'poll',
      pollInterval: 10,
      backoff: { initialMs: 10 },
      random: () => 0.5,
    });
    await vi.waitFor(() => expect(r.values()).toEqual([1]), WAIT);
    expect(r.reports('reconnecting').map((s) => [s.attempt, s.retryInMs])).toEqual([
      [1, 10],
      [2, 20],
      [3, 40],
    ]);
    expect(r.errors.map((e) => e.message)).toEqual([
      expect.stringMatching(/^poll failed: HTTP 503.*; retry 1 in 0\.0 s/),
      expect.stringMatching(/^poll failed: HTTP 503.*; retry 2 in 0\.0 s/),
      expect.stringMatching(/^poll failed: HTTP 503.*; retry 3 in 0\.0 s/),
    ]);
    expect(r.source.status).toMatchObject({ state: 'open', attempt: 0 });
  });

  it('stops polling on close()', async () => {
    const ch = channel('poll-close');
    await setPoll(ch, '1');
    const r = record({ url: pollUrl(ch), mode: 'poll', pollInterval: 10 });
    await vi.waitFor(() => expect(r.samples.length).toBeGreaterThanOrEqual(2), WAIT);
    r.source.close();
    const polls = (await stats(ch)).polls;
    const samples = r.samples.length;
    await pause(100);
    expect((await stats(ch)).polls).toBeLessThanOrEqual(polls + 1); // one may have been in flight
    expect(r.samples).toHaveLength(samples);
  });
});

describe('bad URLs', () => {
  it.each([
    { url: 'ftp://example.com/feed', mode: 'auto', says: /unsupported scheme ftp:/ },
    { url: 'http://[oops', mode: 'auto', says: /^not a URL: "http:\/\/\[oops"/ },
    { url: 'ws://127.0.0.1:1/x', mode: 'poll', says: /polling needs an http\(s\) URL, not ws:/ },
  ] as const)('$url ($mode) is an error, and the source is closed', ({ url, mode, says }) => {
    const r = record({ url, mode });
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0].code).toBe('bad-url');
    expect(r.errors[0].message).toMatch(says);
    expect(r.statuses).toEqual([
      { state: 'closed', url, attempt: 0, retryInMs: null, received: 0, malformed: 0 },
    ]);
  });

  it('resolves a relative URL against the page, as an EventSource', () => {
    const r = record({ url: '/no-such-feed' });
    expect(r.statuses[0]).toMatchObject({
      state: 'connecting',
      url: new URL('/no-such-feed', location.href).href,
    });
  });
});
