/**
 * The chart inside <lstm-forecast>: uPlot drawing the history as a line, the forecast as a dashed
 * line continuing from "now", its interval as a band, anomalies as ringed points, a "now" marker, a
 * time (or sample index) axis, a live legend and a cursor.
 *
 * Data may arrive at any rate: every mutator only marks what changed and requests one animation
 * frame, which commits size and data to uPlot in one batch, so the canvas is drawn at most once per
 * frame. The history is a ring of `maxPoints` preallocated samples, and the columns handed to uPlot
 * are reused arrays of at most `maxPoints + horizon` entries, so memory stays flat however long it
 * runs. uPlot follows the device pixel ratio itself (it listens to a `resolution` media query and
 * redraws every plot on a change); our own drawing reads `uPlot.pxRatio` at each draw.
 *
 * CSS custom properties, read off the container (so inherited from the element's `:host`) when the
 * chart is built and on `refreshTheme()`: the roles in `THEME_PROPERTIES`, their light and dark
 * defaults in `LIGHT` and `DARK` (chart-theme.ts, the one place they are written; the element's
 * doc tags quote them and a test keeps the two in step). Unset ones take the light default.
 *
 * The canvas is transparent: the background is the element's. Inside the container the chart is a
 * flex column, the legend above the plot. The legend is one line: the observed series' name (the
 * element's title too) gives way to an ellipsis, the other names and every value stay whole, and
 * a container of 640 px or less leaves out the x value and the anomaly key, of 520 px or less the
 * interval, and of 280 px or less the word "Forecast" (its dashed marker stays). Parts, for
 * `::part(...)` when the container sits in the element's shadow root:
 *
 * | Part     | Element                                         |
 * | -------- | ----------------------------------------------- |
 * | `legend` | the legend row (uPlot's legend table inside it) |
 * | `plot`   | the box the canvas fills                        |
 * | `canvas` | the canvas                                      |
 * | `cursor` | the vertical cursor line                        |
 */
import uPlot from 'uplot';
import uPlotCss from 'uplot/dist/uPlot.min.css?inline';
import { LIGHT, readTheme, type ChartTheme } from './chart-theme';

export {
  DARK,
  HOST,
  LIGHT,
  THEME_PROPERTIES,
  themeDeclarations,
  type ThemeDefaults,
} from './chart-theme';

export interface ChartForecast {
  /** x of each forecast step (ms since epoch, or sample number), ascending. */
  time: ArrayLike<number>;
  mean: ArrayLike<number>;
  lower: ArrayLike<number>;
  upper: ArrayLike<number>;
  /**
   * x of the observation the forecast was made from. When it is the newest drawn, the dashed line
   * starts at its value; when newer samples are drawn already, only the steps from "now" on are.
   */
  from: number;
}

export interface ChartOptions {
  /** History points held and drawn; the oldest go first. */
  maxPoints: number;
  /** Name of the observed series in the legend (default "Actual"). */
  label?: string;
  /** Unit appended to values in the legend, e.g. "°C". */
  unit?: string;
  /** 'time': x values are ms since epoch; 'index': sample numbers. */
  timeAxis: 'time' | 'index';
  /**
   * The share of the plot's width the forecast (from "now" to its last step) takes at least, in
   * [0, 0.9]: the x axis shows only as much history as leaves it that share (all of it while the
   * history is short). 0 draws every held point, however thin the forecast. Default 0.25.
   */
  forecastShare?: number;
  /** Fixed ends of the y axis; null (default) for each end follows the data. */
  yMin?: number | null;
  yMax?: number | null;
  /** Horizontal threshold lines (null: none). The y axis always takes them in. */
  thresholdHigh?: number | null;
  thresholdLow?: number | null;
  /**
   * Draw, over the history, the forecast made this many steps earlier for each point (a dotted
   * line, "Forecast k ago" in the legend) from the values given to `addPastForecast`; 0 (default)
   * draws none.
   */
  pastSteps?: number;
}

/** Default of ChartOptions.forecastShare. */
export const FORECAST_SHARE = 0.25;

/** What lies under the cursor; null where a series has no value there. */
export interface CursorInfo {
  time: number;
  actual: number | null;
  predicted: number | null;
  lower: number | null;
  upper: number | null;
}

// Series (and data column) indices. The band's edges come first so it is drawn under the lines;
// the legend shows them in reading order through CSS `order`.
const X = 0;
const LOWER = 1;
const UPPER = 2;
const HISTORY = 3;
const MEAN = 4;
const ANOMALY = 5;
const PAST = 6;

type Column = (number | null)[];

const EMPTY = '–';
const INTEGER = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const FIXED = [0, 1, 2].map(
  (digits) =>
    new Intl.NumberFormat(undefined, {
      minimumFractionDigits: digits,
      maximumFractionDigits: digits,
    }),
);
const SMALL = new Intl.NumberFormat(undefined, { maximumSignificantDigits: 3 });
const DATE_TIME = new Intl.DateTimeFormat(undefined, {
  month: 'short',
  day: 'numeric',
  hour: 'numeric',
  minute: '2-digit',
  second: '2-digit',
});
const SECONDS = new Intl.DateTimeFormat(undefined, {
  hour: 'numeric',
  minute: '2-digit',
  second: '2-digit',
});
const MINUTES = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit' });
const DAY = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });
const MONTH = new Intl.DateTimeFormat(undefined, { month: 'short', year: 'numeric' });
const YEAR = new Intl.DateTimeFormat(undefined, { year: 'numeric' });
const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
/** Tick increments of a sample-index axis: whole samples only. */
const INDEX_INCRS = Array.from({ length: 16 }, (_, e) => [1, 2, 5].map((m) => m * 10 ** e)).flat();

/** A legend number: about four significant digits, never fewer than the integer part. */
function formatNumber(v: number): string {
  const a = Math.abs(v);
  if (a === 0 || a >= 1000) return FIXED[0].format(v);
  if (a >= 100) return FIXED[1].format(v);
  if (a >= 1) return FIXED[2].format(v);
  return SMALL.format(v);
}

/**
 * Time-axis tick labels in the reader's locale, as fine as the tick spacing (`incr`, ms) needs; an
 * intraday label also names its day on the first tick and wherever the day changes.
 */
