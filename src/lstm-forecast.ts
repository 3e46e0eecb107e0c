import { LitElement, css, html, unsafeCSS, type PropertyValues } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import type { Anomaly, ErrorInfo, ForecasterSnapshot, ForecastUpdate } from '../worker/engine';
import { ForecastChart, DARK, FORECAST_SHARE, HOST, LIGHT, themeDeclarations } from './chart';
import { LeaseController } from './controllers/lease';
import { PersistenceController, persistStore } from './controllers/persistence';
import { SourceController } from './controllers/source';
import type { Batch, DrawnHistory, TailBatch } from './persist';
import { WorkerStartError, sharedPool, type Lease } from './pool';
import type { Sample } from './sources';
import { formatDuration, percent, plural, skillText } from './status-text';

/** The sample a forecast starts from: the latest reading the model has taken in. */
export interface LastSample {
  /** Its time (ms, or the sample index): the same as the forecast's `from`. */
  time: number;
  /** Its value (the first feature's, with `features` > 1); null for a gap. */
  value: number | null;
}
/** detail of `forecast`: one entry per horizon step. */
export interface ForecastEventDetail {
  /** Time of the last sample the forecast starts from (ms, or the sample index). */
  from: number;
  /** That sample: its time and value. */
  last: LastSample;
  time: number[];
  mean: number[];
  lower: number[];
  upper: number[];
}
/** detail of `anomaly`. */
export interface AnomalyEventDetail {
  /** Stable across rebuilds and restores: the sample's time (or index), so a replay never reports it twice. */
  id: number;
  time: number;
  value: number;
  expected: number;
  interval: [number, number];
  score: number;
}
/** detail of `train`. */
export interface TrainEventDetail {
  loss: number;
  stepsPerSecond: number;
  /** 1 - MAE / naive MAE averaged over the horizon: above 0 beats repeating the last value. */
  skill: number;
  trainSteps: number;
  samples: number;
  warmupRemaining: number;
  /** Share of recent samples inside their one-step interval (NaN before any was scored). */
  coverage: number;
  /** Samples the forecaster refused (its count, a restored one's included). */
  rejected: number;
  /** About how many of the latest scored samples `skill` and `coverage` are over (exponentially weighted). */
  scored: { skill: number; coverage: number };
  /** What runs the network's products: WebAssembly SIMD, or JS where it is missing or refused (a strict CSP). */
  kernels: 'wasm-simd' | 'js';
}
/** detail of `forecast-error` (before 0.1: the `error` event). */
export interface ErrorEventDetail {
  code: string;
  message: string;
}
/** detail of `ready`. */
export interface ReadyEventDetail {
  /** It continued from a saved record (persist). */
  restored: boolean;
  /** Samples the forecaster has taken in (those of the saved record, when restored). */
  samples: number;
}
/** detail of `threshold`: a crossing predicted within the horizon, or no longer predicted. */
export interface ThresholdEventDetail {
  /** Which threshold: `threshold-high` (crossed upwards) or `threshold-low` (downwards). */
  edge: 'high' | 'low';
  /** The threshold's value. */
  threshold: number;
  /** true: the forecast mean reaches the threshold within the horizon; false: no longer. */
  predicted: boolean;
  /** When the mean first reaches it (interpolated between steps), or null when not predicted. */
  time: number | null;
  /** Horizon steps until then (fractional), or null. */
  steps: number | null;
}
/** detail of `stale`: no sample from `src` for `stale-after` seconds, or data again. */
export interface StaleEventDetail {
  stale: boolean;
  /** Time of the last sample (or of opening the source), ms since the epoch. */
  since: number;
}

export interface LstmForecastEventMap {
  forecast: CustomEvent<ForecastEventDetail>;
  anomaly: CustomEvent<AnomalyEventDetail>;
  train: CustomEvent<TrainEventDetail>;
  'forecast-error': CustomEvent<ErrorEventDetail>;
  ready: CustomEvent<ReadyEventDetail>;
  threshold: CustomEvent<ThresholdEventDetail>;
  stale: CustomEvent<StaleEventDetail>;
}

/** What push() takes: a number, the features of one time step, or { t, value }. */
export type PushValue =
  number | null | number[] | { t?: number | string | Date; value: number | number[] | null };

const cssVars = (theme: typeof LIGHT) => unsafeCSS(themeDeclarations(theme));

/** Display settings passed to the chart as they are. */
const DISPLAY_PROPS = [
  'forecastShare',
  'yMin',
  'yMax',
  'thresholdHigh',
  'thresholdLow',
  'pastForecast',
] as const;

const MODEL_PROPS = [
  'hiddenSize',
  'layers',
  'window',
  'horizon',
  'learningRate',
  'coverage',
  'features',
  'season',
  'anomalyLevel',
  'cell',
] as const;
/**
 * The largest magnitude of a value taken in: the engine's forecasts and errors overflow to
 * non-finite numbers from about 1e120 (squares of differences), so larger ones are bad-value.
 */
const MAX_MAGNITUDE = 1e100;
/** The most points `max-points` may draw (the chart preallocates them). */
const MAX_POINTS_LIMIT = 100_000;
/** The most samples the model keeps for a rebuild (the engine's largest window + horizon). */
const REFEED_LIMIT = 1024 + 512;
const ANNOUNCE_EVERY_MS = 10_000;
const TEXT_EVERY_MS = 1000;
/** How long a `train` event waits for the training that a sample taken in announces. */
const TRAIN_HOLD_MS = 1000;
/**
 * The engine's skill and coverage are exponentially weighted means (worker/engine/forecaster.ts:
 * errors with weight 1/32, coverage 1/100): about this many of the latest samples count.
 */
const SKILL_SAMPLES = 128; // worker/engine/intervals.ts, SKILL_MEMORY
const COVERAGE_SAMPLES = 100;

