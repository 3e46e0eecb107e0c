import { afterEach, describe, expect, it } from 'vitest';
import { page } from 'vitest/browser';
import { DARK, ForecastChart, LIGHT, type ChartForecast, type ChartOptions } from '../../src/chart';

// Distinctive colours, so a pixel of each can only come from the element it styles.
const HISTORY = [200, 0, 200]; // magenta
const FORECAST = [0, 170, 0]; // green
const BAND = [255, 140, 0]; // orange, drawn at 40% alpha
const ANOMALY = [0, 160, 255]; // cyan
const TEST_COLORS: Record<string, string> = {
  '--lstm-forecast-history-color': `rgb(${HISTORY})`,
  '--lstm-forecast-forecast-color': `rgb(${FORECAST})`,
  '--lstm-forecast-band-color': `rgba(${BAND}, 0.4)`,
  '--lstm-forecast-anomaly-color': `rgb(${ANOMALY})`,
};

const mounted: HTMLElement[] = [];
const charts: ForecastChart[] = [];

afterEach(() => {
  for (const chart of charts.splice(0)) chart.destroy();
  for (const el of mounted.splice(0)) el.remove();
});

function mount(width: number, height: number, props: Record<string, string> = {}): HTMLElement {
  const el = document.createElement('div');
  el.style.width = `${width}px`;
  el.style.height = `${height}px`;
  for (const [name, value] of Object.entries(props)) el.style.setProperty(name, value);
  document.body.append(el);
  mounted.push(el);
  return el;
}

function create(container: HTMLElement, options: Partial<ChartOptions> = {}): ForecastChart {
  const chart = new ForecastChart(container, { maxPoints: 1000, timeAxis: 'index', ...options });
  charts.push(chart);
  return chart;
}

function frames(n = 2): Promise<void> {
  return new Promise((resolve) => {
    const step = (left: number) =>
      left === 0 ? resolve() : requestAnimationFrame(() => step(left - 1));
    step(n);
  });
}

function canvasOf(container: HTMLElement): HTMLCanvasElement {
  const canvas = container.querySelector('canvas');
  if (!canvas) throw new Error('no canvas in the container');
  return canvas;
}

/** Pixels whose colour is within `tolerance` (per channel) of rgb and whose alpha is in [aMin, aMax]. */
function countPixels(
  canvas: HTMLCanvasElement,
  rgb: number[],
  tolerance = 40,
  aMin = 200,
  aMax = 255,
): number {
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('no 2d context');
  const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
  let count = 0;
  for (let i = 0; i < data.length; i += 4) {
    const a = data[i + 3];
    if (a < aMin || a > aMax) continue;
    if (
      Math.abs(data[i] - rgb[0]) <= tolerance &&
      Math.abs(data[i + 1] - rgb[1]) <= tolerance &&
      Math.abs(data[i + 2] - rgb[2]) <= tolerance
    ) {
      count++;
    }
  }
  return count;
}

/** A text drawn on the canvas: its ink box in canvas pixels, and the clip rectangle it was drawn under. */
interface DrawnText {
  text: string;
  left: number;
  right: number;
  top: number;
  bottom: number;
  /** The rectangle of the innermost `rect(); clip()` in force, or null when there is none. */
  clip: { left: number; right: number; top: number; bottom: number } | null;
}

/**
 * Records every fillText on the canvas's 2D context from now on (uPlot's axis values, our "now"
 * label), with the box its glyphs cover (measureText's actual bounding box, which follows
 * textAlign and textBaseline) and the clip rectangle in force.
 */
