// <lstm-forecast> in a real browser: it renders and draws, pushes lead to forecasts, attributes
// rebuild the model or only the display, bad input becomes error events, it survives a worker
// that dies, persists across a "reload", releases its forecaster, and passes an axe check.

import axe from 'axe-core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import '../../src/lstm-forecast';
import type {
  ErrorEventDetail,
  ForecastEventDetail,
  LstmForecast,
  TrainEventDetail,
} from '../../src/lstm-forecast';
import { sharedPool } from '../../src/pool';

const WAIT = { timeout: 20_000, interval: 50 };

function mount(attrs: Record<string, string> = {}): LstmForecast {
  const el = document.createElement('lstm-forecast');
  el.style.width = '640px';
  el.style.height = '280px';
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  document.body.append(el);
  return el;
}

function sine(n: number, from = 0): number[] {
  return Array.from({ length: n }, (_, i) => 20 + 5 * Math.sin((2 * Math.PI * (from + i)) / 24));
}

function nextEvent<T>(
  el: EventTarget,
  type: string,
  ok: (d: T) => boolean = () => true,
): Promise<T> {
  return new Promise((resolve) => {
    const on = (e: Event) => {
      const d = (e as CustomEvent<T>).detail;
      if (!ok(d)) return;
      el.removeEventListener(type, on);
      resolve(d);
    };
    el.addEventListener(type, on);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const frames = (n = 2) =>
  new Promise<void>((r) => {
    const step = (k: number) => (k === 0 ? r() : requestAnimationFrame(() => step(k - 1)));
    step(n);
  });

function canvasInk(el: LstmForecast): number {
  const canvas = el.shadowRoot!.querySelector('canvas')!;
  const ctx = canvas.getContext('2d')!;
  const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
  let ink = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i] > 0) ink++;
  return ink;
}

afterEach(() => {
  document.body.replaceChildren();
});

describe('<lstm-forecast>', () => {
  it('renders, draws the history and forecast, and emits forecast and train events', async () => {
    const errors: unknown[] = [];
    const spy = vi.spyOn(console, 'error').mockImplementation((...a) => errors.push(a));
    const el = mount({ label: 'Temperature', unit: '°C', horizon: '8' });
    await nextEvent(el, 'ready');
    const trained = nextEvent(el, 'train');
    const forecast = nextEvent<ForecastEventDetail>(el, 'forecast');
    el.pushMany(sine(200));
    const f = await forecast;
    await trained;
    expect(f.mean).toHaveLength(8);
    expect(f.time).toHaveLength(8);
    for (let k = 0; k < 8; k++) {
      expect(f.lower[k]).toBeLessThanOrEqual(f.mean[k]);
      expect(f.upper[k]).toBeGreaterThanOrEqual(f.mean[k]);
      expect(f.mean[k]).toBeGreaterThan(10);
      expect(f.mean[k]).toBeLessThan(30);
    }
    await frames(3);
    expect(canvasInk(el)).toBeGreaterThan(1000);
    // the status line and the text alternative refresh at most once a second
    const status = () => el.shadowRoot!.querySelector('[part="status"]')!.textContent!;
    await vi.waitFor(() => expect(status()).toMatch(/200 samples/), WAIT);
    const chart = el.shadowRoot!.querySelector('[part="chart"]')!;
    await vi.waitFor(
      () => expect(chart.getAttribute('aria-label')).toMatch(/Forecast for the next 8 steps/),
      WAIT,
    );
    expect(chart.getAttribute('aria-label')).toMatch(/Temperature: 200 samples, latest/);
    spy.mockRestore();
    expect(errors).toEqual([]);
  });

  it('fits its header and legend in its box when narrow: cut text ends in an ellipsis, values stay whole', async () => {
    const problems: string[] = [];
    for (const width of [240, 300, 450]) {
      const el = mount({ label: 'Boiler temperature, north wing, second floor', unit: '°C' });
      el.style.width = `${width}px`;
      await nextEvent(el, 'ready');
      el.pushMany(sine(100));
      await nextEvent(el, 'forecast');
      await frames(3);
      const host = el.getBoundingClientRect();
      const root = el.shadowRoot!;
      const boxes = root.querySelectorAll<HTMLElement>(
        '[part="header"], [part="header"] *, [part="legend"], [part="legend"] *',
      );
      let values = 0;
      for (const box of boxes) {
        const style = getComputedStyle(box);
        const r = box.getBoundingClientRect();
        if (style.visibility === 'hidden' || r.width === 0 || r.height === 0) continue; // no box
        if (style.position === 'absolute' && r.width <= 1) continue; // visually hidden
        const name = `${width} px: ${box.className || box.tagName} "${box.textContent?.trim()}"`;
        if (r.left < host.left - 0.5 || r.right > host.right + 0.5) {
          problems.push(`${name} spans ${r.left}..${r.right}, outside ${host.left}..${host.right}`);
        }
        const cut = box.scrollWidth > box.clientWidth && style.overflowX !== 'visible';
        if (cut && style.textOverflow !== 'ellipsis') {
          problems.push(
            `${name} is cut (${box.scrollWidth} > ${box.clientWidth} px) without an ellipsis`,
          );
        }
        if (box.classList.contains('u-value')) {
          values++;
          if (box.scrollWidth > box.clientWidth) problems.push(`${name}: a value is cut`);
        }
      }
      expect(values, `${width} px: legend values shown`).toBeGreaterThanOrEqual(2);
      el.remove();
    }
    expect(problems).toEqual([]);
  });

  it('dispatches one train event per update of the model, not one per message from the worker', async () => {
    // The worker sends an update when it has taken a sample in, and another when it has trained
    // on it: a listener is to see one `train` event per sample, the one after training.
    const el = mount({ horizon: '4', window: '8' });
    await nextEvent(el, 'ready');
    el.pushMany(sine(60));
    await nextEvent<TrainEventDetail>(el, 'train', (d) => d.samples === 60 && d.trainSteps > 0);
    // the batch's training settles (its pre-training too): no step for 300 ms
    let steps = -1;
    for (;;) {
      const now = (await el.forecasterLease!.stats()).trainSteps;
      if (now === steps) break;
      steps = now;
      await sleep(300);
    }
    const seen: TrainEventDetail[] = [];
    el.addEventListener('train', (e) => seen.push(e.detail));
    for (let i = 0; i < 6; i++) {
      el.push(sine(1, 60 + i)[0]);
      await vi.waitFor(() => expect(seen.at(-1)?.samples).toBe(61 + i), WAIT);
      await sleep(200); // room for a second event about the same sample, if any
    }
    await sleep(1500);
    const perSample = new Map<number, number>();
    for (const d of seen) perSample.set(d.samples, (perSample.get(d.samples) ?? 0) + 1);
    expect(Object.fromEntries(perSample)).toEqual({ 61: 1, 62: 1, 63: 1, 64: 1, 65: 1, 66: 1 });
    // each is about training done on its sample
    for (let i = 1; i < seen.length; i++) {
      expect(seen[i].trainSteps, `train event ${i}`).toBeGreaterThan(seen[i - 1].trainSteps);
    }
  });

  it('names in each forecast event the sample it starts from: last { time, value }', async () => {
    const el = mount({ horizon: '4' });
    await nextEvent(el, 'ready');
    const t0 = Date.UTC(2026, 0, 1);
    const values = sine(80);
    el.pushMany(values.map((value, i) => ({ t: t0 + i * 1000, value })));
    const f = await nextEvent<ForecastEventDetail>(el, 'forecast', (d) => d.from === t0 + 79_000);
    expect(f.last).toEqual({ time: t0 + 79_000, value: values[79] });
    el.push(null, t0 + 80_000); // a gap
    const gap = await nextEvent<ForecastEventDetail>(el, 'forecast', (d) => d.from > f.from);
    expect(gap.last).toEqual({ time: t0 + 80_000, value: null });
    el.push(21.5, t0 + 81_000);
    const next = await nextEvent<ForecastEventDetail>(el, 'forecast', (d) => d.from > gap.from);
    expect(next.last).toEqual({ time: t0 + 81_000, value: 21.5 });
  });

  it('numbers forecasts by its own sample indices, after a rebuild and after a reload too', async () => {
    const key = `last-${Math.random()}`;
    const a = mount({ horizon: '4', 'max-points': '50', persist: key });
    await nextEvent(a, 'ready');
    const values = sine(120);
    a.pushMany(values); // no times: sample indices 0..119
    const f = await nextEvent<ForecastEventDetail>(a, 'forecast', (d) => d.from === 119);
    expect(f.last).toEqual({ time: 119, value: values[119] });
    expect(f.time).toEqual([120, 121, 122, 123]);

    // The new model is fed the drawn history (the newest 50 to 75 samples), then sample 120.
    const rebuilt = nextEvent<ErrorEventDetail>(
      a,
      'forecast-error',
      (d) => d.code === 'model-rebuilt',
    );
    a.setAttribute('horizon', '6');
    await rebuilt;
    const g = nextEvent<ForecastEventDetail>(
      a,
      'forecast',
      (d) => d.mean.length === 6 && d.last?.value === 7.5,
    );
    a.push(7.5);
    expect(await g).toMatchObject({
      from: 120,
      last: { time: 120, value: 7.5 },
      time: [121, 122, 123, 124, 125, 126],
    });

    a.remove(); // saves on the way out
    await sleep(300);
    const b = mount({ horizon: '6', persist: key });
    expect((await nextEvent<{ restored: boolean }>(b, 'ready')).restored).toBe(true);
    const h = nextEvent<ForecastEventDetail>(b, 'forecast');
    // the drawn history comes back with the model: this page's samples go on from 121
    b.pushMany([1, 2, 3]);
    expect(await h).toMatchObject({
      from: 123,
      last: { time: 123, value: 3 },
      time: [124, 125, 126, 127, 128, 129],
    });
  });

  it('takes numbers, feature arrays, { t, value } objects and Date times; refuses bad ones with error events', async () => {
    const el = mount();
    await nextEvent(el, 'ready');
    const errors: ErrorEventDetail[] = [];
    el.addEventListener('forecast-error', (e) =>
      errors.push((e as CustomEvent<ErrorEventDetail>).detail),
    );
    const t0 = Date.UTC(2026, 0, 1);
    el.push({ t: t0, value: 1 });
    el.push(2, new Date(t0 + 1000));
    el.push({ t: new Date(t0 + 2000).toISOString(), value: 3 });
    el.push('4' as unknown as number);
    el.push([1, 2]);
    el.push(5, t0); // goes back
    el.push({ value: 6, t: 'yesterday' });
    el.push(null, t0 + 3000); // a gap
    expect(errors.map((e) => e.code)).toEqual(['bad-value', 'bad-shape', 'bad-time', 'bad-time']);
    const stats = nextEvent<{ samples: number }>(el, 'train');
    expect((await stats).samples).toBe(4); // 3 values and a gap
  });

  it('a model attribute rebuilds the model (and says so); a display attribute does not', async () => {
    const el = mount({ horizon: '6' });
    await nextEvent(el, 'ready');
    const t0 = Date.UTC(2026, 0, 1);
    el.pushMany(sine(120).map((value, i) => ({ t: t0 + i * 1000, value })));
    await nextEvent<ForecastEventDetail>(el, 'forecast');
    const lease = el.forecasterLease;
    el.maxPoints = 50;
    await el.updateComplete;
    expect(el.forecasterLease).toBe(lease);
    const rebuilt = nextEvent<ErrorEventDetail>(
      el,
      'forecast-error',
      (d) => d.code === 'model-rebuilt',
    );
    const forecast = nextEvent<ForecastEventDetail>(el, 'forecast', (d) => d.mean.length === 10);
    const refed = nextEvent<{ samples: number }>(el, 'train', (d) => d.samples >= 51);
    el.setAttribute('horizon', '10');
    el.push(20, t0 + 120_000); // arrives while the model is rebuilt: after the history, not lost
    await rebuilt;
    expect(el.forecasterLease).not.toBe(lease);
    expect((await forecast).mean).toHaveLength(10);
    // the drawn history (max-points 50; its times are older than the new sample's) and the new sample
    expect((await refed).samples).toBe(51);
  });

  it('keeps its model when moved within the page, and releases it when removed', async () => {
    const pool = sharedPool();
    const el = mount();
    await nextEvent(el, 'ready');
    const lease = el.forecasterLease;
    const before = pool.load.reduce((a, b) => a + b, 0);
    const other = document.createElement('div');
    document.body.append(other);
    other.append(el); // a move: disconnected then connected in one task
    await new Promise((r) => setTimeout(r, 50));
    expect(el.forecasterLease).toBe(lease);
    expect(pool.load.reduce((a, b) => a + b, 0)).toBe(before);
    el.remove();
    await vi.waitFor(() => expect(pool.load.reduce((a, b) => a + b, 0)).toBe(before - 1), WAIT);
    expect(lease!.isReleased).toBe(true);
  });

  it('survives its worker being terminated mid-stream: no sample lost, forecasts resume', async () => {
    const pool = sharedPool();
    const el = mount({ horizon: '4' });
    await nextEvent(el, 'ready');
    el.pushMany(sine(150));
    await nextEvent(el, 'forecast');
    const restarted = nextEvent<ErrorEventDetail>(
      el,
      'forecast-error',
      (d) => d.code === 'worker-error',
    );
    pool.workerOf(el.forecasterLease!)!.terminate();
    el.pushMany(sine(50, 150)); // pushed while the worker is dead
    const msg = await restarted;
    expect(msg.message).toMatch(/restored on a new worker/);
    const after = nextEvent<{ samples: number }>(el, 'train', (d) => d.samples >= 210);
    // listening before the push: the update that brings this train event brings its forecast
    // too, dispatched before code awaiting the train event runs; on the SIMD kernels the new
    // worker has caught up by then and no later update (with another forecast) follows
    const resumed = nextEvent<ForecastEventDetail>(el, 'forecast', (d) => d.from === 209);
    el.pushMany(sine(10, 200));
    expect((await after).samples).toBe(210);
    await resumed;
  }, 30_000);

  it('persists to IndexedDB and continues after a reload', async () => {
    const key = `test-${Math.random()}`;
    const a = mount({ persist: key });
    await nextEvent(a, 'ready');
    a.pushMany(sine(100));
    await nextEvent(a, 'forecast');
    a.remove(); // saves on the way out
    await new Promise((r) => setTimeout(r, 300));
    const b = mount({ persist: key });
    const ready = await nextEvent<{ restored: boolean }>(b, 'ready');
    expect(ready.restored).toBe(true);
    const t = nextEvent<{ samples: number }>(b, 'train');
    b.push(21);
    expect((await t).samples).toBe(101);
  });

  it('reports a corrupt saved record and starts fresh', async () => {
    const { set, createStore } = await import('idb-keyval');
    const key = `bad-${Math.random()}`;
    await set(
      key,
      { format: 'lstm-forecast/snapshot', model: 'x', snapshot: {} },
      createStore('lstm-forecast', 'snapshots'),
    );
    const el = document.createElement('lstm-forecast');
    el.setAttribute('persist', key);
    const error = nextEvent<ErrorEventDetail>(el, 'forecast-error');
    const ready = nextEvent<{ restored: boolean }>(el, 'ready');
    document.body.append(el);
    expect((await error).code).toBe('bad-snapshot');
    expect((await ready).restored).toBe(false);
  });

  it('lists in its hidden table only the forecast steps after the latest reading', async () => {
    const el = mount();
    await nextEvent(el, 'ready');
    el.pushMany(sine(100));
    await nextEvent(el, 'forecast');
    el.pushMany(sine(3, 100));
    await Promise.resolve(); // the samples are taken in at the end of this task
    // The table as it is refreshed now (the element does it at most about once a second), before
    // the worker can answer: the latest forecast is from an older sample, a lagging one.
    (el as unknown as { updateTable(): void }).updateTable();
    await el.updateComplete;
    const rows = [...el.shadowRoot!.querySelectorAll('table.sr-only tbody tr')].map((tr) =>
      [...tr.querySelectorAll('td')].map((td) => td.textContent!.trim()),
    );
    const index = (t: string) => Number(/sample (\d+)/.exec(t)?.[1]);
    const actual = rows.filter((r) => r[1] !== '').map((r) => index(r[0]));
    const predicted = rows.filter((r) => r[2] !== '').map((r) => index(r[0]));
    expect(Math.max(...actual), JSON.stringify(rows)).toBe(102);
    expect(predicted.length).toBeGreaterThan(0);
    expect(Math.min(...predicted), `predicted rows ${predicted}`).toBeGreaterThan(102);
  });

  it('is accessible: axe finds no violations; arrow keys announce actual and predicted values', async () => {
    const el = mount({ label: 'Flow', unit: 'l/s' });
    await nextEvent(el, 'ready');
    el.pushMany(sine(100));
    await nextEvent(el, 'forecast');
    await frames(2);
    const results = await axe.run(el);
    expect(results.violations.map((v) => `${v.id}: ${v.help}`)).toEqual([]);
    const chart = el.shadowRoot!.querySelector<HTMLElement>('[part="chart"]')!;
    chart.focus();
    chart.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowLeft', bubbles: true }));
    await el.updateComplete;
    const live = el.shadowRoot!.querySelector('[aria-live="polite"]')!.textContent!;
    expect(live).toMatch(/actual|predicted/);
    await vi.waitFor(
      () => expect(el.shadowRoot!.querySelectorAll('table tbody tr').length).toBeGreaterThan(5),
      WAIT,
    );
  });
});