/**
 * A live time-series forecast: an LSTM trained online in a Web Worker, drawn with uPlot.
 * Feed it with `push()` or a `src` URL (WebSocket, Server-Sent Events, or a polled JSON URL).
 *
 * @fires forecast - A new forecast: `{ from, last: { time, value }, time[], mean[], lower[], upper[] }`, one entry per horizon step; `last` is the sample it starts from, the latest reading the model has taken in (`value` null for a gap).
 * @fires anomaly - A sample the model did not expect (its de-seasonalised residual beyond the `anomaly-level` bar): `{ id, time, value, expected, interval, score }`.
 * @fires train - Training progress after each batch of training (before training can start, after each batch of samples): `{ loss, stepsPerSecond, skill, trainSteps, samples, warmupRemaining, kernels }`.
 * @fires forecast-error - Something went wrong: `{ code, message }` (malformed message, lost connection, rejected sample, a worker restarted, a bad saved record: the element carries on), or `worker-blocked` (the browser refused the forecast worker, e.g. a Content-Security-Policy without `worker-src blob:` for the all-in-one build: use `lstm-forecast/csp`) and no forecasts are made. Named `error` before: an `error` that bubbles reaches `window`, where error trackers take it for an uncaught error.
 * @fires ready - The forecaster is ready to take samples: `{ restored, samples }` (restored: it continued from a saved record).
 * @fires threshold - The forecast mean is predicted to cross `threshold-high` (upwards) or `threshold-low` (downwards) within the horizon: `{ edge, threshold, predicted: true, time, steps }`, once per episode; `{ predicted: false }` when that is no longer predicted.
 * @fires stale - No sample from `src` for `stale-after` seconds: `{ stale: true, since }`; `{ stale: false }` when data comes again.
 *
 * @csspart chart - The chart area (a focusable image; arrow keys move the cursor).
 * @csspart header - The label row.
 * @csspart status - The status line: samples, skill, coverage, training speed, warm-up, connection, health, thresholds.
 * @csspart legend - The chart's legend row (uPlot's legend table inside it).
 * @csspart plot - The box the chart's canvas fills.
 * @csspart canvas - The chart's canvas.
 * @csspart cursor - The chart's vertical cursor line.
 *
 * @cssproperty --lstm-forecast-history-color - The history line. Default #1e293b (light), #e2e8f0 (dark).
 * @cssproperty --lstm-forecast-forecast-color - The dashed forecast line. Default #2563eb (light), #60a5fa (dark).
 * @cssproperty --lstm-forecast-band-color - The interval band. Default: the forecast colour at 20% opacity.
 * @cssproperty --lstm-forecast-anomaly-color - Anomaly markers. Default #ea580c (light), #fb923c (dark).
 * @cssproperty --lstm-forecast-now-color - The "now" marker. Default #94a3b8 (light), #64748b (dark).
 * @cssproperty --lstm-forecast-grid-color - Grid lines. Default rgba(100, 116, 139, 0.16) (light), rgba(148, 163, 184, 0.14) (dark).
 * @cssproperty --lstm-forecast-text-color - Labels, axes and the status line. Default #475569 (light), #94a3b8 (dark).
 * @cssproperty --lstm-forecast-threshold-color - Threshold lines. Default #dc2626 (light), #f87171 (dark).
 * @cssproperty --lstm-forecast-past-color - The past forecast (`past-forecast`), dotted. Default #7c3aed (light), #c4b5fd (dark).
 * @cssproperty --lstm-forecast-background - Background. Default #ffffff (theme="light"), #0f172a (theme="dark"), transparent (auto).
 * @cssproperty --lstm-forecast-font - Font. Default 12px system-ui and fallbacks.
 * @cssproperty --lstm-forecast-height - Height of the element when its container gives none. Default 240px.
 */
@customElement('lstm-forecast')
export class LstmForecast extends LitElement {
  static override styles = css`
    :host {
      display: block;
      position: relative;
      height: var(--lstm-forecast-height, ${unsafeCSS(HOST.height)});
      box-sizing: border-box;
      background: var(--lstm-forecast-background, var(--lf-background));
      color: var(--lstm-forecast-text-color);
      font: var(--lstm-forecast-font);
      contain: content;
      --lf-background: ${unsafeCSS(HOST.background.auto)};
      ${cssVars(LIGHT)}
    }
    :host([theme='light']) {
      --lf-background: ${unsafeCSS(HOST.background.light)};
    }
    :host([theme='dark']) {
      --lf-background: ${unsafeCSS(HOST.background.dark)};
      ${cssVars(DARK)}
    }
    @media (prefers-color-scheme: dark) {
      :host([theme='auto']),
      :host(:not([theme])) {
        ${cssVars(DARK)}
      }
    }
    .wrap {
      display: flex;
      flex-direction: column;
      height: 100%;
    }
    [part='header'] {
      display: flex;
      gap: 0.5em;
      align-items: baseline;
      min-height: 1.4em;
    }
    .label {
      font-weight: 600;
    }
    [part='chart'] {
      flex: 1;
      min-height: 60px;
      position: relative;
      outline: none;
      border-radius: 4px;
    }
    [part='chart']:focus-visible {
      box-shadow: 0 0 0 2px var(--lstm-forecast-forecast-color);
    }
    [part='status'] {
      opacity: 0.8;
      white-space: nowrap;
      overflow: hidden;
      text-overflow: ellipsis;
      min-height: 1.4em;
    }
    .sr-only {
      position: absolute;
      width: 1px;
      height: 1px;
      padding: 0;
      margin: -1px;
      overflow: hidden;
      clip: rect(0, 0, 0, 0);
      white-space: nowrap;
      border: 0;
      contain: strict; /* its text changes every second: laid out alone, not with the page */
    }
  `;

  /** LSTM hidden size. Changing it rebuilds the model. */
  @property({ type: Number, attribute: 'hidden-size' }) hiddenSize = 32;
  /** LSTM layers. Changing it rebuilds the model. */
  @property({ type: Number }) layers = 1;
  /** Samples in the training window (truncated BPTT length). Changing it rebuilds the model. */
  @property({ type: Number }) window = 32;
  /** Steps ahead to forecast. Changing it rebuilds the model. */
  @property({ type: Number }) horizon = 12;
  /** Optimiser learning rate. Changing it rebuilds the model. */
  @property({ type: Number, attribute: 'learning-rate' }) learningRate = 3e-3;
  /** Coverage of the drawn prediction interval, in (0, 1). Changing it rebuilds the model. */
  @property({ type: Number }) coverage = 0.8;
  /** Values per time step (the first is forecast). Changing it rebuilds the model. */
  @property({ type: Number }) features = 1;
  /** The season in samples if you know it (a day of hourly data: 24); 0 detects it. Changing it rebuilds the model. */
  @property({ type: Number }) season = 0;
  /** How rare a residual must be to be an anomaly, in (0.5, 1): 0.999 flags about 1 in 1,000 clean samples at most. Changing it rebuilds the model. */
  @property({ type: Number, attribute: 'anomaly-level' }) anomalyLevel = 0.999;
  /** The recurrent cell, `lstm` or `gru` (torch.nn.GRU). Changing it rebuilds the model. */
  @property() cell: 'lstm' | 'gru' = 'lstm';
  /** How many past samples are drawn, a whole number in [1, 100000]. Display only. */
  @property({ type: Number, attribute: 'max-points' }) maxPoints = 500;
  /** A live source: ws(s):// (WebSocket), http(s):// or a path (Server-Sent Events, or polled JSON with poll-interval). */
  @property({ type: String }) src = '';
  /** Dotted path to the value in JSON object messages, e.g. "data.temperature". */
  @property({ type: String, attribute: 'value-path' }) valuePath = '';
  /** Dotted path to the time in JSON object messages; default t, time or timestamp. */
  @property({ type: String, attribute: 'time-path' }) timePath = '';
  /** Poll `src` as JSON every this many ms instead of streaming it; 0 streams. */
  @property({ type: Number, attribute: 'poll-interval' }) pollInterval = 0;
  /** An IndexedDB key: the model is saved under it and restored on the next visit. */
  @property({ type: String }) persist = '';
  /** A title shown above the chart and used in its text alternative. */
  @property({ type: String }) label = '';
  /** The unit of the values, shown in the legend and announcements. */
  @property({ type: String }) unit = '';
  /** Freezes the drawing (data still flows to the model and events still fire). */
  @property({ type: Boolean, reflect: true }) paused = false;
  /** 'light', 'dark' (each with its own opaque background), or 'auto' (follows prefers-color-scheme, transparent). */
  @property({ type: String, reflect: true }) theme: 'light' | 'dark' | 'auto' = 'auto';
  /** The share of the plot's width the forecast takes at least, in [0, 0.9]; 0 draws every held point. */
  @property({ type: Number, attribute: 'forecast-share' }) forecastShare = FORECAST_SHARE;
  /** Fixed bottom of the y axis (e.g. 0 for a quantity that cannot go below it); unset follows the data. */
  @property({ type: Number, attribute: 'y-min' }) yMin: number | null = null;
  /** Fixed top of the y axis; unset follows the data. */
  @property({ type: Number, attribute: 'y-max' }) yMax: number | null = null;
  /** An upper threshold: drawn as a line; a `threshold` event when the forecast mean is predicted to reach it. */
  @property({ type: Number, attribute: 'threshold-high' }) thresholdHigh: number | null = null;
  /** A lower threshold: drawn as a line; a `threshold` event when the forecast mean is predicted to fall to it. */
  @property({ type: Number, attribute: 'threshold-low' }) thresholdLow: number | null = null;
  /** Draws over the history the forecast made this many steps earlier (1 to horizon); 0 draws none. */
  @property({ type: Number, attribute: 'past-forecast' }) pastForecast = 0;
  /** Seconds without a sample from `src` before it is reported stale (a `stale` event); 0 never. */
  @property({ type: Number, attribute: 'stale-after' }) staleAfter = 30;

