// Bad input through the element's public surface that used to throw or hang: values an error
// message cannot JSON.stringify, pushMany with times that do not match, max-points="0", a bad
// model attribute corrected afterwards, and the status line after 1e300 inputs. Each becomes a
// documented error code (or treatment), and the element carries on.

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import '../../src/lstm-forecast';
import type { ErrorEventDetail, ForecastEventDetail, LstmForecast } from '../../src/lstm-forecast';

const WAIT = { timeout: 20_000, interval: 50 };

function mount(attrs: Record<string, string> = {}): LstmForecast {
  const el = document.createElement('lstm-forecast');
  el.style.width = '480px';
  el.style.height = '240px';
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  document.body.append(el);
  return el;
}

function nextEvent<T>(el: EventTarget, type: string, ok: (d: T) => boolean = () => true) {
  return new Promise<T>((resolve) => {
    const on = (e: Event) => {
      const d = (e as CustomEvent<T>).detail;
      if (!ok(d)) return;
      el.removeEventListener(type, on);
      resolve(d);
    };
    el.addEventListener(type, on);
  });
}

function errorsOf(el: LstmForecast): ErrorEventDetail[] {
  const errors: ErrorEventDetail[] = [];
  el.addEventListener('forecast-error', (e) =>
    errors.push((e as CustomEvent<ErrorEventDetail>).detail),
  );
  return errors;
}

function sine(n: number, from = 0): number[] {
  return Array.from({ length: n }, (_, i) => 20 + 5 * Math.sin((2 * Math.PI * (from + i)) / 24));
}

const status = (el: LstmForecast) =>
  el.shadowRoot!.querySelector('[part="status"]')!.textContent ?? '';

/** Uncaught exceptions and unhandled rejections on the page (the element's own `error` events bubble to window too: those are CustomEvents). */
const uncaught: string[] = [];
const onError = (e: Event) => {
  if (e instanceof ErrorEvent) uncaught.push(`uncaught: ${e.message}`);
};
const onRejection = (e: PromiseRejectionEvent) => uncaught.push(`unhandled: ${String(e.reason)}`);
beforeEach(() => {
  uncaught.length = 0;
  window.addEventListener('error', onError);
  window.addEventListener('unhandledrejection', onRejection);
});
afterEach(() => {
  window.removeEventListener('error', onError);
  window.removeEventListener('unhandledrejection', onRejection);
  document.body.replaceChildren();
});