function recordText(canvas: HTMLCanvasElement): DrawnText[] {
  const ctx = canvas.getContext('2d')!;
  const texts: DrawnText[] = [];
  type Rect = DrawnText['clip'];
  let lastRect: Rect = null;
  let clip: Rect = null;
  const saved: Rect[] = [];
  const { fillText, rect, clip: clipTo, save, restore } = ctx;
  const toCanvas = (x: number, y: number) => {
    const m = ctx.getTransform();
    return { x: m.a * x + m.c * y + m.e, y: m.b * x + m.d * y + m.f };
  };
  ctx.rect = function (x: number, y: number, w: number, h: number) {
    const a = toCanvas(x, y);
    const b = toCanvas(x + w, y + h);
    lastRect = { left: a.x, right: b.x, top: a.y, bottom: b.y };
    rect.call(this, x, y, w, h);
  };
  ctx.clip = function (this: CanvasRenderingContext2D, ...args: unknown[]) {
    // clip() after rect() clips to that rectangle; a clip to a Path2D is not followed (none here
    // surrounds text).
    clip = args.length === 0 || typeof args[0] === 'string' ? lastRect : null;
    (clipTo as (...a: unknown[]) => void).apply(this, args);
  };
  ctx.save = function () {
    saved.push(clip);
    save.call(this);
  };
  ctx.restore = function () {
    clip = saved.pop() ?? null;
    restore.call(this);
  };
  ctx.fillText = function (text: string, x: number, y: number, maxWidth?: number) {
    const m = ctx.measureText(text);
    const a = toCanvas(x - m.actualBoundingBoxLeft, y - m.actualBoundingBoxAscent);
    const b = toCanvas(x + m.actualBoundingBoxRight, y + m.actualBoundingBoxDescent);
    texts.push({ text, left: a.x, right: b.x, top: a.y, bottom: b.y, clip });
    if (maxWidth === undefined) fillText.call(this, text, x, y);
    else fillText.call(this, text, x, y, maxWidth);
  };
  return texts;
}

/** What of `t` lies outside `box` (canvas pixels; half a pixel of anti-aliasing allowed). */
function outside(t: DrawnText, box: { left: number; right: number; top: number; bottom: number }) {
  const cut: string[] = [];
  if (t.left < box.left - 0.5) cut.push(`${(box.left - t.left).toFixed(1)} px left`);
  if (t.right > box.right + 0.5) cut.push(`${(t.right - box.right).toFixed(1)} px right`);
  if (t.top < box.top - 0.5) cut.push(`${(box.top - t.top).toFixed(1)} px above`);
  if (t.bottom > box.bottom + 0.5) cut.push(`${(t.bottom - box.bottom).toFixed(1)} px below`);
  return cut;
}

const sine = (t: number) => Math.sin((2 * Math.PI * t) / 50);

/** 500 points of a sine at x = 0..499, with a spike at 450. */
function history(n = 500, x0 = 0, dx = 1): { times: Float64Array; values: Float64Array } {
  const times = new Float64Array(n);
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    times[i] = x0 + i * dx;
    values[i] = i === 450 ? 1.6 : sine(i);
  }
  return { times, values };
}

type TestForecast = ChartForecast & Record<'time' | 'mean' | 'lower' | 'upper', number[]>;

/** `steps` steps after x = from, the sine continued, inside a widening interval. */
function forecast(steps = 30, x0 = 0, dx = 1, from = 499): TestForecast {
  const time = Array.from({ length: steps }, (_, s) => x0 + (from + 1 + s) * dx);
  const mean = Array.from({ length: steps }, (_, s) => sine(from + 1 + s));
  const widen = (s: number) => 0.2 + 0.02 * s;
  return {
    time,
    mean,
    lower: mean.map((m, s) => m - widen(s)),
    upper: mean.map((m, s) => m + widen(s)),
    from: x0 + from * dx,
  };
}