  @state() private statusText = 'starting…';
  @state() private summary = 'No data yet.';
  @state() private announcement = '';
  @state() private tableRows: [string, string, string][] = [];

  @query('[part="chart"]') private chartBox!: HTMLElement;

  private chart: ForecastChart | null = null;
  private readonly leaseCtl = new LeaseController(this, {
    acquire: () => this.acquire(true),
    released: () => {
      this.cancelHeldTrain();
      this.chart?.destroy();
      this.chart = null;
    },
  });
  /** The forecaster (the lease controller's), once acquired. */
  private get lease(): Lease | null {
    return this.leaseCtl.lease;
  }
  private set lease(lease: Lease | null) {
    this.leaseCtl.lease = lease;
  }
  private get leasing(): Promise<void> | null {
    return this.leaseCtl.leasing;
  }
  private set leasing(leasing: Promise<void> | null) {
    this.leaseCtl.leasing = leasing;
  }
  /** Why there is no forecaster: its worker could not start (reported once, not retried). */
  private startError: WorkerStartError | null = null;
  /**
   * Why there is no forecaster: the worker refused its options (a bad model attribute). Samples
   * are still drawn and kept; a change to a model attribute tries again.
   */
  private modelError: Error | null = null;
  /** The max-points value reported as bad, so that it is reported once. */
  private badMaxPoints: number | null = null;
  private goodMaxPoints = 500;
  private readonly source = new SourceController(this, {
    onSamples: (samples: Sample[]) => {
      for (const s of samples) this.accept(s.value, s.time);
    },
    onError: (e) => this.emitError(e),
    onChange: () => this.refreshText(),
    onStatus: () => this.updateStatus(),
    onStale: (since) => {
      if (since === null) this.dispatch('stale', { stale: false, since: Date.now() });
      else this.dispatch('stale', { stale: true, since });
    },
  });
  private readonly persistence = new PersistenceController(this, {
    lease: () => this.lease,
    modelKey: () => this.modelKey(),
    history: () => this.drawnHistory(),
    timeMode: () => (this.timeMode === 'time' ? 'time' : 'index'),
    onError: (message) => this.emitError({ code: 'persist-failed', message }),
  });
  /** Samples refused before they reached the forecaster (here or by the engine), and the latest why. */
  private rejected = 0;
  private lastRejection = '';
  /** Anomalies at or before this time were reported by an earlier model (see rebuild). */
  private anomaliesUpTo = -Infinity;
  /** Per threshold edge: the crossing currently predicted (an episode), or null. */
  private crossing: Record<'high' | 'low', ThresholdEventDetail | null> = { high: null, low: null };
  /** The past forecast drawn (time, value), kept for a redraw. */
  private pastTimes: number[] = [];
  private pastValues: number[] = [];
  private flushScheduled = false;
  private pendingValues: number[] = [];
  private pendingTimes: number[] = [];
  /** Drawn history kept by the element too, to refeed a rebuilt model and for the table. */
  private histTimes: number[] = [];
  private histValues: number[] = []; // row-major, features per row
  /** Samples trimmed off the front of the history: histTimes[i] is sample histDropped + i. */
  private histDropped = 0;
  /**
   * The number (as histDropped + i above) of the sample the forecaster counts as its first: its
   * update after `pushed` samples starts from sample engineBase + pushed - 1. Null until known.
   */
  private engineBase: number | null = null;
  private timeMode: 'unknown' | 'time' | 'index' = 'unknown';
  private lastTime = -Infinity;
  private samples = 0;
  private lastStats: TrainEventDetail | null = null;

  /** trainSteps of the latest update, to tell an update after training from one after a push. */
  private seenTrainSteps = -1;
  /** A `train` event held back for the training update that should follow (see onUpdate). */
  private heldTrain: ReturnType<typeof setTimeout> | null = null;
  private lastForecast: ForecastEventDetail | null = null;
  private lastAnnounce = 0;
  private textTimer: ReturnType<typeof setTimeout> | null = null;
  private textPending = false;
  private readonly darkQuery =
    typeof matchMedia === 'function' ? matchMedia('(prefers-color-scheme: dark)') : null;
  private readonly onSchemeChange = () => this.chart?.refreshTheme();

  override render() {
    return html`
      <div class="wrap">
        <div part="header">
          ${this.label ? html`<span class="label">${this.label}</span>` : null}
        </div>
        <div
          part="chart"
          role="img"
          tabindex="0"
          aria-label=${this.summary}
          aria-roledescription="forecast chart"
          @keydown=${this.onKey}
        ></div>
        <div part="status" aria-hidden="true">${this.statusText}</div>
        <div class="sr-only" role="status" aria-live="polite">${this.announcement}</div>
        <table class="sr-only">
          <caption>
            ${this.label || 'Series'}: latest values and forecast
          </caption>
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Actual</th>
              <th scope="col">Predicted</th>
            </tr>
          </thead>
          <tbody>
            ${this.tableRows.map(
              ([t, a, p]) =>
                html`<tr>
                  <td>${t}</td>
                  <td>${a}</td>
                  <td>${p}</td>
                </tr>`,
            )}
          </tbody>
        </table>
      </div>
    `;
  }

  // --------------------------------------------------------------------------------------------
  // Public API

  /** Pushes one sample: a number, the features of one time step, or `{ t, value }`. */
  push(value: PushValue, time?: number | string | Date): void {
    this.accept(value, time);
  }

  /** Pushes many: an array of push() values, or parallel arrays of values and times. */
  pushMany(values: ArrayLike<PushValue>, times?: ArrayLike<number | string | Date>): void {
    const n = lengthOf(values);
    if (n === null)
      return this.reject('bad-shape', `pushMany: values must be an array, found ${show(values)}`);
    if (times !== undefined && times !== null) {
      const m = lengthOf(times);
      if (m !== n) {
        return this.reject(
          'bad-shape',
          `pushMany: ${n} value(s) but ${m === null ? show(times) : `${m} time(s)`}; nothing was taken`,
        );
      }
    }
    for (let i = 0; i < n; i++) this.accept(values[i], times ? times[i] : undefined);
  }

  /** Forgets everything: a fresh model, an empty chart (and the saved record, with persist). */
  async reset(): Promise<void> {
    this.histTimes = [];
    this.histValues = [];
    this.histDropped = 0;
    this.pendingValues = [];
    this.pendingTimes = [];
    this.timeMode = 'unknown';
    this.lastTime = -Infinity;
    this.samples = 0;
    this.lastForecast = null;
    this.lastStats = null;
    this.seenTrainSteps = -1;
    this.rejected = 0;
    this.lastRejection = '';
    this.anomaliesUpTo = -Infinity;
    this.pastTimes = [];
    this.pastValues = [];
    this.clearCrossings();
    this.rebuildChart();
    if (this.persist) {
      const { deleteRecord, removeTail } = await persistStore();
      removeTail(this.persist);
      await deleteRecord(this.persist).catch(() => undefined);
    }
    await this.rebuild(false);
    this.updateStatus();
  }