describe('<lstm-forecast> bad input', () => {
  it('a circular object or a BigInt is a bad-value error event, not a TypeError', async () => {
    const el = mount();
    await nextEvent(el, 'ready');
    const errors = errorsOf(el);
    const circular: Record<string, unknown> = { a: 1 };
    circular.self = circular;
    const withBadJson = { toJSON: () => { throw new Error('no'); } }; // prettier-ignore
    expect(() => el.push(circular as never)).not.toThrow();
    expect(() => el.push({ value: circular as never })).not.toThrow();
    expect(() => el.push(1n as never)).not.toThrow();
    expect(() => el.push({ value: [2n] as never })).not.toThrow();
    expect(() => el.push(withBadJson as never)).not.toThrow();
    expect(() => el.push(1, circular as never)).not.toThrow();
    expect(() => el.push(Object.create(null) as never)).not.toThrow();
    expect(errors.map((e) => e.code)).toEqual([
      'bad-value', // circular: no "value" field
      'bad-value',
      'bad-value',
      'bad-value',
      'bad-value',
      'bad-time',
      'bad-value',
    ]);
    expect(errors[2].message).toMatch(/1n is not a number/);
    el.push(3);
    const t = await nextEvent<{ samples: number }>(el, 'train');
    expect(t.samples).toBe(1);
    expect(uncaught).toEqual([]);
  });

  it('pushMany with more or fewer times than values is a bad-shape error, and takes nothing', async () => {
    const el = mount();
    await nextEvent(el, 'ready');
    const errors = errorsOf(el);
    const t0 = Date.UTC(2026, 0, 1);
    el.pushMany([1, 2, 3], [t0, t0 + 1000]);
    el.pushMany([1, 2], [t0, t0 + 1000, t0 + 2000]);
    el.pushMany(null as never);
    el.pushMany([1, 2], 7 as never);
    expect(errors.map((e) => e.code)).toEqual(['bad-shape', 'bad-shape', 'bad-shape', 'bad-shape']);
    expect(errors[0].message).toMatch(/3 value\(s\) but 2 time\(s\)/);
    el.pushMany([4, 5], [t0 + 5000, t0 + 6000]);
    const t = await nextEvent<{ samples: number }>(el, 'train');
    expect(t.samples).toBe(2);
    expect(uncaught).toEqual([]);
  });

  it('max-points="0" (or "abc", or 1e9) is reported as bad-config, the default drawn; valid again, it is used', async () => {
    const el = mount({ 'max-points': '0', horizon: '4' });
    const errors = errorsOf(el);
    await nextEvent(el, 'ready');
    const forecast = nextEvent<ForecastEventDetail>(el, 'forecast');
    el.pushMany(sine(120));
    expect((await forecast).mean).toHaveLength(4);
    expect(errors.map((e) => e.code)).toEqual(['bad-config']); // at the first render
    expect(errors[0].message).toMatch(/found "0"; drawing 500/);
    el.setAttribute('max-points', 'abc');
    await el.updateComplete;
    el.setAttribute('max-points', '1e9');
    await el.updateComplete;
    expect(errors.map((e) => e.code)).toEqual(['bad-config', 'bad-config', 'bad-config']);
    expect(errors[1].message).toMatch(
      /max-points must be a whole number in \[1, 100000\], found "abc"; drawing 500/,
    );
    el.setAttribute('max-points', '1e9'); // the same bad value again: said once
    el.setAttribute('max-points', '40');
    await el.updateComplete;
    el.pushMany(sine(10, 120));
    await vi.waitFor(() => expect(status(el)).toMatch(/130 samples/), WAIT);
    expect(errors).toHaveLength(3);
    expect(uncaught).toEqual([]);
  });

  it('max-points="0" from the start: no exception, and the element still forecasts', async () => {
    const errors: ErrorEventDetail[] = [];
    const el = document.createElement('lstm-forecast');
    el.addEventListener('forecast-error', (e) =>
      errors.push((e as CustomEvent<ErrorEventDetail>).detail),
    );
    el.setAttribute('max-points', '0');
    el.setAttribute('horizon', '4');
    document.body.append(el);
    await nextEvent(el, 'ready');
    expect(errors.map((e) => e.code)).toEqual(['bad-config']);
    const forecast = nextEvent<ForecastEventDetail>(el, 'forecast');
    el.pushMany(sine(100));
    expect((await forecast).mean).toHaveLength(4);
    expect(uncaught).toEqual([]);
  });

  it('a bad model attribute is reported once; corrected, the model is built and fed what came meanwhile', async () => {
    const errors: ErrorEventDetail[] = [];
    const el = document.createElement('lstm-forecast');
    el.addEventListener('forecast-error', (e) =>
      errors.push((e as CustomEvent<ErrorEventDetail>).detail),
    );
    el.setAttribute('horizon', 'abc');
    document.body.append(el);
    await vi.waitFor(() => expect(errors.map((e) => e.code)).toEqual(['bad-config']), WAIT);
    expect(errors[0].message).not.toMatch(/found null/);
    expect(errors[0].message).toMatch(/horizon must be an integer in \[1, 512\], found NaN/);
    expect(errors[0].message).toMatch(/attribute horizon="abc"/);
    await expect(el.ready()).rejects.toThrow(/horizon/);
    const t0 = Date.UTC(2026, 0, 1);
    el.pushMany(sine(60).map((value, i) => ({ t: t0 + i * 1000, value })));
    await vi.waitFor(() => expect(status(el)).toMatch(/60 samples.*no model/), WAIT);
    const ready = nextEvent(el, 'ready');
    const forecast = nextEvent<ForecastEventDetail>(el, 'forecast', (d) => d.mean.length === 5);
    el.setAttribute('horizon', '5');
    await ready;
    expect(await forecast).toBeTruthy();
    await vi.waitFor(
      () => expect(errors.map((e) => e.code)).toEqual(['bad-config', 'model-rebuilt']),
      WAIT,
    );
    const trained = nextEvent<{ samples: number }>(el, 'train', (d) => d.samples === 61);
    el.push(20, t0 + 60_000);
    expect((await trained).samples).toBe(61); // the 60 pushed while there was no model, and this one

    // while running: a bad value freezes nothing, says nothing was rebuilt, and recovers
    const lease = el.forecasterLease;
    for (const [attr, bad] of [
      ['hidden-size', '-3'],
      ['window', '1e9'],
      ['coverage', '2'],
      ['layers', '1000'],
    ]) {
      errors.length = 0;
      el.setAttribute(attr, bad);
      await vi.waitFor(() => expect(errors.map((e) => e.code)).toEqual(['bad-config']), WAIT);
      expect(errors[0].message).toContain(`attribute ${attr}="${bad}"`);
      el.removeAttribute(attr); // back to the default
      await vi.waitFor(
        () => expect(errors.map((e) => e.code)).toEqual(['bad-config', 'model-rebuilt']),
        WAIT,
      );
    }
    expect(el.forecasterLease).not.toBe(lease);
    const after = nextEvent<ForecastEventDetail>(el, 'forecast');
    el.push(21, t0 + 61_000);
    expect((await after).mean.every(Number.isFinite)).toBe(true);
    expect(uncaught).toEqual([]);
  }, 60_000);

  it('1e300 is a bad-value (beyond ±1e100), and the status line shows a skill it can show', async () => {
    const el = mount({ horizon: '12' });
    await nextEvent(el, 'ready');
    const errors = errorsOf(el);
    const values = sine(400).map((v, i) => (i === 200 ? 1e300 : i === 300 ? -1e101 : v));
    const done = nextEvent<{ samples: number }>(el, 'train', (d) => d.samples === 398);
    el.pushMany(values);
    expect(errors.map((e) => e.code)).toEqual(['bad-value', 'bad-value']);
    expect(errors[0].message).toMatch(/1e\+300 is beyond ±1e\+100/);
    await done;
    await vi.waitFor(() => expect(status(el)).toMatch(/398 samples.*skill/), WAIT);
    expect(status(el)).toMatch(/skill (–|< -999%|[+-]?\d{1,3}%) vs naive/);
    expect(uncaught).toEqual([]);
  });
});
