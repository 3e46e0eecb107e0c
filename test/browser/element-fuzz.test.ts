// A seeded fuzz of the element's public surface: push() and pushMany() with garbage interleaved
// with valid samples, display and model attributes set to good and bad values, and a WebSocket
// and an SSE source (test/support/feed-server.ts) sending garbage, truncated and huge messages
// between valid ones. Asserted: no uncaught exception or unhandled rejection; the page's frames
// never stall over 500 ms; every bad input gets its documented error code (the expected codes are
// worked out as the inputs are made, and compared in order); every valid sample interleaved with
// the garbage is counted by the model; every forecast is finite.

import {
  afterAll,
  afterEach,
  beforeAll,
  beforeEach,
  describe,
  expect,
  inject,
  it,
  vi,
} from 'vitest';
import '../../src/lstm-forecast';
import type { ErrorEventDetail, ForecastEventDetail, LstmForecast } from '../../src/lstm-forecast';
import { Prng } from '../../worker/core';

const FEED = inject('feedUrl');
const WAIT = { timeout: 20_000, interval: 50 };
const T0 = Date.UTC(2026, 0, 1);

// ---------------------------------------------------------------------------------------------
// What the whole file watches: uncaught errors, frame gaps, forecasts

const uncaught: string[] = [];
const onError = (e: Event) => {
  if (e instanceof ErrorEvent) uncaught.push(`uncaught: ${e.message}`);
};
const onRejection = (e: PromiseRejectionEvent) => uncaught.push(`unhandled: ${String(e.reason)}`);
let worstGap = 0;
let frameLoop = 0;
let longestFrame = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) longestFrame = Math.max(longestFrame, e.duration);
}).observe({ type: 'long-animation-frame' });
beforeAll(() => {
  window.addEventListener('error', onError);
  window.addEventListener('unhandledrejection', onRejection);
  let last = performance.now();
  const frame = (t: number) => {
    worstGap = Math.max(worstGap, t - last);
    last = t;
    frameLoop = requestAnimationFrame(frame);
  };
  frameLoop = requestAnimationFrame(frame);
});
afterAll(() => {
  cancelAnimationFrame(frameLoop);
  window.removeEventListener('error', onError);
  window.removeEventListener('unhandledrejection', onRejection);
});
afterEach(() => document.body.replaceChildren());
beforeEach(() => {
  worstGap = 0;
  longestFrame = 0;
  uncaught.length = 0;
});

/** Errors, forecasts (and whether each was finite) and the model's sample count of an element. */
function watch(el: LstmForecast) {
  const seen = {
    codes: [] as string[],
    errors: [] as ErrorEventDetail[],
    forecasts: 0,
    nonFinite: 0,
    samples: 0,
  };
  el.addEventListener('forecast-error', (e) => {
    const d = (e as CustomEvent<ErrorEventDetail>).detail;
    seen.codes.push(d.code);
    seen.errors.push(d);
  });
  el.addEventListener('forecast', (e) => {
    const f = (e as CustomEvent<ForecastEventDetail>).detail;
    seen.forecasts++;
    if (![...f.mean, ...f.lower, ...f.upper, f.from].every(Number.isFinite)) seen.nonFinite++;
  });
  el.addEventListener('train', (e) => (seen.samples = e.detail.samples));
  return seen;
}

function mount(attrs: Record<string, string>): LstmForecast {
  const el = document.createElement('lstm-forecast');
  el.style.width = '360px';
  el.style.height = '200px';
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  document.body.append(el);
  return el;
}

/**
 * The page's frames never stalled over STALL_MS because of the main thread: the longest long
 * animation frame (Chromium's LoAF entries: frames held up by scripts, style and layout) is under
 * it. The gaps between requestAnimationFrame callbacks are in the message too, but not asserted:
 * on a machine whose cores other processes hold (other test runs, benchmarks), they reach 500 ms
 * and more while the page's main thread is idle (the browser's own processes wait for a core).
 */
const STALL_MS = 500;
async function expectNoStall(): Promise<void> {
  expect(PerformanceObserver.supportedEntryTypes).toContain('long-animation-frame');
  await new Promise((r) => setTimeout(r, 100)); // the last entries are delivered
  const worst = longestFrame;
  const gap = worstGap;
  longestFrame = 0;
  worstGap = 0;
  expect(
    worst,
    `the longest animation frame took ${worst.toFixed(0)} ms (longest gap between frames ${gap.toFixed(0)} ms)`,
  ).toBeLessThan(STALL_MS);
}