  /** The forecaster's whole state (structured-cloneable), e.g. to store it yourself. */
  async snapshot(): Promise<ForecasterSnapshot> {
    await this.ready();
    this.flush();
    return this.lease!.takeSnapshot();
  }

  /**
   * Continues from a snapshot() of a forecaster with the same model settings; rejects one made
   * with others (an Error with code `snapshot-mismatch` naming them), and keeps the model it has.
   */
  async restore(snapshot: ForecasterSnapshot): Promise<void> {
    await this.ready();
    try {
      const mismatch = this.mismatchOf(snapshot);
      if (mismatch) {
        throw Object.assign(
          new Error(`restore: the snapshot was made with other model settings: ${mismatch}`),
          { code: 'snapshot-mismatch' },
        );
      }
      const lease = this.lease!;
      const restored = lease.restore(snapshot);
      this.persistence.begin('unsaved'); // no tail follows it until its first save lands
      this.countFrom(lease, this.histDropped + this.histTimes.length, true);
      await restored;
    } catch (e) {
      this.fail(e);
      throw e;
    }
  }

  /** The network as a PyTorch state_dict, as JSON (see the README for the layout). */
  async exportModel(): Promise<string> {
    await this.ready();
    return JSON.stringify(await this.lease!.exportStateDict());
  }

  /** Loads a PyTorch state_dict (JSON text or an object) and fine-tunes it from here on. */
  async importModel(json: string | Record<string, unknown>): Promise<void> {
    await this.ready();
    try {
      const sd = typeof json === 'string' ? (JSON.parse(json) as Record<string, unknown>) : json;
      await this.lease!.importStateDict(sd);
    } catch (e) {
      this.fail(e);
      throw e;
    }
  }

  /** The settings in which `snapshot` differs from this element's ('' when none). */
  private mismatchOf(snapshot: ForecasterSnapshot): string {
    const theirs = (snapshot as unknown as { options?: Record<string, unknown> } | null)?.options;
    if (!theirs || typeof theirs !== 'object') return ''; // the engine says what is wrong
    const ours = this.modelOptions() as Record<string, unknown>;
    return Object.keys(ours)
      .filter((k) => theirs[k] !== ours[k])
      .map((k) => `${k} ${String(theirs[k])} (this element: ${String(ours[k])})`)
      .join(', ');
  }

  /** @internal the lease on the pool's forecaster (for tests and diagnostics). */
  get forecasterLease(): Lease | null {
    return this.lease;
  }

  /** Resolves once the forecaster is ready to take samples; rejects if its worker cannot start. */
  async ready(): Promise<void> {
    while (!this.lease) {
      if (!this.leasing)
        throw this.startError ?? this.modelError ?? new Error('<lstm-forecast> is not connected');
      await this.leasing;
    }
  }

  // --------------------------------------------------------------------------------------------
  // Lifecycle

  // The controllers own the resources: the lease (controllers/lease.ts), the source
  // (controllers/source.ts) and persistence (controllers/persistence.ts), each started in
  // hostConnected and ended in hostDisconnected.
  override connectedCallback(): void {
    super.connectedCallback();
    this.darkQuery?.addEventListener('change', this.onSchemeChange);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback(); // persistence saves, the source closes, the lease goes
    this.darkQuery?.removeEventListener('change', this.onSchemeChange);
  }

  protected override firstUpdated(): void {
    this.rebuildChart();
  }

  protected override updated(changed: PropertyValues<this>): void {
    if (!this.isConnected) return;
    if (!this.chart && this.chartBox) this.rebuildChart();
    if (changed.has('maxPoints') || changed.has('label') || changed.has('unit')) {
      this.chart?.setOptions({ maxPoints: this.points(), label: this.label, unit: this.unit });
      this.trimHistory();
    }
    if (changed.has('theme')) this.chart?.refreshTheme();
    if (changed.has('paused') && !this.paused) this.redrawAll();
    if (DISPLAY_PROPS.some((p) => changed.has(p))) {
      try {
        this.chart?.setOptions(this.displayOptions());
      } catch (e) {
        this.emitError({ code: 'bad-config', message: (e as Error).message });
      }
      if (changed.has('pastForecast')) {
        this.pastTimes = [];
        this.pastValues = [];
      }
    }
    if (changed.has('thresholdHigh') || changed.has('thresholdLow')) {
      this.clearCrossings();
      if (this.lastForecast) this.checkThresholds(this.lastForecast);
    }
    const modelChanged = MODEL_PROPS.some((p) => changed.has(p) && changed.get(p) !== undefined);
    if (modelChanged && (this.lease || this.leasing || this.modelError)) void this.rebuild(true);
  }

  // --------------------------------------------------------------------------------------------
  // The forecaster

  private modelOptions() {
    return {
      hiddenSize: this.hiddenSize,
      numLayers: this.layers,
      window: this.window,
      horizon: this.horizon,
      learningRate: this.learningRate,
      coverage: this.coverage,
      features: this.features,
      season: this.season,
      anomalyLevel: this.anomalyLevel,
      cell: this.cell,
    };
  }

  private modelKey(): string {
    return JSON.stringify(this.modelOptions());
  }

  private async acquire(
    tryRestore: boolean,
    refeed: { values: Float64Array; times: Float64Array | null; first: number } | null = null,
  ): Promise<void> {
    const options = this.modelOptions();
    let snapshot: ForecasterSnapshot | undefined;
    let log: Batch[] = [];
    let history: DrawnHistory | null = null;
    let base: string | null = null;
    let tail: TailBatch[] = [];
    if (tryRestore && this.persist) {
      const { loadRecord, readTail, withTail } = await persistStore();
      const loaded = await loadRecord(this.persist, this.modelKey());
      if (loaded.kind === 'bad')
        this.emitError({
          code: 'bad-snapshot',
          message: `persist: ${loaded.reason}; starting fresh`,
        });
      const record = loaded.kind === 'ok' ? loaded.record : null;
      base = record?.id ?? null;
      // the samples taken after that record, if the page went before a later save landed
      ({ snapshot, log, history, tail } = withTail(
        record,
        readTail(this.persist, this.modelKey()),
        this.features,
      ));
    }
    const restoring = history !== null;
    let lease: Lease;
    try {
      lease = await sharedPool().acquire(
        options,
        { onUpdate: (u) => this.onUpdate(u), onError: (e) => this.emitError(e) },
        snapshot,
      );
    } catch (e) {
      if (e instanceof WorkerStartError) {
        // e.g. a Content-Security-Policy that refuses the worker: said once, with what to do
        this.startError = e;
        this.leasing = null;
        this.statusText = 'no forecasts: the forecast worker could not start';
        this.emitError(e);
        this.flush(); // what waited for the worker is drawn
        return;
      }
      if (snapshot) {
        this.emitError({
          code: 'bad-snapshot',
          message: `persist: the saved record could not be restored (${(e as Error).message}); starting fresh`,
        });
        return this.acquire(false);
      }
      // e.g. bad-config (a bad model attribute): said once; samples are still drawn and kept,
      // and the next change to a model attribute tries again with them
      this.modelError = e instanceof Error ? e : new Error(String(e));
      this.leasing = null;
      this.statusText = `no model: ${this.modelError.message}`;
      this.fail(this.attributeSaid(e));
      this.flush();
      return;
    }
    this.modelError = null;
    if (!this.isConnected && !this.leaseCtl.releasing) {
      void lease.release();
      return;
    }
    this.lease = lease;
    this.leasing = null;
    // what a save must carry from here: the tail replayed now, or the drawn history refed
    if (refeed) {
      const F = this.features;
      const n = refeed.values.length / F;
      const x = refeed.times ?? Float64Array.from({ length: n }, (_, i) => refeed.first + i);
      this.persistence.begin(null, [{ values: refeed.values.slice(), x }]);
    } else this.persistence.begin(base, tail);
    // a saved record: the samples pushed after its snapshot, replayed, and its drawn history
    for (const b of log) void lease.push(b.values, b.times).catch((e: unknown) => this.fail(e));
    if (history) this.restoreHistory(history);
    // what this forecaster takes first: the drawn history (after a rebuild), or what comes next
    this.countFrom(
      lease,
      refeed ? refeed.first : this.histDropped + this.histTimes.length,
      restoring,
    );
    this.statusText = restoring ? 'restored' : 'waiting for data';
    if (history) this.updateStatus(); // the restored samples, counted
    if (this.source.status) this.updateStatus(); // the source may have connected first
    // the drawn history first (after a rebuild), then what arrived meanwhile, in time order
    if (refeed) void lease.push(refeed.values, refeed.times).catch((e: unknown) => this.fail(e));
    let samples = 0;
    if (restoring)
      samples = await lease.stats().then(
        (st) => st.accepted + st.gaps,
        () => 0,
      );
    this.dispatch('ready', { restored: restoring, samples });
    this.persistence.dirty = true;
    this.flush();
  }