describe('ForecastChart', () => {
  it('draws the history, the forecast, the band and the anomalies in their configured colours', async () => {
    const container = mount(600, 300, TEST_COLORS);
    const chart = create(container, { forecastShare: 0 });
    const canvas = canvasOf(container);
    expect(countPixels(canvas, HISTORY)).toBe(0);

    const h = history();
    chart.pushHistory(h.times, h.values);
    chart.setForecast(forecast());
    chart.addAnomaly(450, 1.6);
    await frames(2);

    const dpr = devicePixelRatio;
    expect(canvas.width).toBe(Math.round(600 * dpr));
    const historyPx = countPixels(canvas, HISTORY);
    const forecastPx = countPixels(canvas, FORECAST);
    // The band is translucent on a transparent canvas: its pixels read back at ~40% alpha.
    const bandPx = countPixels(canvas, BAND, 12, 80, 125);
    const anomalyPx = countPixels(canvas, ANOMALY);
    // 500 points of a sine over ~540 px: the line covers well over 1000 px; the forecast is a
    // dashed 30-step line (~30 px wide), the band a ~30 px wide strip, the anomaly one ringed dot.
    expect(historyPx, `history pixels ${historyPx}`).toBeGreaterThan(1000);
    expect(forecastPx, `forecast pixels ${forecastPx}`).toBeGreaterThan(20);
    expect(bandPx, `band pixels ${bandPx}`).toBeGreaterThan(300);
    expect(anomalyPx, `anomaly pixels ${anomalyPx}`).toBeGreaterThan(20);

    // The forecast lies right of "now": none of its colour left of the last history point.
    const ctx = canvas.getContext('2d')!;
    const nowPx = Math.floor(canvas.width * 0.8);
    const left = ctx.getImageData(0, 0, nowPx, canvas.height).data;
    let forecastLeft = 0;
    for (let i = 0; i < left.length; i += 4) {
      if (left[i + 3] > 200 && left[i] < 40 && Math.abs(left[i + 1] - 170) < 40 && left[i + 2] < 40)
        forecastLeft++;
    }
    expect(forecastLeft).toBe(0);
  });

  it('draws once on the next frame however many pushes came before it', async () => {
    const container = mount(600, 300);
    const chart = create(container, { maxPoints: 2000 });
    await frames(2);
    const before = chart.draws;

    let maxHeld = 0;
    for (let start = 0; start < 10_000; start += 100) {
      const times = Float64Array.from({ length: 100 }, (_, i) => start + i);
      chart.pushHistory(
        times,
        times.map((t) => sine(t)),
      );
      chart.setForecast(forecast(10, 0, 1, start + 99));
      chart.addAnomaly(start + 50, sine(start + 50));
      maxHeld = Math.max(maxHeld, chart.pointCount);
    }
    expect(chart.draws, 'draws before the frame').toBe(before);
    expect(maxHeld).toBeLessThanOrEqual(2000);
    expect(chart.pointCount).toBe(2000);

    await frames(1);
    expect(chart.draws - before, 'draws in the frame after 100 pushes').toBe(1);
    await frames(2);
    expect(chart.draws - before, 'draws two idle frames later').toBe(1);
  });

  it('draws at most two charts per frame, the ones that waited longest first, and all of them', async () => {
    const all = Array.from({ length: 6 }, () => create(mount(300, 200)));
    await frames(20); // every chart's first draw is done, and the frame rate is measured
    const before = all.map((c) => c.draws);
    const drawnSince = () => all.map((c, i) => c.draws - before[i]);
    for (const c of all) c.pushHistory(Float64Array.of(1, 2, 3), Float64Array.of(1, 2, 1));
    await frames(1);
    const first = drawnSince();
    expect(
      first.reduce((a, b) => a + b),
      `draws in the first frame: ${first}`,
    ).toBeGreaterThan(0);
    expect(first.reduce((a, b) => a + b)).toBeLessThanOrEqual(2);
    expect(first.slice(2), 'the first charts to ask go first').toEqual([0, 0, 0, 0]);
    await frames(12);
    expect(drawnSince(), 'each chart drawn once').toEqual([1, 1, 1, 1, 1, 1]);
  });

  it('keeps every axis value and the "now" label whole at 300, 450 and 800 px', async () => {
    // Local midnight, so that hourly ticks fall on both ends of a day of 6-minute samples.
    const midnight = new Date(2026, 0, 15).getTime();
    const cases = [
      // x ticks on both edges: 0..500, and a day from midnight to midnight beside one-digit y values
      { axis: 'index', n: 501, x: (i: number) => i, steps: 0, y: (i: number) => 20 + 5 * sine(i) },
      {
        axis: 'time',
        n: 241,
        x: (i: number) => midnight + i * 360_000,
        steps: 0,
        y: (i: number) => 5 + 2 * sine(i),
      },
      // a forecast past the last sample; wide y values
      {
        axis: 'index',
        n: 300,
        x: (i: number) => 10_000 + i,
        steps: 12,
        y: (i: number) => 2e6 + 1e5 * sine(i),
      },
      {
        axis: 'time',
        n: 300,
        x: (i: number) => midnight + i * 1000,
        steps: 30,
        y: (i: number) => -0.02 * sine(i),
      },
    ] as const;
    const problems: string[] = [];
    for (const width of [300, 450, 800]) {
      for (const c of cases) {
        const container = mount(width, 240);
        const chart = create(container, { timeAxis: c.axis, unit: '°C' });
        await frames(2);
        const canvas = canvasOf(container);
        const texts = recordText(canvas);
        const times = Array.from({ length: c.n }, (_, i) => c.x(i));
        chart.pushHistory(
          times,
          times.map((_, i) => c.y(i)),
        );
        if (c.steps > 0) {
          const step = c.x(1) - c.x(0);
          const last = times[c.n - 1];
          const time = Array.from({ length: c.steps }, (_, s) => last + (s + 1) * step);
          const mean = time.map((_, s) => c.y(c.n + s));
          chart.setForecast({ time, mean, lower: mean, upper: mean, from: last });
        }
        await frames(2);
        const what = `${width} px, ${c.axis} axis, ${c.n} points`;
        expect(texts.length, `${what}: texts drawn`).toBeGreaterThan(5);
        expect(texts.map((t) => t.text)).toContain('now');
        const box = { left: 0, right: canvas.width, top: 0, bottom: canvas.height };
        for (const t of texts) {
          for (const cut of [...outside(t, box), ...(t.clip ? outside(t, t.clip) : [])]) {
            problems.push(`${what}: "${t.text}" cut ${cut}`);
          }
        }
        chart.destroy();
      }
    }
    expect(problems).toEqual([]);
  });

  it('holds at most maxPoints, keeping the newest when maxPoints shrinks', async () => {
    const container = mount(600, 300);
    const chart = create(container, { maxPoints: 100 });
    const h = history(250);
    chart.pushHistory(h.times, h.values);
    expect(chart.pointCount).toBe(100);
    chart.setOptions({ maxPoints: 40 });
    expect(chart.pointCount).toBe(40);
    await frames(2);
    // The cursor walks the drawn points: the oldest is now x = 210, the newest x = 249.
    expect(chart.moveCursor(0)?.time).toBe(249);
    expect(chart.moveCursor(-1000)?.time).toBe(210);
    chart.setOptions({ maxPoints: 60 });
    chart.pushHistory([250, 251], [0, 0]);
    expect(chart.pointCount).toBe(42);
    expect(() => chart.setOptions({ maxPoints: 0 })).toThrow(RangeError);
  });

  it('resizes the canvas with its container', async () => {
    const container = mount(600, 300);
    const chart = create(container);
    const h = history();
    chart.pushHistory(h.times, h.values);
    await frames(2);
    const canvas = canvasOf(container);
    const dpr = devicePixelRatio;
    expect(canvas.width).toBe(Math.round(600 * dpr));
    const tall = canvas.height;
    expect(tall).toBeGreaterThan(200 * dpr);
    expect(tall).toBeLessThanOrEqual(300 * dpr);

    container.style.width = '400px';
    container.style.height = '200px';
    await frames(3);
    expect(canvas.width).toBe(Math.round(400 * dpr));
    expect(tall - canvas.height).toBe(Math.round(100 * dpr));
    expect(canvas.getBoundingClientRect().width).toBe(400);
    // The chart fills the container, legend included.
    const root = container.firstElementChild as HTMLElement;
    expect(root.getBoundingClientRect().height).toBe(200);
  });

  it('redraws when the device pixel ratio changes', async () => {
    const container = mount(600, 300);
    const chart = create(container);
    chart.pushHistory(history().times, history().values);
    await frames(2);
    const before = chart.draws;
    // What uPlot fires on a `resolution` media query change (it redraws every plot on it).
    window.dispatchEvent(new CustomEvent('dppxchange'));
    await frames(1);
    expect(chart.draws).toBeGreaterThan(before);
  });

  it('moves the cursor over history then forecast steps and reports what is under it', async () => {
    const container = mount(600, 300);
    const chart = create(container);
    expect(chart.moveCursor(1)).toBeNull(); // nothing drawn yet
    const h = history();
    h.values[480] = NaN; // a gap
    chart.pushHistory(h.times, h.values);
    const f = forecast();
    chart.setForecast(f);
    await frames(2);
    expect(chart.cursorInfo()).toBeNull();

    // From "now" (x = 499): an observation, not a prediction, though the dashed line starts there.
    expect(chart.moveCursor(0)).toEqual({
      time: 499,
      actual: h.values[499],
      predicted: null,
      lower: null,
      upper: null,
    });
    // One step right: the first forecast step.
    expect(chart.moveCursor(1)).toEqual({
      time: 500,
      actual: null,
      predicted: f.mean[0],
      lower: f.lower[0],
      upper: f.upper[0],
    });
    expect(chart.cursorInfo()?.time).toBe(500);
    // To the end, clamped at the last forecast step.
    expect(chart.moveCursor(100)).toMatchObject({ time: 529, predicted: f.mean[29] });
    // Back into history, onto the gap.
    expect(chart.moveCursor(-49)).toMatchObject({ time: 480, actual: null, predicted: null });
    expect(chart.moveCursor(-30)).toMatchObject({ time: 450, actual: 1.6 });
    expect(chart.cursorInfo()).toMatchObject({ time: 450, actual: 1.6 });

    // The keyboard cursor stays on its x while new data scrolls the chart.
    chart.pushHistory([500, 501], [0.25, 0.5]);
    await frames(2);
    expect(chart.cursorInfo()).toMatchObject({ time: 450, actual: 1.6 });
    expect(chart.moveCursor(51)).toMatchObject({ time: 501, actual: 0.5 });
  });

  it('draws a lagging forecast from "now" on only, and keeps anomalies only while their time is held', async () => {
    const container = mount(600, 300, TEST_COLORS);
    const chart = create(container, { maxPoints: 100, forecastShare: 0 });
    const h = history(100);
    chart.pushHistory(h.times, h.values);
    // Made at x = 95 (steps 96..105) while x = 96..99 are drawn already: the worker lags. Its
    // steps are far off the history, so that any drawn left of "now" would show.
    const lagging = forecast(10, 0, 1, 95);
    lagging.mean = lagging.mean.map((m) => m + 3);
    lagging.lower = lagging.lower.map((m) => m + 3);
    lagging.upper = lagging.upper.map((m) => m + 3);
    chart.setForecast(lagging);
    chart.addAnomaly(20, h.values[20]);
    await frames(2);
    // Walk every drawn x: nothing is predicted before "now" (x = 99), where step 99 is drawn.
    const predictedAt: number[] = [];
    let info = chart.moveCursor(-1000);
    for (let guard = 0; info && guard < 200; guard++) {
      if (info.predicted !== null) predictedAt.push(info.time);
      const next = chart.moveCursor(1);
      if (!next || next.time === info.time) break;
      info = next;
    }
    expect(predictedAt).toEqual([99, 100, 101, 102, 103, 104, 105]);
    expect(chart.moveCursor(-6)).toMatchObject({ time: 99, actual: h.values[99] });
    expect(chart.cursorInfo()?.predicted).toBeCloseTo(sine(99) + 3, 12);
    // On the canvas: no forecast colour (its line nor its band) over x = 95..97, left of "now"
    // (x = 99 of 0..105, at about 92% of the width).
    const canvas = canvasOf(container);
    const left = document.createElement('canvas');
    left.width = Math.floor(canvas.width * 0.9);
    left.height = canvas.height;
    left.getContext('2d')!.drawImage(canvas, 0, 0);
    expect(countPixels(left, FORECAST), 'forecast pixels left of now').toBe(0);
    expect(countPixels(left, BAND, 12, 80, 125), 'band pixels left of now').toBe(0);
    expect(countPixels(canvas, FORECAST), 'forecast pixels after now').toBeGreaterThan(10);

    // A forecast from the newest sample starts at it again, joined to the history.
    chart.setForecast(forecast(10, 0, 1, 99));
    await frames(2);
    expect(chart.moveCursor(0)).toMatchObject({ time: 99, predicted: null });
    expect(chart.moveCursor(1)).toMatchObject({ time: 100, actual: null });
    expect(chart.cursorInfo()?.predicted).toBeCloseTo(sine(100), 12);
    expect(chart.moveCursor(-80)).toMatchObject({ time: 20 });

    const legend = () => container.querySelector('.u-legend')?.textContent ?? '';
    expect(legend()).toContain('Anomaly');
    chart.pushHistory(
      Array.from({ length: 50 }, (_, i) => 100 + i),
      Array.from({ length: 50 }, () => 0),
    );
    await frames(2);
    expect(chart.pointCount).toBe(100);
    // x = 20 has left the ring, and its anomaly with it: a new one at x = 140 is drawn instead.
    chart.addAnomaly(140, 0);
    await frames(2);
    expect(chart.moveCursor(-1000)?.time).toBe(50);
  });

  it('shows live values with the unit in the legend, and timestamps on a time axis', async () => {
    const container = mount(700, 300);
    const chart = create(container, { timeAxis: 'time', label: 'Temperature', unit: '°C' });
    const t0 = Date.UTC(2025, 0, 15, 12, 0, 0);
    const h = history(500, t0, 1000);
    chart.pushHistory(
      h.times,
      h.values.map((v) => 20 + v),
    );
    const f = forecast(30, t0, 1000);
    chart.setForecast({
      ...f,
      mean: f.mean.map((v) => 20 + v),
      lower: f.lower.map((v) => 20 + v),
      upper: f.upper.map((v) => 20 + v),
    });
    await frames(2);
    const legend = container.querySelector('.u-legend')?.textContent ?? '';
    expect(legend).toContain('Temperature');
    expect(legend).toContain('°C');
    expect(legend).toContain('Forecast');
    expect(legend).toContain('Interval');
    expect(chart.moveCursor(1)?.time).toBe(t0 + 500_000);
    // Axis values are drawn on the canvas; the legend's time reads as a date.
    expect(container.querySelector('.lf-x .u-value')?.textContent).toMatch(/\d{2}:\d{2}:\d{2}/);
  });

  it('updates the legend with each frame, and toggles the whole band from its entry', async () => {
    const container = mount(700, 300, TEST_COLORS);
    const chart = create(container, { unit: 'kW' });
    const h = history();
    chart.pushHistory(h.times, h.values);
    chart.setForecast(forecast());
    await frames(2);
    const value = (cls: string) => container.querySelector(`.${cls} .u-value`)?.textContent;
    const number = new Intl.NumberFormat();
    // Without a cursor the legend shows the newest values, to about four significant digits.
    expect(value('lf-history')).toBe(`${number.format(-0.125)} kW`); // sin(2pi 499/50) = -0.1253

    const bandPx = () => countPixels(canvasOf(container), BAND, 12, 80, 125);
    expect(bandPx()).toBeGreaterThan(300);
    container.querySelector<HTMLElement>('.lf-band th')?.click();
    await frames(1);
    expect(bandPx()).toBe(0);
    expect(countPixels(canvasOf(container), FORECAST)).toBeGreaterThan(20);

    chart.pushHistory([500], [1234.5]);
    await frames(1);
    expect(value('lf-history')).toBe(`${number.format(1235)} kW`);
    expect(value('lf-x')).toBe('#500');
  });

  it('re-reads its colours on refreshTheme()', async () => {
    const container = mount(600, 300, TEST_COLORS);
    const chart = create(container);
    chart.pushHistory(history().times, history().values);
    await frames(2);
    const canvas = () => canvasOf(container);
    expect(countPixels(canvas(), HISTORY)).toBeGreaterThan(1000);

    container.style.setProperty('--lstm-forecast-history-color', 'rgb(0, 0, 255)');
    chart.refreshTheme();
    await frames(2);
    expect(countPixels(canvas(), HISTORY)).toBe(0);
    expect(countPixels(canvas(), [0, 0, 255])).toBeGreaterThan(1000);
  });

  it('falls back to the light defaults, and derives the band from the forecast colour', async () => {
    const container = mount(600, 300, { '--lstm-forecast-forecast-color': 'rgb(0, 170, 0)' });
    const chart = create(container, { forecastShare: 0 });
    const h = history();
    chart.pushHistory(h.times, h.values);
    chart.setForecast(forecast());
    await frames(2);
    const canvas = canvasOf(container);
    const slate = LIGHT['--lstm-forecast-history-color']; // #1e293b
    expect(slate).toBe('#1e293b');
    expect(countPixels(canvas, [0x1e, 0x29, 0x3b])).toBeGreaterThan(1000);
    // Green at 20% alpha.
    expect(countPixels(canvas, FORECAST, 12, 35, 70)).toBeGreaterThan(300);
  });

  it('stops drawing and removes everything it added on destroy()', async () => {
    const container = mount(600, 300);
    const chart = create(container);
    chart.pushHistory(history().times, history().values);
    await frames(2);
    expect(container.querySelector('canvas')).not.toBeNull();

    chart.pushHistory([500], [0]); // a frame is pending
    chart.destroy();
    const draws = chart.draws;
    expect(container.childElementCount).toBe(0);
    expect(container.querySelector('canvas')).toBeNull();

    chart.pushHistory([501], [0]);
    chart.setForecast(forecast());
    container.style.width = '300px';
    window.dispatchEvent(new CustomEvent('dppxchange'));
    await frames(3);
    expect(chart.draws).toBe(draws);
    expect(chart.moveCursor(1)).toBeNull();
    expect(chart.cursorInfo()).toBeNull();
    chart.destroy(); // twice is fine
  });

  /** The leftmost and rightmost canvas column holding a pixel near `rgb`, or null. */
  function columnsOf(canvas: HTMLCanvasElement, rgb: number[], tolerance = 40, aMin = 200) {
    const { data, width } = canvas
      .getContext('2d')!
      .getImageData(0, 0, canvas.width, canvas.height);
    let left = Infinity;
    let right = -Infinity;
    for (let i = 0; i < data.length; i += 4) {
      if (data[i + 3] < aMin) continue;
      if (rgb.every((c, k) => Math.abs(data[i + k] - c) <= tolerance)) {
        const x = (i / 4) % width;
        left = Math.min(left, x);
        right = Math.max(right, x);
      }
    }
    return left <= right ? { left, right, width: right - left + 1 } : null;
  }

  it('gives the forecast and its band forecastShare of the width (0.25 by default), 0 draws all history', async () => {
    // 384 points and a 24-step forecast, the demo's defaults: 6% of the width if all is drawn
    const widths: Record<string, number> = {};
    for (const share of [undefined, 0.4, 0] as const) {
      const container = mount(600, 300, TEST_COLORS);
      const chart = create(container, share === undefined ? {} : { forecastShare: share });
      const h = history(384);
      chart.pushHistory(h.times, h.values);
      chart.setForecast(forecast(24, 0, 1, 383));
      await frames(2);
      const canvas = canvasOf(container);
      const band = columnsOf(canvas, BAND, 12, 80);
      const hist = columnsOf(canvas, HISTORY)!;
      expect(band, `band drawn at share ${share}`).not.toBeNull();
      // the plot spans the history's left end to the band's right end
      const plot = band!.right - hist.left + 1;
      widths[String(share)] = band!.width / plot;
    }
    const at = (k: string) => `${(widths[k] * 100).toFixed(1)}%`;
    expect(widths['undefined'], `default share ${at('undefined')}`).toBeGreaterThan(0.22);
    expect(widths['undefined']).toBeLessThan(0.28);
    expect(widths['0.4'], `share 0.4: ${at('0.4')}`).toBeGreaterThan(0.37);
    expect(widths['0.4']).toBeLessThan(0.43);
    expect(widths['0'], `share 0: ${at('0')}`).toBeLessThan(0.08);
    expect(() => create(mount(100, 100), { forecastShare: 1 })).toThrow(RangeError);
  });

  it('fixes the y axis with yMin / yMax, and draws threshold lines the axis takes in', async () => {
    const THRESHOLD = [230, 0, 60];
    const container = mount(600, 300, {
      ...TEST_COLORS,
      '--lstm-forecast-threshold-color': `rgb(${THRESHOLD})`,
    });
    const chart = create(container, { forecastShare: 0 });
    // a vibration band around 0.2 whose interval would reach below 0
    const times = Float64Array.from({ length: 200 }, (_, i) => i);
    const values = times.map((i) => 0.2 + 0.15 * Math.sin(i / 3));
    chart.pushHistory(times, values);
    await frames(2);
    const canvas = canvasOf(container);
    const texts = recordText(canvas);
    chart.setOptions({ yMin: 0 });
    await frames(2);
    // the x axis counts samples from 0 too: only the labels left of the plot are the y axis'
    const yLabels = () =>
      texts
        .filter((t) => t.right < canvas.width * 0.12)
        .map((t) => Number(t.text))
        .filter((v) => Number.isFinite(v));
    expect(Math.min(...yLabels()), 'lowest y label with yMin 0').toBe(0);
    expect(countPixels(canvas, THRESHOLD, 30)).toBe(0);

    texts.length = 0;
    chart.setOptions({ yMin: null, thresholdHigh: 2, thresholdLow: -1 });
    await frames(2);
    // both lines drawn across the plot: each about the plot's width in pixels
    const rows = new Map<number, number>();
    const { data, width } = canvas
      .getContext('2d')!
      .getImageData(0, 0, canvas.width, canvas.height);
    for (let i = 0; i < data.length; i += 4) {
      if (data[i + 3] < 200) continue;
      if (THRESHOLD.every((c, k) => Math.abs(data[i + k] - c) <= 30)) {
        const y = Math.floor(i / 4 / width);
        rows.set(y, (rows.get(y) ?? 0) + 1);
      }
    }
    const lines = [...rows.entries()].filter(([, n]) => n > width * 0.8).map(([y]) => y);
    expect(
      lines.length,
      `rows of threshold colour across the plot: ${lines}`,
    ).toBeGreaterThanOrEqual(2);
    expect(Math.max(...lines) - Math.min(...lines)).toBeGreaterThan(canvas.height * 0.4);
    expect(texts.map((t) => t.text)).toEqual(expect.arrayContaining(['2.00', '-1.00']));
    expect(() => chart.setOptions({ yMin: 3, yMax: 1 })).toThrow(RangeError);
  });

  it('draws the forecast made k steps earlier over the history, only while pastSteps > 0', async () => {
    const PAST = [120, 60, 255];
    const container = mount(600, 300, {
      ...TEST_COLORS,
      '--lstm-forecast-past-color': `rgb(${PAST})`,
    });
    const chart = create(container, { forecastShare: 0 });
    const h = history(200);
    chart.pushHistory(h.times, h.values);
    for (let i = 0; i < 200; i++) chart.addPastForecast(i, sine(i) + 0.3);
    await frames(2);
    const canvas = canvasOf(container);
    expect(countPixels(canvas, PAST, 30), 'nothing drawn with pastSteps 0').toBe(0);
    chart.setOptions({ pastSteps: 12 });
    for (let i = 0; i < 200; i++) chart.addPastForecast(i, sine(i) + 0.3);
    await frames(2);
    const redrawn = canvasOf(container); // pastSteps turned on: a new uPlot, a new canvas
    const past = columnsOf(redrawn, PAST, 30, 100);
    const hist = columnsOf(redrawn, HISTORY)!;
    expect(past, 'the past forecast is drawn').not.toBeNull();
    expect(past!.width / hist.width, 'over the whole history').toBeGreaterThan(0.9);
    expect(container.querySelector('.lf-legend')!.textContent).toContain('12-step forecast');
    chart.clearPastForecast();
    await frames(2);
    expect(columnsOf(redrawn, PAST, 30, 100)).toBeNull();
  });

  it('draws with the light and the dark defaults (VITE_CHART_SCREENSHOTS=1 saves tmp/*.png)', async () => {
    await page.viewport(1000, 900);
    const t0 = Date.UTC(2025, 0, 15, 12, 0, 0);
    let seed = 7;
    const noise = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31 - 0.5;
    };
    const n = 600;
    const times = Array.from({ length: n }, (_, i) => t0 + i * 1000);
    const values = times.map(
      (_, i) =>
        21 + 1.8 * Math.sin((2 * Math.PI * i) / 120) + 0.25 * noise() + (i === 431 ? 2.4 : 0),
    );
    for (let i = 300; i < 306; i++) values[i] = NaN; // a dropout
    const steps = 60;
    const from = times[n - 1];
    const ftime = Array.from({ length: steps }, (_, s) => from + (s + 1) * 1000);
    const mean = ftime.map((_, s) => 21 + 1.8 * Math.sin((2 * Math.PI * (n + s)) / 120));
    const width = (s: number) => 0.35 + 0.025 * s;
    const f = {
      time: ftime,
      mean,
      lower: mean.map((m, s) => m - width(s)),
      upper: mean.map((m, s) => m + width(s)),
      from,
    };

    const variants = [
      { name: 'light', theme: LIGHT, background: '#ffffff', width: 720, timeAxis: 'time' },
      { name: 'dark', theme: DARK, background: '#0f172a', width: 720, timeAxis: 'time' },
      { name: 'light-narrow-index', theme: LIGHT, background: '#ffffff', width: 380 },
    ] as const;
    for (const { name, theme, background, width, ...rest } of variants) {
      const container = mount(width, 320, { ...theme });
      container.style.background = background;
      container.style.padding = '12px';
      container.style.boxSizing = 'border-box';
      const time = 'timeAxis' in rest;
      const chart = create(container, {
        timeAxis: time ? 'time' : 'index',
        label: 'Temperature',
        unit: '°C',
      });
      const x = (i: number) => (time ? t0 + i * 1000 : 10_000 + i);
      chart.pushHistory(
        times.map((_, i) => x(i)),
        values,
      );
      chart.setForecast({ ...f, time: f.time.map((_, s) => x(n + s)), from: x(n - 1) });
      chart.addAnomaly(x(431), values[431]);
      await frames(3);
      const canvas = canvasOf(container);
      const rgb = (hex: string) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
      const historyPx = countPixels(canvas, rgb(theme['--lstm-forecast-history-color']), 24);
      const forecastPx = countPixels(canvas, rgb(theme['--lstm-forecast-forecast-color']), 24);
      expect(historyPx, `${name}: history pixels`).toBeGreaterThan(800);
      expect(forecastPx, `${name}: forecast pixels`).toBeGreaterThan(40);

      if (import.meta.env.VITE_CHART_SCREENSHOTS) {
        // Under the repository's tmp/ (git-ignored): Vitest writes only inside the project.
        await page.screenshot({ element: container, path: `../../tmp/lstm-chart-${name}.png` });
        chart.moveCursor(20); // the keyboard cursor, in the forecast
        await frames(2);
        await page.screenshot({
          element: container,
          path: `../../tmp/lstm-chart-${name}-cursor.png`,
        });
      }
    }
  });
});