function timeTicks(splits: number[], incr: number): string[] {
  if (incr >= 365 * DAY_MS) return splits.map((t) => YEAR.format(t));
  if (incr >= 28 * DAY_MS) return splits.map((t) => MONTH.format(t));
  if (incr >= DAY_MS) return splits.map((t) => DAY.format(t));
  const clock = incr >= MINUTE_MS ? MINUTES : SECONDS;
  let day = '';
  return splits.map((t) => {
    const label = clock.format(t);
    const d = DAY.format(t);
    if (d === day) return label;
    day = d;
    return `${label}\n${d}`;
  });
}

function withUnit(text: string, unit: string): string {
  if (unit === '') return text;
  return unit === '%' ? text + unit : `${text} ${unit}`;
}

/** The CSS px size in a font shorthand (uPlot scales only whole px sizes). */
function fontPx(font: string): number {
  const m = /(\d+)px/.exec(font);
  return m ? Number(m[1]) : 12;
}

/** Largest i in [0, n) with xs[i] <= x, or -1. xs ascending. */
function floorIndex(xs: ArrayLike<number>, n: number, x: number): number {
  let lo = 0;
  let hi = n; // answer in [lo - 1, hi - 1]
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (xs[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/** Index in [0, n) whose x is closest to x, or -1 when n is 0. xs ascending. */
function nearestIndex(xs: ArrayLike<number>, n: number, x: number): number {
  if (n === 0) return -1;
  const i = floorIndex(xs, n, x);
  if (i < 0) return 0;
  if (i >= n - 1) return n - 1;
  return x - xs[i] <= xs[i + 1] - x ? i : i + 1;
}

function finiteOrNull(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}

function chartCss(): string {
  const font = `var(--lstm-forecast-font, ${LIGHT['--lstm-forecast-font']})`;
  const text = `var(--lstm-forecast-text-color, ${LIGHT['--lstm-forecast-text-color']})`;
  const now = `var(--lstm-forecast-now-color, ${LIGHT['--lstm-forecast-now-color']})`;
  return `${uPlotCss}
.lf-chart { display: flex; flex-direction: column; width: 100%; height: 100%; min-width: 0; min-height: 0; font: ${font}; color: ${text}; container-type: inline-size; }
.lf-legend { flex: none; overflow: hidden; white-space: nowrap; }
.lf-legend .u-legend { margin: 0; padding: 0 0 6px 4px; font: inherit; text-align: left; }
.lf-legend .u-legend tbody { display: flex; align-items: center; min-width: 0; }
.lf-legend tr, .lf-legend th { display: contents; }
.lf-legend .u-series > * { padding: 0; }
.lf-legend .u-inline.u-live th::after { content: none; }
.lf-legend th { font-weight: inherit; }
.lf-legend .u-marker { flex: none; margin: 0 6px 0 14px; }
.lf-legend .u-label { flex: none; }
.lf-legend .lf-history .u-label { flex: 0 1 auto; min-width: 0; overflow: hidden; text-overflow: ellipsis; }
.lf-legend .u-value { flex: none; margin-left: 6px; font-variant-numeric: tabular-nums; font-weight: 600; }
.lf-legend .u-off .u-marker, .lf-legend .u-off .u-label { opacity: 0.3; }
.lf-legend .lf-x .u-marker { display: none; }
.lf-legend .lf-x .u-label { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.lf-legend .lf-x .u-value { margin-left: 0; font-weight: inherit; }
.lf-legend .lf-history * { order: 1; } .lf-legend .lf-forecast * { order: 2; } .lf-legend .lf-past * { order: 3; }
.lf-legend .lf-band * { order: 4; } .lf-legend .lf-anomaly * { order: 5; } .lf-legend .lf-lower, .lf-legend .lf-none { display: none; }
.lf-legend .lf-history .u-marker, .lf-legend .lf-forecast .u-marker, .lf-legend .lf-past .u-marker { width: 16px; height: 0; border-width: 2px 0 0 0 !important; }
.lf-legend .lf-band .u-marker { width: 14px; height: 10px; border-radius: 2px; }
.lf-legend .lf-anomaly .u-marker { width: 8px; height: 8px; border-radius: 50%; }
.lf-legend .lf-history .u-marker { margin-left: 0; }
@container (width > 640px) { .lf-legend .lf-history .u-marker { margin-left: 14px; } }
@container (max-width: 640px) { .lf-legend .lf-x, .lf-legend .lf-anomaly { display: none; } }
@container (max-width: 520px) { .lf-legend .lf-band, .lf-legend .lf-past { display: none; } }
@container (max-width: 280px) { .lf-legend .lf-forecast .u-label { display: none; } }
.lf-plot { position: relative; flex: 1 1 0; min-height: 0; overflow: hidden; }
.lf-plot > .uplot { position: absolute; inset: 0; width: auto; font: inherit; line-height: normal; }
.lf-plot .u-hz .u-cursor-x { border-right: 1px dashed ${now}; }
.lf-plot .u-cursor-pt.lf-lower, .lf-plot .u-cursor-pt.lf-band, .lf-plot .u-cursor-pt.lf-none { display: none; }
`;
}

/**
 * A uPlot chart of a live series and its forecast, sized to `container` (which it fills) and
 * redrawn at most once per animation frame. See the header of this file for styling.
 */
export class ForecastChart {
  private readonly container: HTMLElement;
  private options: Required<ChartOptions>;
  private theme: ChartTheme;

  private readonly root: HTMLDivElement;
  /** The chart's CSS adopted into the container's shadow root, when it is in one. */
  private adopted: { root: ShadowRoot; sheet: CSSStyleSheet } | null = null;
  private readonly legendHost: HTMLDivElement; // part="legend"
  private readonly plotHost: HTMLDivElement; // part="plot"
  private plot: uPlot | null = null;
  private readonly observer: ResizeObserver;
  private readonly measure: CanvasRenderingContext2D | null;

  // The history ring: slot (head - 1) holds the newest sample, (head - count) the oldest.
  private ringTime: Float64Array; // (maxPoints)
  private ringValue: Float64Array; // (maxPoints), NaN = gap
  private head = 0;
  private count = 0;

  // The latest forecast, copied (the caller may reuse its buffers); grown, never shrunk.
  private forecastTime = new Float64Array(0); // (horizon)
  private forecastMean = new Float64Array(0); // (horizon)
  private forecastLower = new Float64Array(0); // (horizon)
  private forecastUpper = new Float64Array(0); // (horizon)
  private horizon = 0;
  private forecastFrom = NaN;
  private hasForecast = false;

  // Anomalies, oldest first; pruned as history leaves the ring, at most maxPoints.
  private anomalyTime: number[] = [];
  private anomalyValue: number[] = [];
  // The past forecast (the mean predicted pastSteps earlier), by the time it was for, ascending;
  // pruned like the anomalies.
  private pastTime: number[] = [];
  private pastValue: number[] = [];

  // The columns drawn, reused from frame to frame: x (L) and one (L) column per series, where
  // L = history points + forecast steps beyond the newest history point.
  private readonly columns: [number[], Column, Column, Column, Column, Column, Column] = [
    [],
    [],
    [],
    [],
    [],
    [],
    [],
  ];
  private nowIndex = -1; // the newest history point in the columns
  private anchorIndex = -1; // where the forecast line starts: an observation, not a prediction

  // Frame scheduling.
  private dataDirty = true;
  private sizeDirty = false;
  private rebuildDirty = false;
  private width = 0;
  private height = 0;
  private drawCount = 0;
  private destroyed = false;

  // The keyboard cursor stays on the x it was moved to while new data scrolls the chart.
  private pinnedX: number | null = null;

  constructor(container: HTMLElement, options: ChartOptions) {
    this.container = container;
    this.options = withDefaults(options, null);
    validateMaxPoints(this.options.maxPoints);
    this.ringTime = new Float64Array(this.options.maxPoints);
    this.ringValue = new Float64Array(this.options.maxPoints);
    this.theme = readTheme(container);
    this.measure = document.createElement('canvas').getContext('2d');

    this.root = document.createElement('div');
    this.root.className = 'lf-chart';
    const style = this.adoptStyles();
    this.legendHost = document.createElement('div');
    this.legendHost.className = 'lf-legend';
    this.legendHost.setAttribute('part', 'legend');
    this.plotHost = document.createElement('div');
    this.plotHost.className = 'lf-plot';
    this.plotHost.setAttribute('part', 'plot');
    this.root.append(...(style ? [style] : []), this.legendHost, this.plotHost);
    container.append(this.root);

    const rect = this.plotHost.getBoundingClientRect();
    this.width = Math.floor(rect.width);
    this.height = Math.floor(rect.height);
    this.createPlot();

    this.observer = new ResizeObserver(this.onResize);
    this.observer.observe(this.plotHost);
  }

  /** Canvas draws so far (for tests and diagnostics): at most one per animation frame. */
  get draws(): number {
    return this.drawCount;
  }

  /** History points currently held (at most `maxPoints`). */
  get pointCount(): number {
    return this.count;
  }

  /**
   * Appends samples to the history ring (the oldest leave once it holds `maxPoints`). A NaN value
   * is a gap. Times must increase: a time equal to the newest replaces its value, an earlier time
   * starts the history over (a new series), and a non-finite time is skipped.
   */
  pushHistory(times: ArrayLike<number>, values: ArrayLike<number>): void {
    if (this.destroyed) return;
    const n = Math.min(times.length, values.length);
    const cap = this.ringTime.length;
    for (let i = 0; i < n; i++) {
      const t = times[i];
      if (!Number.isFinite(t)) continue;
      if (this.count > 0) {
        const last = (this.head - 1 + cap) % cap;
        const newest = this.ringTime[last];
        if (t === newest) {
          this.ringValue[last] = values[i];
          continue;
        }
        if (t < newest) this.clearHistory();
      }
      this.ringTime[this.head] = t;
      this.ringValue[this.head] = values[i];
      this.head = (this.head + 1) % cap;
      if (this.count < cap) this.count++;
    }
    if (n > 0) this.invalidate();
  }

  /** Replaces the forecast (null removes it). The arrays are copied. */
  setForecast(f: ChartForecast | null): void {
    if (this.destroyed) return;
    if (f === null) {
      this.hasForecast = false;
      this.horizon = 0;
    } else {
      const h = Math.min(f.time.length, f.mean.length, f.lower.length, f.upper.length);
      if (this.forecastTime.length < h) {
        this.forecastTime = new Float64Array(h);
        this.forecastMean = new Float64Array(h);
        this.forecastLower = new Float64Array(h);
        this.forecastUpper = new Float64Array(h);
      }
      for (let i = 0; i < h; i++) {
        this.forecastTime[i] = f.time[i];
        this.forecastMean[i] = f.mean[i];
        this.forecastLower[i] = f.lower[i];
        this.forecastUpper[i] = f.upper[i];
      }
      this.horizon = h;
      this.forecastFrom = f.from;
      this.hasForecast = true;
    }
    this.invalidate();
  }

  /** Marks a point as anomalous; it is drawn while `time` is within the history held. */
  addAnomaly(time: number, value: number): void {
    if (this.destroyed || !Number.isFinite(time) || !Number.isFinite(value)) return;
    const at = floorIndex(this.anomalyTime, this.anomalyTime.length, time) + 1;
    this.anomalyTime.splice(at, 0, time);
    this.anomalyValue.splice(at, 0, value);
    const excess = this.anomalyTime.length - this.options.maxPoints;
    if (excess > 0) {
      this.anomalyTime.splice(0, excess);
      this.anomalyValue.splice(0, excess);
    }
    this.invalidate();
  }

  /**
   * Forgets the past forecasts drawn (after a reset, or a new model whose forecasts are not the
   * old one's).
   */
  clearPastForecast(): void {
    this.pastTime.length = 0;
    this.pastValue.length = 0;
    this.invalidate();
  }

  /**
   * Records the forecast made `pastSteps` steps earlier for time `time` (drawn while `time` is in
   * the history held). Times come in ascending order; one at or before the newest recorded
   * replaces nothing and is dropped.
   */
  addPastForecast(time: number, value: number): void {
    if (this.destroyed || this.options.pastSteps === 0) return;
    if (!Number.isFinite(time) || !Number.isFinite(value)) return;
    const n = this.pastTime.length;
    if (n > 0 && time <= this.pastTime[n - 1]) return;
    this.pastTime.push(time);
    this.pastValue.push(value);
    const excess = this.pastTime.length - this.options.maxPoints - this.options.pastSteps;
    if (excess > 0) {
      this.pastTime.splice(0, excess);
      this.pastValue.splice(0, excess);
    }
    this.invalidate();
  }

  /**
   * Changes options. A smaller `maxPoints` keeps the newest points; `label`, `unit`, `timeAxis`
   * and turning `pastSteps` on or off rebuild the uPlot instance at the next frame; the others
   * redraw.
   */
  setOptions(partial: Partial<ChartOptions>): void {
    if (this.destroyed) return;
    const next = withDefaults(partial, this.options);
    if (next.maxPoints !== this.options.maxPoints) {
      validateMaxPoints(next.maxPoints);
      this.resizeRing(next.maxPoints);
      this.dataDirty = true;
    }
    if (
      next.label !== this.options.label ||
      next.unit !== this.options.unit ||
      next.timeAxis !== this.options.timeAxis ||
      next.pastSteps > 0 !== this.options.pastSteps > 0
    ) {
      this.rebuildDirty = true;
    }
    if (next.pastSteps !== this.options.pastSteps) {
      this.pastTime.length = 0;
      this.pastValue.length = 0;
    }
    // the scales' ranges read this.options at each draw: a redraw is enough
    if (
      next.forecastShare !== this.options.forecastShare ||
      next.yMin !== this.options.yMin ||
      next.yMax !== this.options.yMax ||
      next.thresholdHigh !== this.options.thresholdHigh ||
      next.thresholdLow !== this.options.thresholdLow
    ) {
      this.dataDirty = true;
    }
    this.options = next;
    this.schedule();
  }

  /** Re-reads the CSS custom properties off the container; redraws at the next frame if they changed. */
  refreshTheme(): void {
    if (this.destroyed) return;
    const theme = readTheme(this.container);
    const roles = Object.keys(theme) as (keyof ChartTheme)[];
    if (roles.every((role) => theme[role] === this.theme[role])) return;
    this.theme = theme;
    this.rebuildDirty = true;
    this.schedule();
  }

  /**
   * Moves the cursor by `delta` points along the drawn x values (history, then forecast steps),
   * starting from the cursor, or from "now" when no cursor is shown. Returns what is under it.
   */
  moveCursor(delta: number): CursorInfo | null {
    const u = this.plot;
    const xs = this.columns[X];
    if (this.destroyed || u === null || xs.length === 0) return null;
    let from = u.cursor.idx ?? null;
    if (from === null && this.pinnedX !== null) from = nearestIndex(xs, xs.length, this.pinnedX);
    if (from === null) from = Math.max(this.nowIndex, 0);
    const step = Number.isFinite(delta) ? Math.round(delta) : 0;
    const idx = Math.min(Math.max(from + step, 0), xs.length - 1);
    this.pinnedX = xs[idx];
    this.placeCursor(idx);
    return this.infoAt(idx);
  }

  /** What is under the cursor (mouse or keyboard), or null when no cursor is shown. */
  cursorInfo(): CursorInfo | null {
    const idx = this.plot?.cursor.idx;
    return idx === null || idx === undefined || this.destroyed ? null : this.infoAt(idx);
  }

  /** Stops drawing and undoes everything the chart added: frame, observer, listeners, DOM. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    frames.cancel(this);
    this.observer.disconnect();
    this.destroyPlot();
    this.root.remove();
    if (this.adopted) {
      const { root, sheet } = this.adopted;
      root.adoptedStyleSheets = root.adoptedStyleSheets.filter((s) => s !== sheet);
      this.adopted = null;
    }
  }

  /**
   * Inside a shadow root (the element's) the CSS goes in as a constructed stylesheet, which a
   * Content-Security-Policy's style-src does not govern, so `default-src 'self'` still draws.
   * Elsewhere it is a <style> element, returned for the caller to insert.
   */
  private adoptStyles(): HTMLStyleElement | null {
    const root = this.container.getRootNode();
    if (root instanceof ShadowRoot && 'adoptedStyleSheets' in root) {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(chartCss());
      root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
      this.adopted = { root, sheet };
      return null;
    }
    const style = document.createElement('style');
    style.textContent = chartCss();
    return style;
  }

  // --- scheduling -------------------------------------------------------------------------------

  private invalidate(): void {
    this.dataDirty = true;
    this.schedule();
  }

  private schedule(): void {
    if (!this.destroyed) frames.request(this);
  }

  private readonly onResize = (entries: ResizeObserverEntry[]): void => {
    const rect = entries[entries.length - 1].contentRect;
    const width = Math.floor(rect.width);
    const height = Math.floor(rect.height);
    if (width === this.width && height === this.height) return;
    this.width = width;
    this.height = height;
    this.sizeDirty = true;
    this.schedule();
  };

  /**
   * The one place that draws: size and data go to uPlot in one batch, hence one draw. Called by
   * the page's frame scheduler (below), never directly.
   * @internal
   */
  readonly drawNow = (): void => {
    if (this.destroyed) return;
    if (this.rebuildDirty || this.plot === null) {
      this.createPlot();
    } else if (this.sizeDirty || this.dataDirty) {
      const u = this.plot;
      u.batch(() => {
        if (this.sizeDirty) u.setSize({ width: this.width, height: this.height });
        if (this.dataDirty) u.setData(this.build());
      });
    }
    this.sizeDirty = this.dataDirty = this.rebuildDirty = false;
    if (this.pinnedX !== null) {
      this.placeCursor(nearestIndex(this.columns[X], this.columns[X].length, this.pinnedX));
    }
  };

  // --- data -------------------------------------------------------------------------------------

  private clearHistory(): void {
    this.head = 0;
    this.count = 0;
    this.anomalyTime.length = 0;
    this.anomalyValue.length = 0;
    this.pastTime.length = 0;
    this.pastValue.length = 0;
  }

  private resizeRing(maxPoints: number): void {
    const cap = this.ringTime.length;
    const keep = Math.min(this.count, maxPoints);
    const time = new Float64Array(maxPoints);
    const value = new Float64Array(maxPoints);
    for (let i = 0; i < keep; i++) {
      const j = (this.head - keep + i + cap) % cap;
      time[i] = this.ringTime[j];
      value[i] = this.ringValue[j];
    }
    this.ringTime = time;
    this.ringValue = value;
    this.count = keep;
    this.head = keep % maxPoints;
  }

  /** Fills the reused columns from the ring, the forecast and the anomalies. */
  private build(): uPlot.AlignedData {
    const cols = this.columns;
    const xs = cols[X];
    const hist = cols[HISTORY];
    const mean = cols[MEAN];
    const lower = cols[LOWER];
    const upper = cols[UPPER];
    const anomaly = cols[ANOMALY];
    const past = cols[PAST];
    const n = this.count;
    const cap = this.ringTime.length;
    const first = (this.head - n + cap) % cap;
    const newest = n > 0 ? this.ringTime[(this.head - 1 + cap) % cap] : -Infinity;

    // The forecast is drawn from "now" on, never left of it. When the worker lags, the newest
    // forecast was made from an older sample than the newest drawn, and its first steps predict
    // samples already on the chart. Those are left out, and the rest is drawn, not the whole
    // forecast hidden: a dashboard watches where the series is going, and under steady load the
    // worker is often a sample or two behind, so hiding it until a forecast from the newest
    // sample arrives would make it flicker or vanish just when the page is busiest, while its
    // steps after "now" are still the model's best guess for those times. Only a forecast made
    // from the newest sample starts at that observation (the anchor); a lagging one starts at
    // its first step at or after "now", not joined to the history.
    const h = this.hasForecast ? this.horizon : 0;
    let future = 0;
    for (let s = 0; s < h; s++) if (this.forecastTime[s] > newest) future++;
    const length = n + future;
    for (const col of cols) col.length = length;

    for (let i = 0; i < n; i++) {
      const j = (first + i) % cap;
      xs[i] = this.ringTime[j];
      hist[i] = finiteOrNull(this.ringValue[j]);
      mean[i] = lower[i] = upper[i] = anomaly[i] = past[i] = null;
    }
    let i = n;
    let previous = newest;
    for (let s = 0; s < h; s++) {
      const t = this.forecastTime[s];
      let k: number;
      if (t > newest) {
        if (!(t > previous)) continue; // keep x strictly ascending
        xs[i] = previous = t;
        hist[i] = anomaly[i] = past[i] = null;
        k = i++;
      } else if (n > 0 && t === newest) {
        k = n - 1; // a lagging forecast's step for the newest sample: drawn at "now"
      } else continue; // a step before "now"
      mean[k] = finiteOrNull(this.forecastMean[s]);
      lower[k] = finiteOrNull(this.forecastLower[s]);
      upper[k] = finiteOrNull(this.forecastUpper[s]);
    }
    for (const col of cols) col.length = i;

    this.nowIndex = n - 1;
    this.anchorIndex = -1;
    if (this.hasForecast && n > 0 && this.forecastFrom >= newest) {
      const a = n - 1;
      if (hist[a] !== null && mean[a] === null) {
        mean[a] = lower[a] = upper[a] = hist[a];
        this.anchorIndex = a;
      }
    }

    // Anomalies older than the oldest point held are gone for good.
    const oldest = n > 0 ? xs[0] : Infinity;
    let gone = 0;
    while (gone < this.anomalyTime.length && this.anomalyTime[gone] < oldest) gone++;
    if (gone > 0) {
      this.anomalyTime.splice(0, gone);
      this.anomalyValue.splice(0, gone);
    }
    for (let a = 0; a < this.anomalyTime.length && this.anomalyTime[a] <= newest; a++) {
      anomaly[nearestIndex(xs, n, this.anomalyTime[a])] = this.anomalyValue[a];
    }
    // The past forecast, on the history point nearest the time it was for: with sample indices
    // the same x; with times, within half the spacing of the points around it.
    gone = 0;
    while (gone < this.pastTime.length && this.pastTime[gone] < oldest) gone++;
    if (gone > 0) {
      this.pastTime.splice(0, gone);
      this.pastValue.splice(0, gone);
    }
    for (let p = 0; p < this.pastTime.length && this.pastTime[p] <= newest; p++) {
      const t = this.pastTime[p];
      const at = nearestIndex(xs, n, t);
      const spacing = n > 1 ? xs[Math.min(at + 1, n - 1)] - xs[Math.max(at - 1, 0)] : 0;
      if (Math.abs(xs[at] - t) <= spacing / 2) past[at] = this.pastValue[p];
    }
    return cols as uPlot.AlignedData;
  }

  private infoAt(idx: number): CursorInfo {
    const cols = this.columns;
    const predicted = idx !== this.anchorIndex;
    return {
      time: cols[X][idx],
      actual: cols[HISTORY][idx] ?? null,
      predicted: predicted ? (cols[MEAN][idx] ?? null) : null,
      lower: predicted ? (cols[LOWER][idx] ?? null) : null,
      upper: predicted ? (cols[UPPER][idx] ?? null) : null,
    };
  }

  // --- uPlot ------------------------------------------------------------------------------------

  private placeCursor(idx: number): void {
    const u = this.plot;
    if (u === null || idx < 0 || this.width === 0 || this.height === 0) return;
    const cols = this.columns;
    const y = cols[HISTORY][idx] ?? cols[MEAN][idx] ?? null;
    const left = u.valToPos(cols[X][idx], 'x');
    const top = y === null ? u.over.clientHeight / 2 : u.valToPos(y, 'y');
    if (Number.isFinite(left) && Number.isFinite(top)) u.setCursor({ left, top });
  }

  private readonly onPointer = (): void => {
    this.pinnedX = null; // the mouse takes the cursor over
  };

  private destroyPlot(): void {
    if (this.plot === null) return;
    this.plot.over.removeEventListener('mousemove', this.onPointer);
    this.plot.destroy();
    this.plot = null;
  }

  private createPlot(): void {
    const shown = this.plot?.series.map((s) => s.show !== false);
    this.destroyPlot();
    const opts = this.plotOptions();
    // what the reader toggled in the legend stays; the past forecast follows pastSteps
    if (shown) opts.series.forEach((s, i) => i !== PAST && (s.show = shown[i] ?? true));
    const u = new uPlot(opts, this.build(), this.plotHost);
    u.root.querySelector('canvas')?.setAttribute('part', 'canvas');
    u.root.querySelector('.u-cursor-x')?.setAttribute('part', 'cursor');
    u.over.addEventListener('mousemove', this.onPointer);
    this.plot = u;
  }

  private plotOptions(): uPlot.Options {
    const theme = this.theme;
    const { timeAxis, unit, label, pastSteps } = this.options;
    const time = timeAxis === 'time';
    const px = fontPx(theme.font);
    const cols = this.columns;

    /** The legend index of series `si`: under the cursor, else the latest value. */
    const legendIndex = (si: number, idx: number | null): number => {
      if (idx !== null) return idx;
      const next = this.nowIndex + 1;
      return (si === MEAN || si === UPPER) && next < cols[X].length ? next : this.nowIndex;
    };
    const value =
      (format: (i: number) => string) =>
      (_u: uPlot, _raw: number, si: number, idx: number | null): string => {
        const i = legendIndex(si, idx);
        return i < 0 || i >= cols[X].length ? EMPTY : format(i);
      };
    const number = (v: number | null | undefined): string =>
      v === null || v === undefined ? EMPTY : withUnit(formatNumber(v), unit);

    const seriesColor = (si: number): string =>
      si === HISTORY
        ? theme.history
        : si === ANOMALY
          ? theme.anomaly
          : si === PAST
            ? theme.past
            : theme.forecast;
    const axisFont = theme.font;
    const measure = this.measure;
    /** Width in CSS px of the widest line of `values` (labels may have two lines). */
    const widest = (values: (string | number | null)[] | null): number => {
      if (!values || measure === null) return 0;
      measure.font = axisFont;
      let w = 0;
      for (const v of values) {
        if (v === null) continue;
        for (const line of String(v).split('\n')) w = Math.max(w, measure.measureText(line).width);
      }
      return w;
    };
    // Tick values are centred on their ticks, and a tick may fall on either end of the x axis:
    // half the widest x value must fit right of the plot, and left of it beside the y axis.
    // uPlot sizes axes and padding in up to three rounds; within one layout these only grow.
    let xHalf = 0;
    let yWidth = 0;

    const axis: uPlot.Axis = {
      stroke: theme.text,
      font: axisFont,
      gap: 6,
      ticks: { show: false },
      grid: { stroke: theme.grid, width: 1 },
      border: { show: false },
    };

    return {
      width: this.width,
      height: this.height,
      ms: 1,
      padding: [
        px, // half a y value above the top tick
        () => Math.max(14, Math.ceil(xHalf + 1)),
        0,
        () => Math.max(0, Math.ceil(xHalf + 1 - yWidth)),
      ],
      scales: {
        x: { time, range: (_u, min, max) => this.xRange(min, max) },
        y: { range: (_u, min, max) => this.yRange(min, max) },
      },
      series: [
        {
          label: time ? 'Time' : 'Sample',
          class: 'lf-x',
          value: value((i) => {
            const xs = cols[X];
            if (!time) return `#${INTEGER.format(xs[i])}`;
            return (xs[xs.length - 1] - xs[0] >= DAY_MS ? DATE_TIME : SECONDS).format(xs[i]);
          }),
        },
        { label: 'Lower', class: 'lf-lower', width: 0, spanGaps: true, points: { show: false } },
        {
          label: 'Interval',
          class: 'lf-band',
          width: 0,
          spanGaps: true,
          points: { show: false },
          value: value((i) => {
            const lo = cols[LOWER][i];
            const hi = cols[UPPER][i];
            if (lo === null || hi === null || i === this.anchorIndex) return EMPTY;
            return withUnit(`${formatNumber(lo)} – ${formatNumber(hi)}`, unit);
          }),
        },
        {
          label: label || 'Actual',
          class: 'lf-history',
          stroke: theme.history,
          width: 1.5,
          spanGaps: false,
          points: { show: false },
          value: value((i) => number(cols[HISTORY][i])),
        },
        {
          label: 'Forecast',
          class: 'lf-forecast',
          stroke: theme.forecast,
          width: 2,
          dash: [6, 4],
          spanGaps: true,
          points: { show: false },
          value: value((i) => (i === this.anchorIndex ? EMPTY : number(cols[MEAN][i]))),
        },
        {
          label: 'Anomaly',
          class: 'lf-anomaly',
          stroke: theme.anomaly,
          paths: () => null, // drawn by drawOverlay: a ring around a dot
          points: { show: false },
          value: (_u, _raw, _si, idx) => {
            const v = idx === null ? null : cols[ANOMALY][idx];
            return v === null || v === undefined ? '' : number(v);
          },
        },
        {
          label: `${pastSteps}-step forecast`,
          class: pastSteps > 0 ? 'lf-past' : 'lf-none',
          show: pastSteps > 0,
          stroke: theme.past,
          width: 1.5,
          dash: [2, 3],
          spanGaps: true,
          points: { show: false },
          value: value((i) => number(cols[PAST][i])),
        },
      ],
      bands: [{ series: [UPPER, LOWER], fill: theme.band }],
      axes: [
        {
          ...axis,
          space: time ? 80 : 60,
          size: (_u, values, _i, cycle) => {
            const half = widest(values) / 2;
            xHalf = cycle <= 1 ? half : Math.max(xHalf, half);
            const lines = values?.reduce((m, v) => Math.max(m, String(v).split('\n').length), 1);
            return Math.ceil((lines ?? 1) * px * 1.4 + 8);
          },
          ...(time
            ? {
                values: (_u: uPlot, splits: number[], _a: number, _s: number, incr: number) =>
                  timeTicks(splits, incr),
              }
            : {
                incrs: INDEX_INCRS,
                values: (_u: uPlot, splits: number[]) => splits.map((v) => INTEGER.format(v)),
              }),
        },
        {
          ...axis,
          space: 36,
          gap: 8,
          size: (_u, values, _i, cycle) => {
            const size = !values || measure === null ? 48 : Math.ceil(widest(values) + 8 + 6);
            yWidth = cycle <= 1 ? size : Math.min(yWidth, size);
            return size;
          },
        },
      ],
      legend: {
        live: true,
        mount: (_u, el) => this.legendHost.replaceChildren(el),
        markers: {
          width: (_u, si) => (si === HISTORY || si === MEAN || si === PAST ? 2 : 0),
          dash: (_u, si) => (si === MEAN ? 'dashed' : si === PAST ? 'dotted' : 'solid'),
          stroke: (_u, si) => seriesColor(si),
          fill: (_u, si) =>
            si === UPPER ? theme.band : si === ANOMALY ? theme.anomaly : 'transparent',
        },
      },
      cursor: {
        y: false,
        drag: { x: false, y: false, setScale: false },
        points: {
          size: 7,
          width: 0,
          fill: (_u, si) => seriesColor(si),
          stroke: (_u, si) => seriesColor(si),
        },
      },
      select: { show: false, left: 0, top: 0, width: 0, height: 0 },
      hooks: {
        draw: [(u) => this.drawOverlay(u)],
        // The band is two series: toggling "Interval" in the legend toggles its lower edge too.
        setSeries: [
          (u, si) => {
            if (si === UPPER && u.series[LOWER].show !== u.series[UPPER].show) {
              u.setSeries(LOWER, { show: u.series[UPPER].show });
            }
          },
        ],
      },
    };
  }

  /**
   * The x axis: every point held, unless the forecast would take less than `forecastShare` of
   * the width; then only the newest history that leaves it that share.
   */
  private xRange(min: number, max: number): uPlot.Range.MinMax {
    if (!(min < max)) return [min - 1, max + 1];
    const share = this.options.forecastShare;
    const xs = this.columns[X];
    if (share <= 0 || this.nowIndex < 0 || this.nowIndex >= xs.length - 1) return [min, max];
    const now = xs[this.nowIndex];
    const end = xs[xs.length - 1];
    return [Math.max(min, end - (end - now) / share), end];
  }

  /** The y axis: the data drawn (uPlot's padded range) with the thresholds, then yMin/yMax. */
  private yRange(min: number | null, max: number | null): uPlot.Range.MinMax {
    const { yMin, yMax, thresholdHigh, thresholdLow } = this.options;
    let lo = min !== null && Number.isFinite(min) ? min : Infinity;
    let hi = max !== null && Number.isFinite(max) ? max : -Infinity;
    for (const t of [thresholdHigh, thresholdLow]) {
      if (t === null) continue;
      lo = Math.min(lo, t);
      hi = Math.max(hi, t);
    }
    let [a, b] = (lo <= hi ? uPlot.rangeNum(lo, hi, 0.1, true) : [0, 1]) as [number, number];
    if (yMin !== null) a = yMin;
    if (yMax !== null) b = yMax;
    if (!(a < b)) {
      // one end fixed beyond the data's other end: keep the fixed one, a unit of room
      const room = Math.max(Math.abs(yMin ?? yMax ?? 1) * 0.1, 1e-9);
      if (yMin !== null) b = a + room;
      else a = b - room;
    }
    return [a, b];
  }

  /** Draws what uPlot does not: the "now" marker and the anomalies. Counts the draw. */
  private drawOverlay(u: uPlot): void {
    this.drawCount++;
    const cols = this.columns;
    if (this.nowIndex < 0) return;
    const { ctx, bbox } = u;
    const pr = uPlot.pxRatio;
    const theme = this.theme;
    ctx.save(); // uPlot caches the context's styles: leave them as found
    ctx.beginPath();
    ctx.rect(bbox.left, bbox.top, bbox.width, bbox.height);
    ctx.clip();

    const lineWidth = Math.max(1, Math.round(pr));
    const nowX = Math.round(u.valToPos(cols[X][this.nowIndex], 'x', true)) + (lineWidth % 2) / 2;
    ctx.strokeStyle = theme.now;
    ctx.lineWidth = lineWidth;
    ctx.setLineDash([]);
    ctx.beginPath();
    ctx.moveTo(nowX, bbox.top);
    ctx.lineTo(nowX, bbox.top + bbox.height);
    ctx.stroke();
    const px = fontPx(theme.font);
    ctx.font = theme.font.replace(/(\d+)px/, `${Math.round((px - 1) * pr)}px`);
    ctx.fillStyle = theme.text;
    ctx.textBaseline = 'top';
    // Right of the line, or left of it when the forecast leaves too little room (or none, before
    // the first forecast): never cut by the plot's edge.
    const gap = 4 * pr;
    const label = ctx.measureText('now');
    const labelWidth = Math.max(label.width, label.actualBoundingBoxRight);
    if (nowX + gap + labelWidth <= bbox.left + bbox.width) {
      ctx.textAlign = 'left';
      ctx.fillText('now', nowX + gap, bbox.top + 2 * pr);
    } else if (nowX - gap - labelWidth >= bbox.left) {
      ctx.textAlign = 'right';
      ctx.fillText('now', nowX - gap, bbox.top + 2 * pr);
    }

    this.drawThresholds(u);

    if (u.series[ANOMALY].show !== false) {
      const anomaly = cols[ANOMALY];
      ctx.lineWidth = 1.5 * pr;
      ctx.strokeStyle = ctx.fillStyle = theme.anomaly;
      for (let i = 0; i <= this.nowIndex; i++) {
        const v = anomaly[i];
        if (v === null) continue;
        const x = u.valToPos(cols[X][i], 'x', true);
        const y = u.valToPos(v, 'y', true);
        ctx.beginPath();
        ctx.arc(x, y, 5.5 * pr, 0, 2 * Math.PI);
        ctx.stroke();
        ctx.beginPath();
        ctx.arc(x, y, 2.5 * pr, 0, 2 * Math.PI);
        ctx.fill();
      }
    }
    ctx.restore();
  }

  /** Threshold lines: solid, across the plot, their value at the left end (clipped by the caller). */
  private drawThresholds(u: uPlot): void {
    const { thresholdHigh, thresholdLow, unit } = this.options;
    const { ctx, bbox } = u;
    const pr = uPlot.pxRatio;
    const theme = this.theme;
    const lineWidth = Math.max(1, Math.round(1.5 * pr));
    for (const t of [thresholdHigh, thresholdLow]) {
      if (t === null) continue;
      const y = Math.round(u.valToPos(t, 'y', true)) + (lineWidth % 2) / 2;
      if (!(y >= bbox.top && y <= bbox.top + bbox.height)) continue;
      ctx.strokeStyle = ctx.fillStyle = theme.threshold;
      ctx.lineWidth = lineWidth;
      ctx.setLineDash([]);
      ctx.beginPath();
      ctx.moveTo(bbox.left, y);
      ctx.lineTo(bbox.left + bbox.width, y);
      ctx.stroke();
      ctx.textAlign = 'left';
      const above = t === thresholdHigh || y - bbox.top > 16 * pr;
      ctx.textBaseline = above ? 'bottom' : 'top';
      ctx.fillText(withUnit(formatNumber(t), unit), bbox.left + 4 * pr, y + (above ? -2 : 2) * pr);
    }
  }
}

/** Options with every field set: `partial`'s, else `base`'s, else the defaults. */
function withDefaults(
  partial: Partial<ChartOptions>,
  base: Required<ChartOptions> | null,
): Required<ChartOptions> {
  const pick = <K extends keyof ChartOptions>(key: K, fallback: Required<ChartOptions>[K]) =>
    (key in partial ? partial[key] : base ? base[key] : fallback) as Required<ChartOptions>[K];
  const o: Required<ChartOptions> = {
    maxPoints: partial.maxPoints ?? base?.maxPoints ?? 1,
    label: partial.label ?? base?.label ?? '',
    unit: partial.unit ?? base?.unit ?? '',
    timeAxis: partial.timeAxis ?? base?.timeAxis ?? 'index',
    forecastShare: partial.forecastShare ?? base?.forecastShare ?? FORECAST_SHARE,
    yMin: pick('yMin', null) ?? null,
    yMax: pick('yMax', null) ?? null,
    thresholdHigh: pick('thresholdHigh', null) ?? null,
    thresholdLow: pick('thresholdLow', null) ?? null,
    pastSteps: partial.pastSteps ?? base?.pastSteps ?? 0,
  };
  if (!(o.forecastShare >= 0 && o.forecastShare <= 0.9)) {
    throw new RangeError(`forecastShare must be in [0, 0.9], got ${o.forecastShare}`);
  }
  if (!Number.isInteger(o.pastSteps) || o.pastSteps < 0) {
    throw new RangeError(`pastSteps must be a non-negative integer, got ${o.pastSteps}`);
  }
  for (const key of ['yMin', 'yMax', 'thresholdHigh', 'thresholdLow'] as const) {
    const v = o[key];
    if (v !== null && !Number.isFinite(v)) throw new RangeError(`${key} must be finite, got ${v}`);
  }
  if (o.yMin !== null && o.yMax !== null && !(o.yMin < o.yMax)) {
    throw new RangeError(`yMin (${o.yMin}) must be below yMax (${o.yMax})`);
  }
  return o;
}

function validateMaxPoints(maxPoints: number): void {
  if (!Number.isInteger(maxPoints) || maxPoints < 1) {
    throw new RangeError(`maxPoints must be a positive integer, got ${maxPoints}`);
  }
}

// ---------------------------------------------------------------------------------------------
// One frame loop for every chart on the page. Sixteen charts fed 50 times a second would each
// redraw every frame, and their draws would add up to one long frame; instead each frame draws
// the charts that have waited longest, the rest in the next frames. A draw costs more than its
// script (the page's layout, painting and compositing the canvas, and the garbage uPlot leaves,
// collected later), so at most MAX_DRAWS charts are drawn per frame, about 120 draws a second
// shared by all charts: one or two charts redraw every frame, sixteen each about 8 times a
// second. Fewer when frames come late (a late frame halves the allowance, each frame on time
// raises it by DRAWS_STEP) or when FRAME_BUDGET_MS of script is spent; always at least one.
// This is the one piece of module state shared between elements, on purpose.

const FRAME_BUDGET_MS = 3;
/** Charts drawn per frame: the allowance's bounds, and its step up per frame on time. */
const MIN_DRAWS = 1;
const MAX_DRAWS = 2;
const DRAWS_STEP = 0.25;
/** A frame more than this many frame periods after the previous one is late. */
const LATE = 1.5;

class FrameScheduler {
  private readonly waiting = new Set<ForecastChart>();
  private frame = 0;
  private allowance = MAX_DRAWS;
  /** Time of the previous frame we drew in, if we asked for this one right after it, else 0. */
  private previous = 0;
  /** The display's frame period, the shortest seen between two consecutive frames. */
  private period = 1000 / 60;

  request(chart: ForecastChart): void {
    this.waiting.add(chart);
    if (this.frame === 0) this.frame = requestAnimationFrame(this.run);
  }

  cancel(chart: ForecastChart): void {
    this.waiting.delete(chart);
  }

  private readonly run = (time: number): void => {
    this.frame = 0;
    if (this.previous > 0) {
      const dt = time - this.previous;
      if (dt > 1) this.period = Math.min(this.period, dt);
      this.allowance =
        dt > LATE * this.period
          ? Math.max(MIN_DRAWS, this.allowance / 2)
          : Math.min(MAX_DRAWS, this.allowance + DRAWS_STEP);
    }
    const t0 = performance.now();
    let drew = 0;
    for (const chart of this.waiting) {
      if (drew >= Math.floor(this.allowance)) break;
      if (drew > 0 && performance.now() - t0 > FRAME_BUDGET_MS) break;
      this.waiting.delete(chart); // set order: re-added charts go to the back
      chart.drawNow();
      drew++;
    }
    this.previous = this.waiting.size > 0 ? time : 0;
    if (this.waiting.size > 0) this.frame = requestAnimationFrame(this.run);
  };
}

const frames = new FrameScheduler();