  /** A model setting changed (or reset): a new forecaster, fed the drawn history. */
  private async rebuild(refeed: boolean): Promise<void> {
    await this.leasing;
    const old = this.lease;
    this.lease = null;
    this.cancelHeldTrain();
    void old?.release();
    // The new model is fed the drawn history and scores it again: the anomalies it finds there
    // were reported by the old one (with other scores), so only later ones are reported.
    const newest =
      this.histTimes.length > 0 ? this.histTimes[this.histTimes.length - 1] : -Infinity;
    this.anomaliesUpTo = refeed ? Math.max(this.anomaliesUpTo, newest) : -Infinity;
    this.lastStats = null;
    this.seenTrainSteps = -1;
    this.clearCrossings();
    this.pastTimes = [];
    this.pastValues = [];
    this.chart?.clearPastForecast();
    const history =
      refeed && this.histTimes.length > 0
        ? {
            values: Float64Array.from(this.histValues),
            times: this.timeMode === 'time' ? Float64Array.from(this.histTimes) : null,
            first: this.histDropped,
          }
        : null;
    this.leasing = this.acquire(false, history);
    await this.leasing;
    if (refeed && this.lease) {
      this.emitError({
        code: 'model-rebuilt',
        message: 'model settings changed: a new model was built and fed the drawn history',
      });
    }
  }

  private onUpdate(u: ForecastUpdate): void {
    const s = u.stats;
    const detail: TrainEventDetail = {
      loss: s.loss,
      stepsPerSecond: s.stepsPerSecond,
      skill: s.skill,
      trainSteps: s.trainSteps,
      samples: s.accepted + s.gaps,
      warmupRemaining: s.warmupRemaining,
      coverage: s.coverage,
      rejected: s.rejected,
      scored: scoredOver(s.accepted + s.gaps - (this.window + this.horizon)),
      kernels: s.kernels,
    };
    this.lastStats = detail;
    // The worker sends an update when it has taken a batch in, and another when training has
    // caught up with it: two per sample in a live stream, the first with no new training. That
    // one is held back while training is due (done before, and a backlog waiting), so that a
    // listener hears once per batch of training; if no training update comes within
    // TRAIN_HOLD_MS, it goes out after all. Before any training (warming up) each update goes.
    const trained = s.trainSteps !== this.seenTrainSteps;
    this.seenTrainSteps = s.trainSteps;
    if (trained || s.trainSteps === 0 || s.backlog === 0) {
      this.cancelHeldTrain();
      this.dispatch('train', detail);
    } else if (this.heldTrain === null) {
      this.heldTrain = setTimeout(() => {
        this.heldTrain = null;
        if (this.lastStats) this.dispatch('train', this.lastStats);
      }, TRAIN_HOLD_MS);
    }
    for (const a of u.anomalies) this.onAnomaly(a);
    const f = u.forecast;
    if (f.ready) {
      const fd: ForecastEventDetail = {
        from: f.from,
        last: { time: f.from, value: null },
        time: Array.from(f.time),
        mean: Array.from(f.mean),
        lower: Array.from(f.lower),
        upper: Array.from(f.upper),
      };
      this.findLast(fd, s.pushed);
      this.lastForecast = fd;
      this.addPast(fd);
      if (!this.paused) this.chart?.setForecast(fd);
      this.dispatch('forecast', fd);
      this.announceForecast(fd);
      this.checkThresholds(fd);
    }
    this.refreshText();
    this.persistence.dirty = true;
  }

  /**
   * Fills `last` (and, with sample indices, puts the forecast on the element's own indices). With
   * times, the sample is the one at `from`. With indices the forecaster numbers samples itself,
   * from 0 when it was made (so after a rebuild fed the drawn history, or restored from a saved
   * record, its numbers are not the element's): the sample is then found by the forecaster's
   * count of samples pushed, and the forecast's times are made the element's indices.
   */
  private findLast(fd: ForecastEventDetail, pushed: number): void {
    const F = this.features;
    let i: number;
    if (this.timeMode === 'time') {
      i = this.histTimes.length - 1;
      while (i >= 0 && this.histTimes[i] > fd.from) i--; // the newest first: it is near the end
      if (i >= 0 && this.histTimes[i] !== fd.from) i = -1;
    } else {
      i = this.engineBase === null ? -1 : this.engineBase + pushed - 1 - this.histDropped;
      if (i >= this.histTimes.length) i = -1;
      if (i >= 0) {
        const from = this.histTimes[i];
        fd.from = from;
        for (let k = 0; k < fd.time.length; k++) fd.time[k] = from + k + 1;
      }
    }
    if (i < 0) return; // no longer held (or not yet known): time only
    const v = this.histValues[i * F];
    fd.last = { time: this.histTimes[i], value: Number.isFinite(v) ? v : null };
  }

  /**
   * Notes that the next sample `lease` is sent is sample `next`; a forecaster restored from a
   * snapshot has counted samples already, which its stats say.
   */
  private countFrom(lease: Lease, next: number, restored: boolean): void {
    if (!restored) {
      this.engineBase = next;
      return;
    }
    this.engineBase = null;
    lease.stats().then(
      (s) => {
        if (this.lease === lease) this.engineBase = next - s.pushed;
      },
      () => undefined,
    );
  }

  private cancelHeldTrain(): void {
    if (this.heldTrain !== null) clearTimeout(this.heldTrain);
    this.heldTrain = null;
  }