const ready = (el: LstmForecast) =>
  new Promise<void>((r) => el.addEventListener('ready', () => r(), { once: true }));
const nextTask = () => new Promise((r) => setTimeout(r, 0));

/** A seeded generator of the fuzz's choices. */
function chooser(seed: number) {
  const prng = new Prng(seed);
  const u = () => prng.next();
  return {
    u,
    int: (n: number) => Math.floor(u() * n),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(u() * xs.length)],
  };
}

/** A normal reading, or a gap in one of its documented forms (null, NaN, ±Infinity). */
function validValue(c: ReturnType<typeof chooser>, i: number): number | null {
  const r = c.u();
  if (r < 0.04) return null;
  if (r < 0.06) return NaN;
  if (r < 0.07) return c.u() < 0.5 ? Infinity : -Infinity;
  if (r < 0.08) return 1e15 + i; // large, still within what the model takes
  return 20 + 5 * Math.sin(i / 6) + c.u();
}

// ---------------------------------------------------------------------------------------------

describe('<lstm-forecast> fuzz', () => {
  it('push and pushMany: garbage is reported by its code, every valid sample is counted', async () => {
    const el = mount({ horizon: '6', window: '16', 'hidden-size': '8' });
    const seen = watch(el);
    await ready(el);
    const c = chooser(20260101);
    const expected: string[] = [];
    let t = T0;
    let last = T0; // the time of the latest sample taken
    let i = 0;
    let valid = 0;
    const circular: Record<string, unknown> = {};
    circular.me = circular;
    /** Garbage for push(), each with the code it must get. */
    const garbage: [string, () => void][] = [
      ['bad-value', () => el.push('12' as never, (t += 1000))],
      ['bad-value', () => el.push({ t: (t += 1000) } as never)],
      ['bad-value', () => el.push({ value: 'x' as never, t: (t += 1000) })],
      ['bad-value', () => el.push(circular as never)],
      ['bad-value', () => el.push({ value: circular as never })],
      ['bad-value', () => el.push(BigInt(c.int(1000)) as never)],
      ['bad-value', () => el.push(Symbol('s') as never)],
      ['bad-value', () => el.push((() => 1) as never)],
      ['bad-value', () => el.push(new Date() as never)],
      ['bad-value', () => el.push(true as never, (t += 1000))],
      ['bad-value', () => el.push(1e300, (t += 1000))],
      ['bad-value', () => el.push(-1e200, (t += 1000))],
      ['bad-shape', () => el.push([1, 2], (t += 1000))],
      ['bad-shape', () => el.push([], (t += 1000))],
      ['bad-time', () => el.push(1, last - 5000)], // goes back
      ['bad-time', () => el.push(1, last)], // repeats
      ['bad-time', () => el.push(1, 'yesterday')],
      ['bad-time', () => el.push(1, NaN)],
      ['bad-time', () => el.push(1, {} as never)],
      ['bad-time', () => el.push({ value: 1, t: Symbol('t') as never })],
      ['bad-shape', () => el.pushMany([1, 2, 3], [t + 1000, t + 2000])],
      ['bad-shape', () => el.pushMany([1], [t + 1000, t + 2000])],
      ['bad-shape', () => el.pushMany(null as never)],
      ['bad-shape', () => el.pushMany(42 as never)],
      ['bad-shape', () => el.pushMany({ length: -1 } as never)],
    ];
    el.push(20, (t += 1000)); // a first sample, for the times that go back from it
    last = t;
    valid++;
    for (let op = 0; op < 900; op++) {
      const r = c.u();
      if (r < 0.45) {
        // one valid sample, in one of its forms
        const v = validValue(c, i++);
        const form = c.int(3);
        t += 1000;
        if (form === 0) el.push(v, t);
        else if (form === 1) el.push({ t, value: v });
        else el.push([v] as number[], new Date(t));
        last = t;
        valid++;
      } else if (r < 0.55) {
        // a batch mixing valid samples and bad ones: the bad are reported one by one
        const n = 1 + c.int(20);
        const values: unknown[] = [];
        for (let k = 0; k < n; k++) {
          t += 1000;
          if (c.u() < 0.2) {
            values.push({ t, value: 'bad' });
            expected.push('bad-value');
          } else {
            values.push({ t, value: validValue(c, i++) });
            last = t;
            valid++;
          }
        }
        el.pushMany(values as never);
      } else {
        const [code, fn] = c.pick(garbage);
        expected.push(code);
        fn();
      }
      if (op % 25 === 24) await nextTask(); // samples of one task go as one batch
    }
    // one huge batch
    const huge = Array.from({ length: 5000 }, (_, k) => validValue(c, i + k));
    const times: number[] = huge.map(() => (t += 1000));
    el.pushMany(huge as number[], times);
    valid += huge.length;
    expect(seen.codes).toEqual(expected);
    await vi.waitFor(() => expect(seen.samples).toBe(valid), WAIT);
    await vi.waitFor(() => expect(seen.forecasts).toBeGreaterThan(0), WAIT);
    expect(seen.nonFinite).toBe(0);
    expect(uncaught).toEqual([]);
    await expectNoStall();
  }, 60_000);

  it('attributes: bad display values are bad-config once, bad model values too, and it recovers', async () => {
    const el = mount({ horizon: '4', window: '8', 'hidden-size': '4' });
    const seen = watch(el);
    await ready(el);
    const c = chooser(7);
    const expected: string[] = [];
    let t = T0;
    let i = 0;
    const feed = (n: number) => {
      for (let k = 0; k < n; k++) el.push(validValue(c, i++), (t += 1000));
    };
    feed(60);
    // max-points: a bad value is said once (until a valid one is seen), and the last good one drawn
    let lastBad: number | null = null;
    const displays: [string, string[]][] = [
      ['max-points', ['0', '-5', 'abc', '1e9', '2.5', '', '40', '200', '1']],
      ['label', ['', 'Fuzz', '<b>x</b>', 'x'.repeat(2000)]],
      ['unit', ['', '°C', '%%']],
      ['theme', ['dark', 'light', 'auto', 'neon']],
      ['paused', ['']],
    ];
    for (let op = 0; op < 60; op++) {
      const [attr, values] = c.pick(displays);
      if (attr === 'paused' && c.u() < 0.5) el.removeAttribute('paused');
      else {
        const raw = c.pick(values);
        el.setAttribute(attr, raw);
        if (attr === 'max-points') {
          const v = Number(raw);
          const ok = Number.isInteger(v) && v >= 1 && v <= 100_000;
          if (ok) lastBad = null;
          else if (lastBad === null || !Object.is(lastBad, v)) {
            expected.push('bad-config');
            lastBad = v;
          }
        }
      }
      await el.updateComplete;
      feed(1 + c.int(5));
    }
    expect(seen.codes).toEqual(expected);
    // model attributes: each bad one is bad-config (no model-rebuilt), each good one rebuilds
    const models: [string, string, boolean][] = [
      ['horizon', 'abc', false],
      ['horizon', '0', false],
      ['horizon', '5', true],
      ['window', '1e9', false],
      ['window', '12', true],
      ['hidden-size', '-3', false],
      ['hidden-size', '6', true],
      ['coverage', '2', false],
      ['coverage', '0.9', true],
      ['layers', '1000', false],
      ['layers', '2', true],
      ['learning-rate', 'NaN', false],
      ['learning-rate', '0.01', true],
    ];
    for (let op = 0; op < 8; op++) {
      seen.codes.length = 0;
      const [attr, raw, good] = c.pick(models);
      if (el.getAttribute(attr) === raw) continue; // no change, nothing said
      el.setAttribute(attr, raw);
      const want = good ? ['model-rebuilt'] : ['bad-config'];
      await vi.waitFor(() => expect(seen.codes).toEqual(want), WAIT);
      feed(3);
      if (!good) {
        el.setAttribute(attr, models.find(([a, , g]) => a === attr && g)![1]);
        await vi.waitFor(() => expect(seen.codes).toEqual([...want, 'model-rebuilt']), WAIT);
      }
    }
    // running again: forecasts come, finite
    const before = seen.forecasts;
    feed(80);
    await vi.waitFor(() => expect(seen.forecasts).toBeGreaterThan(before), WAIT);
    expect(seen.nonFinite).toBe(0);
    expect(uncaught).toEqual([]);
    await expectNoStall();
  }, 60_000);

  for (const transport of ['ws', 'sse'] as const) {
    it(`a ${transport === 'ws' ? 'WebSocket' : 'an SSE'} source sending garbage, truncated and huge messages`, async () => {
      const ch = `fuzz-${transport}-${Math.random().toString(36).slice(2, 8)}`;
      const url =
        transport === 'ws' ? `${FEED.replace(/^http/, 'ws')}/ws/${ch}` : `${FEED}/sse/${ch}`;
      const el = mount({ src: url, horizon: '4', window: '8', 'hidden-size': '4' });
      const seen = watch(el);
      await ready(el);
      const status = () => el.shadowRoot!.querySelector('[part="status"]')!.textContent ?? '';
      await vi.waitFor(() => expect(status()).toMatch(/live/), WAIT);
      const c = chooser(transport === 'ws' ? 11 : 12);
      const expected: string[] = [];
      let t = T0;
      let i = 0;
      let valid = 0;
      const letters = '~abcxyz{}[]":,!@#$%^&*()_=<>?/|';
      const messages: string[] = [];
      // one garbage message of 1 MB first, and 256 KB ones among the others
      messages.push('~' + 'x'.repeat(1 << 20));
      expected.push('malformed-message');
      const good = () => JSON.stringify({ t: (t += 1000), value: 20 + 5 * Math.sin(i++ / 6) });
      for (let op = 0; op < 300; op++) {
        const r = c.u();
        if (r < 0.5) {
          messages.push(good());
          valid++;
        } else if (r < 0.6) {
          // a batch of valid readings, gaps among them
          const n = 1 + c.int(30);
          const batch = Array.from({ length: n }, () => ({
            t: (t += 1000),
            value: c.u() < 0.1 ? null : 20 + Math.sin(i++ / 6),
          }));
          messages.push(JSON.stringify(batch));
          valid += n;
        } else if (r < 0.7) {
          // truncated: a strict prefix of an object is never JSON
          const m = good();
          messages.push(m.slice(0, 1 + c.int(m.length - 1)));
          expected.push('malformed-message');
        } else if (r < 0.8) {
          // random garbage that starts with no digit, sign or dot
          const n = 1 + c.int(60);
          let s = '~';
          for (let k = 0; k < n; k++) s += letters[c.int(letters.length)];
          messages.push(s);
          expected.push('malformed-message');
        } else if (r < 0.85) {
          messages.push(
            c.pick([
              '{"t": 1, "value": "abc"}',
              '{"value": true}',
              '{"t": "yesterday", "value": 1}',
              '[1, "x", 3]',
              'NaN',
              'Infinity',
              '0x1f',
              '{}',
              '[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]',
              '',
            ]),
          );
          expected.push('malformed-message');
        } else if (r < 0.88) {
          // huge garbage: 256 KB
          messages.push('~' + 'x'.repeat(1 << 18));
          expected.push('malformed-message');
        } else if (r < 0.9) {
          // a time that goes back: a valid message the element refuses
          messages.push(JSON.stringify({ t: t - 10_000, value: 1 }));
          expected.push('bad-time');
        } else {
          messages.push(good());
          valid++;
        }
      }
      // a huge valid batch: 5,000 readings in one message
      messages.push(
        JSON.stringify(
          Array.from({ length: 5000 }, () => ({ t: (t += 1000), value: Math.sin(i++ / 6) })),
        ),
      );
      valid += 5000;
      // sent in a few requests, so that the messages of one arrive together
      for (let k = 0; k < messages.length; k += 40) {
        const res = await fetch(`${FEED}/control/${ch}/send`, {
          method: 'POST',
          body: JSON.stringify(messages.slice(k, k + 40)),
        });
        expect(res.ok).toBe(true);
      }
      await vi.waitFor(() => expect(seen.samples).toBe(valid), WAIT);
      expect(seen.codes).toEqual(expected);
      expect(seen.nonFinite).toBe(0);
      expect(seen.forecasts).toBeGreaterThan(0);
      await vi.waitFor(
        () =>
          expect(status()).toContain(
            `${expected.filter((x) => x === 'malformed-message').length} malformed`,
          ),
        WAIT,
      );
      expect(uncaught).toEqual([]);
      await expectNoStall();
    }, 60_000);
  }
});