  private onAnomaly(a: Anomaly): void {
    // With sample indices the forecaster numbers samples from its own first: the element's.
    let time = a.time;
    if (this.timeMode !== 'time') {
      if (this.engineBase === null) return; // a restored model's numbering is not known yet
      time = this.engineBase + a.time;
    }
    if (time <= this.anomaliesUpTo) return; // reported by the model before a rebuild
    if (!this.paused) this.chart?.addAnomaly(time, a.value);
    this.dispatch('anomaly', {
      id: time,
      time,
      value: a.value,
      expected: a.expected,
      interval: [a.lower, a.upper],
      score: a.score,
    });
  }

  /** What persistence saves of the drawing: the drawn history (first feature), and the count. */
  private drawnHistory(): DrawnHistory {
    const F = this.features;
    const n = Math.min(this.histTimes.length, this.maxPoints);
    const from = this.histTimes.length - n;
    const values = new Float64Array(n);
    for (let i = 0; i < n; i++) values[i] = this.histValues[(from + i) * F];
    return {
      times: Float64Array.from(this.histTimes.slice(from)),
      values,
      samples: this.samples,
      timeMode: this.timeMode === 'time' ? 'time' : 'index',
    };
  }

  /**
   * The drawn history of a saved record, before anything this page pushed: drawn again, and the
   * element's count and clock go on from it. Only the first feature was saved, so with several
   * features the others are NaN (they are drawn by no one, and a rebuild feeds them as gaps).
   */
  private restoreHistory(h: DrawnHistory): void {
    if (this.histTimes.length > 0 || this.pendingTimes.length > 0 || h.times.length === 0) return;
    const F = this.features;
    this.histTimes = Array.from(h.times);
    this.histValues = [];
    for (const v of h.values) {
      this.histValues.push(v);
      for (let f = 1; f < F; f++) this.histValues.push(NaN);
    }
    this.samples = h.samples;
    this.histDropped = h.samples - h.times.length;
    this.timeMode = h.timeMode;
    this.lastTime = h.times[h.times.length - 1];
    this.chart?.setOptions({ timeAxis: this.timeMode });
    this.redrawAll();
    this.refreshText();
  }

  // --------------------------------------------------------------------------------------------
  // Samples: validated here, batched per frame, drawn, sent transferred to the worker

  private accept(value: PushValue, time?: number | string | Date): void {
    let v: unknown = value;
    let t: unknown = time;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const o = v as { t?: unknown; value?: unknown };
      if (!('value' in o)) return this.reject('bad-value', 'push: an object needs a "value" field');
      v = o.value;
      t ??= o.t;
    }
    const row = Array.isArray(v) ? v : [v];
    if (row.length !== this.features) {
      return this.reject(
        'bad-shape',
        `push: expected ${this.features} value(s) per sample (features), found ${row.length}`,
      );
    }
    const nums: number[] = [];
    for (const x of row) {
      if (x === null || x === undefined) nums.push(NaN);
      else if (typeof x === 'number') {
        // finite but beyond what the model's arithmetic survives (±Infinity is a gap)
        if (Math.abs(x) > MAX_MAGNITUDE && Number.isFinite(x))
          return this.reject('bad-value', `push: ${x} is beyond ±${MAX_MAGNITUDE}`);
        nums.push(x);
      } else return this.reject('bad-value', `push: ${show(x)} is not a number`);
    }
    let ms: number | null = null;
    if (t !== undefined && t !== null) {
      ms =
        t instanceof Date
          ? t.getTime()
          : typeof t === 'string'
            ? Date.parse(t)
            : typeof t === 'number'
              ? t
              : NaN;
      if (!Number.isFinite(ms))
        return this.reject('bad-time', `push: time ${show(t)} is not a time`);
    }
    if (this.timeMode === 'unknown') {
      this.timeMode = ms === null ? 'index' : 'time';
      // the chart was built before the first sample said whether it has times
      this.chart?.setOptions({ timeAxis: this.timeMode });
    }
    let x: number;
    if (this.timeMode === 'index') x = this.samples;
    else {
      x = ms ?? Math.max(Date.now(), this.lastTime + 1);
      if (x <= this.lastTime) {
        return this.reject(
          'bad-time',
          `push: time ${x} ${x === this.lastTime ? 'repeats' : 'goes back from'} ${this.lastTime}`,
        );
      }
    }
    this.lastTime = x;
    this.samples++;
    for (const n of nums) this.pendingValues.push(n);
    this.pendingTimes.push(x);
    this.scheduleFlush();
  }

  private reject(code: string, message: string): void {
    this.rejected++;
    this.lastRejection = message.replace(/^push: /, '');
    this.emitError({ code, message });
    this.refreshText();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // At the end of the current task: every push of one task (a message, a pushMany, a timer
    // tick) goes as one batch, without waiting up to a frame; drawing still happens per frame.
    queueMicrotask(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  /**
   * Sends the samples gathered in this task, draws them, keeps them for a rebuild. Without a
   * worker (one that could not start) they are still drawn, and not queued for it forever.
   */
  private flush(): void {
    if (this.pendingTimes.length === 0) return;
    if (!this.lease && !this.startError && !this.modelError) return;
    const values = Float64Array.from(this.pendingValues);
    const times = Float64Array.from(this.pendingTimes);
    this.pendingValues = [];
    this.pendingTimes = [];
    const F = this.features;
    const target = F === 1 ? values : times.map((_, i) => values[i * F]);
    for (let i = 0; i < times.length; i++) this.histTimes.push(times[i]);
    for (let i = 0; i < values.length; i++) this.histValues.push(values[i]);
    this.trimHistory();
    if (!this.paused) this.chart?.pushHistory(times, target);
    this.refreshText();
    const lease = this.lease;
    if (!lease) return;
    this.persistence.taken(values, times);
    void lease.push(values, this.timeMode === 'time' ? times : null).catch((e: unknown) => {
      // a lease given back meanwhile (a rebuild, a removal): what it carried is not lost (the
      // new model is fed the drawn history), and its failure is no news
      if (lease === this.lease) this.fail(e);
    });
    this.persistence.dirty = true;
  }

  private trimHistory(): void {
    const model = this.window + this.horizon; // NaN or huge while a model attribute is bad
    const keep = Math.max(this.points(), model > 0 ? Math.min(model, REFEED_LIMIT) : 0);
    if (this.histTimes.length > keep * 1.5) {
      const drop = this.histTimes.length - keep;
      this.histTimes.splice(0, drop);
      this.histValues.splice(0, drop * this.features);
      this.histDropped += drop;
    }
  }

  // --------------------------------------------------------------------------------------------
  // Drawing, status, accessibility

  private rebuildChart(): void {
    if (!this.chartBox) return;
    this.chart?.destroy();
    const options = {
      maxPoints: this.points(),
      label: this.label,
      unit: this.unit,
      timeAxis: this.timeMode === 'time' ? ('time' as const) : ('index' as const),
    };
    try {
      this.chart = new ForecastChart(this.chartBox, { ...options, ...this.displayOptions() });
    } catch (e) {
      // a bad display attribute (reported); drawn with the defaults for it
      this.emitError({ code: 'bad-config', message: (e as Error).message });
      this.chart = new ForecastChart(this.chartBox, options);
    }
    this.redrawAll();
  }

  /** The display attributes as chart options. */
  private displayOptions() {
    return {
      forecastShare: this.forecastShare,
      yMin: this.yMin,
      yMax: this.yMax,
      thresholdHigh: this.thresholdHigh,
      thresholdLow: this.thresholdLow,
      // no more than the horizon (while the horizon attribute is valid)
      pastSteps: this.horizon >= 1 ? Math.min(this.pastForecast, this.horizon) : this.pastForecast,
    };
  }

  private redrawAll(): void {
    const chart = this.chart;
    if (!chart) return;
    if (this.timeMode !== 'unknown') chart.setOptions({ timeAxis: this.timeMode });
    const F = this.features;
    const n = Math.min(this.histTimes.length, this.points());
    const from = this.histTimes.length - n;
    const t = this.histTimes.slice(from);
    const v = t.map((_, i) => this.histValues[(from + i) * F]);
    if (n > 0) chart.pushHistory(t, v);
    for (let i = 0; i < this.pastTimes.length; i++)
      chart.addPastForecast(this.pastTimes[i], this.pastValues[i]);
    if (this.lastForecast) {
      const f = this.lastForecast;
      chart.setForecast(f);
    }
  }

  private fmt(v: number): string {
    if (!Number.isFinite(v)) return '–';
    const a = Math.abs(v);
    const s =
      a !== 0 && (a < 0.01 || a >= 1e6)
        ? v.toExponential(2)
        : v.toFixed(a < 10 ? 2 : a < 1000 ? 1 : 0);
    return this.unit ? `${s} ${this.unit}` : s;
  }

  private fmtTime(t: number): string {
    return this.timeMode === 'time' ? new Date(t).toLocaleTimeString() : `sample ${t}`;
  }

  /**
   * The status line, the text alternative and the hidden table, at most TEXT_EVERY_MS apart
   * (first at once, then the latest state at the end of the interval): re-laying out text for
   * every sample of sixteen busy elements would cost more main-thread time than the charts.
   * The interval varies by ±25%: elements that started together would otherwise refresh in the
   * same frame, every second, and lay out all their text at once (a long task on a busy page).
   */
  private refreshText(): void {
    if (this.textTimer !== null) {
      this.textPending = true;
      return;
    }
    this.updateStatus();
    this.updateTable();
    this.textTimer = setTimeout(
      () => {
        this.textTimer = null;
        if (this.textPending) {
          this.textPending = false;
          this.refreshText();
        }
      },
      TEXT_EVERY_MS * (0.75 + 0.5 * Math.random()),
    );
  }

  private updateStatus(): void {
    if (this.startError) return; // says why there are no forecasts, and stays
    const parts: string[] = [plural(this.samples, 'sample')];
    // what warns first: a predicted crossing, a dead or silent source, refused data
    for (const c of [this.crossing.high, this.crossing.low]) {
      if (c?.time != null) parts.unshift(this.describeCrossing(c));
    }
    const s = this.lastStats;
    if (s) {
      if (s.warmupRemaining > 0)
        parts.push(`warming up: ${plural(s.warmupRemaining, 'more sample')} to the first forecast`);
      else {
        parts.push(`skill ${skillText(s.skill)} vs naive (last ${s.scored.skill})`);
        if (Number.isFinite(s.coverage))
          parts.push(`${percent(s.coverage, false)} in band (last ${s.scored.coverage})`);
        if (Math.round(s.stepsPerSecond) > 0)
          parts.push(`${Math.round(s.stepsPerSecond)} steps/s (${s.kernels})`);
      }
    }
    if (this.modelError) parts.push('no model: a model attribute is not valid (bad-config)');
    const src = this.source.status;
    if (this.source.failure) parts.push(`source stopped: ${this.source.failure.message}`);
    else if (src) {
      if (src.state === 'reconnecting' && src.retryInMs !== null)
        parts.push(
          `reconnecting in ${(src.retryInMs / 1000).toFixed(1)} s (attempt ${src.attempt})`,
        );
      else if (src.state === 'connecting') parts.push('connecting…');
      else if (this.source.staleSince !== null)
        parts.push(`no data for ${formatDuration(Date.now() - this.source.staleSince)}`);
      else if (src.state === 'open') parts.push('live');
      if (src.malformed > 0) parts.push(`${src.malformed} malformed`);
    }
    const rejected = this.rejected + (s?.rejected ?? 0);
    if (rejected > 0)
      parts.push(
        `${rejected.toLocaleString()} rejected${this.lastRejection ? ` (${this.lastRejection})` : ''}`,
      );
    this.statusText = parts.join(' · ');
    this.summary = this.describe();
  }

  private describeCrossing(c: ThresholdEventDetail): string {
    const what = `${c.edge === 'high' ? 'crosses' : 'falls below'} ${this.fmt(c.threshold)}`;
    const from = this.lastForecast?.from;
    if (c.steps !== null && c.steps <= 0)
      return `${c.edge === 'high' ? 'above' : 'below'} ${this.fmt(c.threshold)}`;
    if (this.timeMode === 'time' && c.time !== null && from !== undefined)
      return `${what} in ~${formatDuration(c.time - from)}`;
    return `${what} in ~${plural(Math.max(1, Math.round(c.steps ?? 0)), 'step')}`;
  }

  // --------------------------------------------------------------------------------------------
  // Thresholds and the past forecast

  /**
   * A threshold episode starts when the forecast mean reaches a threshold within the horizon
   * (the latest reading counts as step 0: a series already beyond it is "above"), and ends when
   * no step does. Each start and end is one `threshold` event.
   */
  private checkThresholds(f: ForecastEventDetail): void {
    for (const edge of ['high', 'low'] as const) {
      const threshold = edge === 'high' ? this.thresholdHigh : this.thresholdLow;
      const next = threshold === null ? null : crossingOf(f, edge, threshold);
      const was = this.crossing[edge];
      if (next && !was) {
        this.crossing[edge] = next;
        this.dispatch('threshold', next);
      } else if (next && was) {
        this.crossing[edge] = next; // the same episode, its time updated: no event
      } else if (!next && was) {
        this.crossing[edge] = null;
        this.dispatch('threshold', { ...was, predicted: false, time: null, steps: null });
      }
    }
  }

  /** Ends the episodes in progress (a threshold changed, a reset, a rebuild). */
  private clearCrossings(): void {
    for (const edge of ['high', 'low'] as const) {
      const was = this.crossing[edge];
      this.crossing[edge] = null;
      if (was) this.dispatch('threshold', { ...was, predicted: false, time: null, steps: null });
    }
  }

  /** Keeps (and draws) the mean `past-forecast` steps ahead of this forecast, for its time. */
  private addPast(f: ForecastEventDetail): void {
    const k = Math.min(this.pastForecast, f.mean.length);
    if (!(k >= 1)) return;
    const t = f.time[k - 1];
    const n = this.pastTimes.length;
    if (n > 0 && t <= this.pastTimes[n - 1]) return;
    this.pastTimes.push(t);
    this.pastValues.push(f.mean[k - 1]);
    if (this.pastTimes.length > this.maxPoints * 1.5) {
      const drop = this.pastTimes.length - this.maxPoints - k;
      this.pastTimes.splice(0, drop);
      this.pastValues.splice(0, drop);
    }
    if (!this.paused) this.chart?.addPastForecast(t, f.mean[k - 1]);
  }

  private describe(): string {
    const name = this.label || 'Time series';
    const n = this.histTimes.length;
    if (n === 0) return `${name}: no data yet.`;
    const F = this.features;
    const last = this.histValues[(n - 1) * F];
    const f = this.lastForecast;
    const fc = f
      ? ` Forecast for the next ${f.mean.length} steps: from ${this.fmt(f.mean[0])} to ${this.fmt(f.mean[f.mean.length - 1])}, ${Math.round(this.coverage * 100)}% interval ${this.fmt(f.lower[f.lower.length - 1])} to ${this.fmt(f.upper[f.upper.length - 1])} at the end.`
      : ' No forecast yet.';
    return `${name}: ${this.samples} samples, latest ${this.fmt(last)}.${fc}`;
  }

  private announceForecast(f: ForecastEventDetail): void {
    const now = Date.now();
    if (now - this.lastAnnounce < ANNOUNCE_EVERY_MS) return;
    this.lastAnnounce = now;
    this.announcement = `${this.label || 'Forecast'}: next ${this.fmt(f.mean[0])}, in ${f.mean.length} steps ${this.fmt(f.mean[f.mean.length - 1])}.`;
  }

  private updateTable(): void {
    const F = this.features;
    const n = this.histTimes.length;
    const rows: [string, string, string][] = [];
    for (let i = Math.max(0, n - 5); i < n; i++)
      rows.push([this.fmtTime(this.histTimes[i]), this.fmt(this.histValues[i * F]), '']);
    const f = this.lastForecast;
    const latest = n > 0 ? this.histTimes[n - 1] : -Infinity;
    if (f)
      for (let k = 0; k < f.mean.length; k++) {
        // a forecast from an older sample (the worker lags): only its steps after the latest
        // reading, as the chart draws it
        if (!(f.time[k] > latest)) continue;
        rows.push([
          this.fmtTime(f.time[k]),
          '',
          `${this.fmt(f.mean[k])} (${this.fmt(f.lower[k])} to ${this.fmt(f.upper[k])})`,
        ]);
      }
    this.tableRows = rows;
  }

  private onKey = (e: KeyboardEvent): void => {
    const step =
      e.key === 'ArrowLeft'
        ? -1
        : e.key === 'ArrowRight'
          ? 1
          : e.key === 'PageUp'
            ? -10
            : e.key === 'PageDown'
              ? 10
              : 0;
    if (step === 0 || !this.chart) return;
    e.preventDefault();
    const info = this.chart.moveCursor(step);
    if (!info) return;
    const parts = [this.fmtTime(info.time)];
    if (info.actual !== null) parts.push(`actual ${this.fmt(info.actual)}`);
    if (info.predicted !== null) {
      parts.push(
        `predicted ${this.fmt(info.predicted)}` +
          (info.lower !== null && info.upper !== null
            ? ` (${this.fmt(info.lower)} to ${this.fmt(info.upper)})`
            : ''),
      );
    }
    this.announcement = parts.join(', ');
  };

  /**
   * max-points as drawn: a bad value (0, "abc", 1e9) is reported once as bad-config and the
   * last good one (at first the default, 500) is drawn until it is valid again.
   */
  private points(): number {
    const v = this.maxPoints;
    if (Number.isInteger(v) && v >= 1 && v <= MAX_POINTS_LIMIT) {
      this.badMaxPoints = null;
      this.goodMaxPoints = v;
      return v;
    }
    if (!Object.is(this.badMaxPoints, v)) {
      this.badMaxPoints = v;
      const raw = this.getAttribute('max-points');
      this.emitError({
        code: 'bad-config',
        message: `max-points must be a whole number in [1, ${MAX_POINTS_LIMIT}], found ${raw !== null ? JSON.stringify(raw) : String(v)}; drawing ${this.goodMaxPoints}`,
      });
    }
    return this.goodMaxPoints;
  }

  /** A bad-config error from the worker, with the attribute that caused it as written. */
  private attributeSaid(e: unknown): unknown {
    const err = e as { code?: unknown; message?: unknown } | null;
    if (err?.code !== 'bad-config' || typeof err.message !== 'string') return e;
    const name = /^(\w+) must be/.exec(err.message)?.[1];
    const attr =
      name === 'numLayers' ? 'layers' : name?.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
    const raw = attr ? this.getAttribute(attr) : null;
    const said = raw !== null ? ` (attribute ${attr}=${JSON.stringify(raw)})` : '';
    return { code: 'bad-config', message: `${err.message}${said}; no model until it is valid` };
  }

  private fail(e: unknown): void {
    const err = e as { code?: unknown; message?: unknown };
    this.emitError({
      code: typeof err?.code === 'string' ? err.code : 'error',
      message: String(err?.message ?? e),
    });
  }

  private emitError(e: ErrorInfo | ErrorEventDetail): void {
    this.dispatch('forecast-error', { code: e.code, message: e.message });
  }

  private dispatch<K extends keyof LstmForecastEventMap>(
    type: K,
    detail: LstmForecastEventMap[K]['detail'],
  ): void {
    this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
  }
}

/**
 * About how many samples the engine's skill and coverage are over: those scored since warm-up
 * (the engine's is a window and a horizon of samples), at most the weights' time constants.
 */
function scoredOver(scored: number): { skill: number; coverage: number } {
  const n = Math.max(0, scored);
  return { skill: Math.min(n, SKILL_SAMPLES), coverage: Math.min(n, COVERAGE_SAMPLES) };
}

/**
 * When the forecast mean first reaches `threshold` (upwards for 'high', downwards for 'low'),
 * from the latest reading (step 0) on, interpolated linearly between steps; null when it does
 * not within the horizon.
 */
function crossingOf(
  f: ForecastEventDetail,
  edge: 'high' | 'low',
  threshold: number,
): ThresholdEventDetail | null {
  const beyond = (v: number) => (edge === 'high' ? v >= threshold : v <= threshold);
  let prevT = f.from;
  let prevV = f.last.value;
  if (prevV !== null && beyond(prevV)) {
    return { edge, threshold, predicted: true, time: f.from, steps: 0 };
  }
  for (let k = 0; k < f.mean.length; k++) {
    const v = f.mean[k];
    const t = f.time[k];
    if (Number.isFinite(v) && beyond(v)) {
      // between the previous point and this one, where the line meets the threshold
      const a =
        prevV !== null && Number.isFinite(prevV) && v !== prevV
          ? (threshold - prevV) / (v - prevV)
          : 1;
      const w = Math.min(1, Math.max(0, a));
      return { edge, threshold, predicted: true, time: prevT + w * (t - prevT), steps: k + w };
    }
    prevT = t;
    prevV = v;
  }
  return null;
}

/** A value as an error message shows it; never throws (circular objects, BigInts, symbols). */
function show(x: unknown): string {
  if (typeof x === 'bigint') return `${x.toString()}n`;
  if (typeof x === 'symbol' || typeof x === 'function') return typeof x;
  try {
    const s = JSON.stringify(x);
    if (s !== undefined) return s.length > 80 ? `${s.slice(0, 77)}...` : s;
  } catch {
    // circular, or a toJSON that throws
  }
  try {
    return String(x);
  } catch {
    return Object.prototype.toString.call(x);
  }
}

/** The length of an array-like, or null if it is not one. */
function lengthOf(x: unknown): number | null {
  if (x === null || (typeof x !== 'object' && typeof x !== 'string')) return null;
  const n = (x as { length?: unknown }).length;
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 ? n : null;
}

/** Skill as the status line shows it: a percentage, or a bound past ±999% (1e300 inputs). */
declare global {
  interface HTMLElementTagNameMap {
    'lstm-forecast': LstmForecast;
  }
  // The element's events, typed for addEventListener on it (and, as the DOM's map is one for
  // every element, on any other: the names are the element's own, none the DOM's).
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- a merge, not a new type
  interface HTMLElementEventMap extends LstmForecastEventMap {}
}
