// The Forecaster: turns the core into a forecaster that learns from a live stream.
//
// The path of one sample through push():
//   validate -> score the forecasts that matured with it (errors per horizon, interval misses,
//   an anomaly if it fell outside its one-step interval) -> store it in the ring buffer ->
//   update the scale and the feature normalisers -> train (stepsPerSample budget) -> forecast
//   the next h samples from the window that now ends with it.
//
// What the network sees (I = features + 1 inputs per step, W steps):
//   channel 0         (y_i - y_t) / scale          the target relative to the window's last value
//   channels 1..F-1   the other features, normalised by running mean and deviation
//   channel F         (y_i - y_{i-m}) / scale      the seasonal difference (m = detected season, else 0)
// and it predicts (y_{t+k} - y_t) / scale: the change over the last value, so that predicting
// nothing is the naive forecast. scale is a running mean of |y_i - y_{i-1}|, robust to spikes.
//
// What is served: per horizon step, whichever of {model, naive, seasonal naive} has had the
// lowest recent error there (the model only once it has been scored enough, and only by a margin
// over naive that grows with the step), combined with naive by inverse squared errors, so the
// product does not do worse than doing nothing while the model learns or when it cannot help.
//
// The live state: the network is trained from a zero state on windows of W samples, so the state
// that goes with the newest sample is the one after running the last W samples from zero with
// the current weights. Weights change at every step, so forecast() re-runs those W steps after
// each sample (about a quarter of a training step) rather than carrying a state computed with
// older weights; 'recursive' then rolls a copy of it forward, leaving it untouched.

import { Prng } from '../core';
import { ANOMALY, GAP, SampleBuffer } from './buffer';
import { resolveOptions, type ResolvedOptions } from './config';
import { AdaptiveConformal, type ConformalState } from './conformal';
import { EngineError, type ErrorInfo } from './errors';
import { Network } from './network';
import { detectSeason } from './season';
import type { Anomaly, Forecast, ForecasterOptions, ForecasterStats, PushResult } from './types';

export const SNAPSHOT_VERSION = 1;

const CLIP = 20; // normalised inputs and targets are clipped to ±CLIP
const SCALE_ALPHA = 0.02; // running scale of |Δy|
const SPIKE = 6; // a step larger than SPIKE * scale moves the scale as if it were SPIKE * scale
const ERR_ALPHA = 1 / 32; // recent errors of each candidate
const MIN_SCORED = 20; // matured forecasts before the model may be served
const MARGIN = 0.03; // how much better than naive a candidate must recently have been, at step 1
const MARGIN_GROWTH = 0.75; // the margin at step k + 1 is MARGIN * (1 + MARGIN_GROWTH * k)
const RESCORE = 64; // windows backtested after training catches up with a backlog
const SEASON_EVERY = 256; // samples between season checks (every 32 while the buffer is young)
const DOWNWEIGHT = 0.2;
const ANOMALY_COVERAGE = 0.99; // a sample outside its 99% one-step interval is an anomaly

type Candidate = 0 | 1 | 2; // naive, seasonal naive, model

export interface ForecasterSnapshot {
  version: number;
  options: ResolvedOptions;
  params: Float32Array;
  moments: Float32Array[];
  good: Float32Array[];
  optimizer: { t: number; lr: number; goodT: number };
  net: { steps: number; divergences: number; dropoutRng: number[] };
  buffer: {
    values: Float64Array;
    target: Float64Array;
    flags: Uint8Array;
    times: Float64Array;
    count: number;
  };
  scalars: Float64Array;
  featureStats: Float64Array;
  pending: Float64Array[];
  errors: Float64Array;
  conformal: ConformalState;
  anomalyBar: ConformalState;
  replayRng: number[];
}

export class Forecaster {
  readonly options: ResolvedOptions;
  private readonly net: Network;
  private readonly buf: SampleBuffer;
  private readonly conformal: AdaptiveConformal;
  /** One-step intervals at ANOMALY_COVERAGE: the bar for calling a sample an anomaly. */
  private readonly anomalyBar: AdaptiveConformal;
  private readonly rng: Prng;
  private readonly F: number;
  private readonly I: number;
  private readonly h: number;
  private readonly W: number;

  // Scalars, kept together so a snapshot is one copy.
  private scale = NaN;
  private season = 0;
  private lastTime = NaN;
  private dt = NaN;
  private pushed = 0;
  private accepted = 0;
  private gaps = 0;
  private rejected = 0;
  private anomalyCount = 0;
  /** Samples not yet trained on (cpuShare budget). */
  backlog = 0;
  private catchingUp = false; // the backlog exceeded a window: rescore once it is cleared
  private lossAvg = NaN;
  private insideAvg = NaN;
  private lastValid = NaN; // last finite target
  private scaleSeed = 0; // diffs averaged into the first scale
  private levelMean = NaN; // running mean and mean absolute deviation of the target ('level')
  private levelDev = 0;

  // (F) running mean and mean absolute deviation of every feature (the target's are unused)
  private readonly fMean: Float64Array;
  private readonly fDev: Float64Array;
  // Forecasts waiting for their outcome: slot i % h holds the one made after sample i.
  private readonly pendIndex: Float64Array; // (h) sample index, -1 for none
  private readonly pendMean: Float64Array; // (h, h) served mean
  private readonly pendLow: Float64Array; // (h, h)
  private readonly pendUp: Float64Array; // (h, h)
  private readonly pendCand: Float64Array; // (h, 3, h) each candidate's mean
  private readonly pendBar: Float64Array; // (h) half-width of the anomaly bar, one step ahead
  // (4, h) recent mean absolute error per horizon of naive, seasonal naive, model, served;
  // then (4, h) how many outcomes each has seen
  private readonly err: Float64Array;
  // the forecast after the newest sample
  private readonly cur: Forecast;
  private readonly candMean: Float64Array; // (3, h)
  private readonly modelOut: Float64Array; // (h) normalised
  private rateT0 = NaN;
  private rateSteps = 0;
  private rate = 0;

  constructor(options: ForecasterOptions = {}) {
    this.options = resolveOptions(options);
    const o = this.options;
    this.F = o.features;
    this.I = o.features + 1;
    this.h = o.horizon;
    this.W = o.window;
    this.net = new Network({
      inputSize: this.I,
      hiddenSize: o.hiddenSize,
      numLayers: o.numLayers,
      dropout: o.dropout,
      window: o.window,
      horizon: o.horizon,
      strategy: o.strategy,
      optimizer: o.optimizer,
      learningRate: o.learningRate,
      seed: o.seed,
    });
    this.buf = new SampleBuffer(o.capacity, o.features);
    this.conformal = new AdaptiveConformal(o.horizon, o.coverage);
    this.anomalyBar = new AdaptiveConformal(1, ANOMALY_COVERAGE, 512);
    this.rng = new Prng((o.seed ^ 0x5eed) >>> 0);
    const h = this.h;
    this.fMean = new Float64Array(this.F);
    this.fDev = new Float64Array(this.F);
    this.pendIndex = new Float64Array(h).fill(-1);
    this.pendMean = new Float64Array(h * h);
    this.pendLow = new Float64Array(h * h);
    this.pendUp = new Float64Array(h * h);
    this.pendCand = new Float64Array(h * 3 * h);
    this.pendBar = new Float64Array(h).fill(NaN);
    this.err = new Float64Array(8 * h);
    this.candMean = new Float64Array(3 * h);
    this.modelOut = new Float64Array(h);
    this.cur = {
      mean: new Float64Array(h).fill(NaN),
      lower: new Float64Array(h).fill(NaN),
      upper: new Float64Array(h).fill(NaN),
      time: new Float64Array(h).fill(NaN),
      from: NaN,
      ready: false,
    };
  }

  /** Samples needed before the first forecast: one window and a horizon of outcomes. */
  get warmup(): number {
    return this.W + this.h;
  }

  // -------------------------------------------------------------------------------------------
  // Ingest

  /**
   * Pushes one sample or a batch. values: a number (one sample of one feature), or an array
   * (typed arrays welcome) of n * features numbers, row-major. times: optional, one per sample,
   * strictly increasing. Non-finite values, null and undefined are gaps (kept, drawn as gaps,
   * never trained on); strings, objects and out-of-order times are rejected, each counted, the
   * first reason returned in `error`. Throws only for a call of the wrong shape.
   */
  push(values: unknown, times?: unknown): PushResult {
    const F = this.F;
    const list: ArrayLike<unknown> = isList(values) ? values : [values];
    const n = Math.floor(list.length / F);
    if (list.length % F !== 0 || list.length === 0) {
      this.pushed += Math.max(1, n);
      this.rejected += Math.max(1, n);
      throw new EngineError(
        'bad-shape',
        `push: expected a multiple of ${F} value${F > 1 ? 's' : ''} (features = ${F}), found ${list.length}`,
      );
    }
    let timeList: ArrayLike<unknown> | null = null;
    if (times !== undefined && times !== null) {
      timeList = isList(times) ? times : [times];
      if (timeList.length !== n) {
        this.pushed += n;
        this.rejected += n;
        throw new EngineError(
          'bad-shape',
          `push: ${n} sample${n === 1 ? '' : 's'} but ${timeList.length} times`,
        );
      }
    }
    const result: PushResult = { accepted: 0, gaps: 0, rejected: 0, anomalies: [] };
    const row = new Float64Array(F);
    for (let s = 0; s < n; s++) {
      this.pushed++;
      const problem = this.readRow(list, s * F, row, timeList ? timeList[s] : undefined);
      if (problem) {
        this.rejected++;
        result.rejected++;
        result.error ??= problem;
        continue;
      }
      const time = timeList
        ? (timeList[s] as number)
        : Number.isNaN(this.lastTime)
          ? this.buf.count
          : this.lastTime + (this.dt || 1);
      const isGap = this.ingest(row, time, result.anomalies);
      if (isGap) {
        this.gaps++;
        result.gaps++;
      } else {
        this.accepted++;
        result.accepted++;
      }
    }
    return result;
  }

  /** Validates one row into `row`; returns why it is rejected, or null. */
  private readRow(
    list: ArrayLike<unknown>,
    off: number,
    row: Float64Array,
    time: unknown,
  ): ErrorInfo | null {
    for (let f = 0; f < this.F; f++) {
      const v = list[off + f];
      if (typeof v === 'number') row[f] = v;
      else if (v === null || v === undefined) row[f] = NaN;
      else return { code: 'bad-value', message: `push: value ${describe(v)} is not a number` };
    }
    if (time !== undefined) {
      if (typeof time !== 'number' || !Number.isFinite(time)) {
        return { code: 'bad-time', message: `push: time ${describe(time)} is not a finite number` };
      }
      if (time <= this.lastTime) {
        return {
          code: 'bad-time',
          message: `push: time ${time} ${time === this.lastTime ? 'repeats' : 'goes back from'} ${this.lastTime}`,
        };
      }
    }
    return null;
  }

  /** Stores one validated row; returns true if its target is a gap. */
  private ingest(row: Float64Array, time: number, anomalies: Anomaly[]): boolean {
    const { F, buf } = this;
    const ti = this.options.targetIndex;
    const y = row[ti];
    const gap = !Number.isFinite(y);
    let flags = gap ? GAP : 0;
    if (!gap) flags |= this.score(y, time, anomalies);
    // gaps in any feature hold the previous value, so inputs stay finite
    for (let f = 0; f < F; f++) {
      if (!Number.isFinite(row[f]))
        row[f] = buf.count > 0 ? buf.values[buf.slot(buf.count - 1) * F + f] : 0;
    }
    if (gap && buf.count === 0) row[ti] = 0;
    if (!gap) this.updateScale(y);
    this.updateFeatures(row);
    if (!Number.isNaN(this.lastTime)) {
      const d = time - this.lastTime;
      this.dt = Number.isNaN(this.dt) ? d : this.dt + 0.1 * (d - this.dt);
    }
    this.lastTime = time;
    buf.push(row, 0, gap ? NaN : y, flags, time);
    const every = buf.count < 512 ? 32 : SEASON_EVERY;
    if (buf.count === this.warmup || (buf.count > this.warmup && buf.count % every === 0)) {
      this.season = this.findSeason();
    }
    if ('stepsPerSample' in this.options.budget) {
      for (let k = 0; k < this.options.budget.stepsPerSample; k++) this.trainStep();
    } else {
      // what is not yet trained on, at most what the buffer still holds
      this.backlog = Math.min(this.backlog + 1, buf.count - buf.oldest);
    }
    this.refresh();
    return gap;
  }

  /**
   * The season: the autocorrelation peak, then whichever of m - 1, m, m + 1 the seasonal naive
   * forecast did best with over the buffer (neighbouring lags are often within noise of each other).
   */
  private findSeason(): number {
    const { buf } = this;
    const ti = this.options.targetIndex;
    const y = (i: number) => buf.y(i, ti);
    const m = detectSeason(y, buf.oldest, buf.count, Math.min(400, Math.floor(buf.capacity / 3)));
    if (m === 0) return 0;
    let best = m;
    let bestErr = Infinity;
    for (const cand of [m - 1, m, m + 1]) {
      if (cand < 2) continue;
      let e = 0;
      for (let i = buf.oldest + cand; i < buf.count; i++) e += Math.abs(y(i) - y(i - cand));
      e /= Math.max(1, buf.count - buf.oldest - cand);
      if (e < bestErr) {
        bestErr = e;
        best = cand;
      }
    }
    return best;
  }

  /** Scores the forecasts that the sample with target y completes; returns ANOMALY or 0. */
  private score(y: number, time: number, anomalies: Anomaly[]): number {
    const { h, err } = this;
    const n = this.buf.count; // the index this sample will get
    let flags = 0;
    // After an anomaly, the one-step forecast starts from the anomalous value, so the sample that
    // brings the series back would be flagged too. A sample inside the interval forecast for it
    // before the anomaly (two steps ahead, from the sample before) is a return, not an anomaly.
    let backLo = NaN;
    let backUp = NaN;
    const before = (n - 2) % h;
    if (
      h > 1 &&
      n - 1 >= this.buf.oldest &&
      this.buf.flags[this.buf.slot(n - 1)] & ANOMALY &&
      this.pendIndex[before] === n - 2
    ) {
      backLo = this.pendLow[before * h + 1];
      backUp = this.pendUp[before * h + 1];
    }
    for (let k = 0; k < h; k++) {
      const made = n - 1 - k; // the forecast made after sample `made` predicted this one at step k
      if (made < 0) break;
      const slot = made % h;
      if (this.pendIndex[slot] !== made) continue;
      for (let c = 0; c < 3; c++) {
        const p = this.pendCand[(slot * 3 + c) * h + k];
        if (Number.isNaN(p)) continue;
        const e = Math.abs(y - p);
        const seen = err[(4 + c) * h + k]++;
        err[c * h + k] = seen === 0 ? e : err[c * h + k] + ERR_ALPHA * (e - err[c * h + k]);
      }
      const mean = this.pendMean[slot * h + k];
      const lo = this.pendLow[slot * h + k];
      const up = this.pendUp[slot * h + k];
      const e = Math.abs(y - mean);
      const seen = err[7 * h + k]++;
      err[3 * h + k] = seen === 0 ? e : err[3 * h + k] + ERR_ALPHA * (e - err[3 * h + k]);
      if (Number.isNaN(lo)) continue;
      const missed = y < lo || y > up;
      this.conformal.update(k, e, missed);
      if (k === 0) {
        this.insideAvg = Number.isNaN(this.insideAvg)
          ? missed
            ? 0
            : 1
          : this.insideAvg + 0.01 * ((missed ? 0 : 1) - this.insideAvg);
        const bar = this.pendBar[slot];
        const outside = !Number.isNaN(bar) && e > bar;
        this.anomalyBar.update(0, e, outside);
        if (outside && !(y >= backLo && y <= backUp)) {
          anomalies.push({
            time,
            value: y,
            expected: mean,
            lower: mean - bar,
            upper: mean + bar,
            score: e / Math.max(bar, 1e-300),
          });
          this.anomalyCount++;
          flags = ANOMALY;
        }
      }
    }
    return flags;
  }

  private updateScale(y: number): void {
    if (Number.isNaN(this.levelMean)) this.levelMean = y;
    this.levelMean += 0.01 * (y - this.levelMean);
    this.levelDev += 0.01 * (Math.abs(y - this.levelMean) - this.levelDev);
    const prev = this.lastValid;
    this.lastValid = y;
    if (Number.isNaN(prev)) return;
    const d = Math.abs(y - prev);
    if (this.scaleSeed < 8 || Number.isNaN(this.scale)) {
      // the first few steps: a plain mean
      this.scaleSeed++;
      this.scale = Number.isNaN(this.scale) ? d : this.scale + (d - this.scale) / this.scaleSeed;
    } else {
      this.scale += SCALE_ALPHA * (Math.min(d, SPIKE * this.scale) - this.scale);
    }
  }

  /** The scale with a floor, so that a constant series does not divide by zero. */
  private get unit(): number {
    const floor = 1e-9 * (1 + Math.abs(this.lastValid || 0));
    return Number.isFinite(this.scale) && this.scale > floor ? this.scale : floor;
  }

  /** Origin of the network's target channel for the window ending at sample t. */
  private origin(t: number): number {
    const y = this.buf.y(t, this.options.targetIndex);
    return this.options.target === 'change' || Number.isNaN(this.levelMean) ? y : this.levelMean;
  }

  /** Unit of the network's target channel. */
  private get span(): number {
    return this.options.target === 'change' ? this.unit : Math.max(this.levelDev, this.unit);
  }

  private updateFeatures(row: Float64Array): void {
    const first = this.buf.count === 0;
    for (let f = 0; f < this.F; f++) {
      const v = row[f];
      if (first) {
        this.fMean[f] = v;
        this.fDev[f] = 0;
      } else {
        this.fMean[f] += 0.01 * (v - this.fMean[f]);
        this.fDev[f] += 0.01 * (Math.abs(v - this.fMean[f]) - this.fDev[f]);
      }
    }
  }

  // -------------------------------------------------------------------------------------------
  // Training

  /**
   * With budget { cpuShare }: trains for about `ms` milliseconds (at least one step when there
   * is anything to learn) and returns the steps taken. When samples come faster than training
   * follows, the replayed windows are drawn from the samples not yet trained on.
   */
  train(ms: number): number {
    const t0 = now();
    let steps = 0;
    if (this.backlog > this.W) this.catchingUp = true;
    while (steps === 0 || now() - t0 < ms) {
      if (!this.trainStep()) break;
      steps++;
      // Far behind, a step stands for several samples, so the backlog drains and the worker
      // gets to rest: fewer steps per sample under overload (stats.trainSteps says how many).
      const far = 8 * this.W;
      if (this.backlog > 0) this.backlog -= this.backlog > far ? Math.ceil(this.backlog / far) : 1;
    }
    if (this.catchingUp && this.backlog === 0) {
      this.catchingUp = false;
      this.rescore(); // caught up: judge the model as it is now
    }
    if (steps > 0) this.refresh();
    return steps;
  }

  /** One optimiser step on the newest window and `replay` windows from the buffer. */
  private trainStep(): boolean {
    const { buf, W } = this;
    const latest = buf.count - 1;
    const m = this.season;
    const first = buf.oldest + W - 1 + (m > 0 && buf.count - buf.oldest > W + m + 8 ? m : 0);
    if (latest - 1 < first || Number.isNaN(this.scale)) return false;
    const replay = this.options.replay;
    // behind a backlog, replay only recent windows (the newest 4W samples) until caught up
    const lo =
      this.backlog > W ? Math.max(first, latest - 1 - Math.min(this.backlog, 4 * W)) : first;
    let loss = 0;
    let windows = 0;
    const scale = 1 / (1 + replay);
    for (let b = 0; b <= replay; b++) {
      const t = b === 0 ? latest - 1 : lo + this.rng.int(latest - lo);
      this.fillWindow(t);
      this.fillTargets(t);
      const l = this.net.accumulate(scale);
      if (!Number.isNaN(l)) {
        loss += l;
        windows++;
      }
    }
    if (windows === 0) return false;
    this.net.step();
    const l = loss / windows;
    if (Number.isFinite(l))
      this.lossAvg = Number.isNaN(this.lossAvg) ? l : this.lossAvg + 0.05 * (l - this.lossAvg);
    this.countRate();
    return true;
  }

  /** net.x = the normalised window ending at sample t. */
  private fillWindow(t: number): void {
    const { buf, F, I, W } = this;
    const ti = this.options.targetIndex;
    const x = this.net.x;
    const u = this.unit;
    const v = this.span;
    const m = this.season;
    const yt = this.origin(t);
    const oldest = buf.oldest;
    for (let j = 0; j < W; j++) {
      const i = Math.max(oldest, t - W + 1 + j);
      const s = buf.slot(i);
      const o = j * I;
      x[o] = clip((buf.values[s * F + ti] - yt) / v);
      let c = 1;
      for (let f = 0; f < F; f++) {
        if (f === ti) continue;
        x[o + c++] = clip((buf.values[s * F + f] - this.fMean[f]) / (this.fDev[f] || 1));
      }
      x[o + F] =
        m > 0 && i - m >= oldest ? clip((buf.values[s * F + ti] - buf.y(i - m, ti)) / u) : 0;
    }
  }

  /** net.target / net.weight for the window ending at sample t; unknown outcomes weigh 0. */
  private fillTargets(t: number): void {
    const { buf, W } = this;
    const v = this.span;
    const yt = this.origin(t);
    const latest = buf.count - 1;
    const direct = this.options.strategy === 'direct';
    const n = this.net.outputs;
    const anomalyWeight =
      this.options.anomalies === 'skip'
        ? 0
        : this.options.anomalies === 'downweight'
          ? DOWNWEIGHT
          : 1;
    for (let k = 0; k < n; k++) {
      const i = direct ? t + 1 + k : t - W + 2 + k; // the sample this output predicts
      let w = 0;
      let target = 0;
      if (i <= latest && i >= buf.oldest) {
        const s = buf.slot(i);
        const fl = buf.flags[s];
        if (!(fl & GAP)) {
          w = fl & ANOMALY ? anomalyWeight : 1;
          target = clip((buf.target[s] - yt) / v);
        }
      }
      this.net.target[k] = target;
      this.net.weight[k] = w;
    }
  }

  private countRate(): void {
    const t = now();
    if (Number.isNaN(this.rateT0)) {
      this.rateT0 = t;
      this.rateSteps = this.net.steps;
    } else if (t - this.rateT0 >= 1000) {
      this.rate = ((this.net.steps - this.rateSteps) * 1000) / (t - this.rateT0);
      this.rateT0 = t;
      this.rateSteps = this.net.steps;
    }
  }

  // -------------------------------------------------------------------------------------------
  // Forecasting

  /** The forecast from the newest sample (the arrays are copies). */
  forecast(): Forecast {
    const c = this.cur;
    return {
      mean: c.mean.slice(),
      lower: c.lower.slice(),
      upper: c.upper.slice(),
      time: c.time.slice(),
      from: c.from,
      ready: c.ready,
    };
  }

  /** Recomputes the served forecast after the newest sample and files it for scoring. */
  private refresh(): void {
    const { buf, h, err } = this;
    const latest = buf.count - 1;
    if (latest < 0) return;
    const u = this.unit;
    const cand = this.candMean;
    const ready = buf.count >= this.warmup;
    this.candidates(latest, cand, ready);
    const c = this.cur;
    const dt = Number.isNaN(this.dt) ? 1 : this.dt;
    for (let k = 0; k < h; k++) {
      // serve the candidate with the lowest recent error at this step; naive by default, and
      // replaced only by a clear margin, since switching on noise costs more than it wins. The
      // margin grows with the horizon: an error at step k arrives k steps late and overlaps the
      // k before it, so the same number of scores is weaker evidence there.
      let best: Candidate = 0;
      let bestErr = err[k] * (1 - MARGIN * (1 + MARGIN_GROWTH * k));
      for (const cc of [1, 2] as const) {
        if (Number.isNaN(cand[cc * h + k]) || err[(4 + cc) * h + k] < MIN_SCORED) continue;
        if (err[cc * h + k] < bestErr) {
          best = cc;
          bestErr = err[cc * h + k];
        }
      }
      let mean = cand[best * h + k];
      if (best !== 0) {
        // combined with naive, weighted by inverse squared recent errors (Bates and Granger
        // 1969): all of a much better candidate, about half of one that is only a bit better
        const e0 = err[k] * err[k];
        const ec = err[best * h + k] * err[best * h + k];
        mean = (e0 * mean + ec * cand[k]) / (e0 + ec);
      }
      let half = this.conformal.halfWidth(k);
      if (Number.isNaN(half)) half = 1.6 * u * Math.sqrt(k + 1);
      c.mean[k] = mean;
      c.lower[k] = ready ? mean - half : NaN;
      c.upper[k] = ready ? mean + half : NaN;
      c.time[k] = this.lastTime + (k + 1) * dt;
    }
    c.from = this.lastTime;
    c.ready = ready;
    // file it for scoring when its outcomes arrive
    const slot = latest % h;
    this.pendIndex[slot] = latest;
    this.pendMean.set(c.mean, slot * h);
    this.pendLow.set(c.lower, slot * h);
    this.pendUp.set(c.upper, slot * h);
    this.pendCand.set(cand, slot * 3 * h);
    this.pendBar[slot] = ready ? this.anomalyBar.halfWidth(0, 50) : NaN;
  }

  /**
   * Each candidate's forecast from the window ending at sample t, into out (3, h): naive,
   * seasonal naive (NaN without a season) and the model (NaN unless withModel).
   */
  private candidates(t: number, out: Float64Array, withModel: boolean): void {
    const { buf, h } = this;
    const ti = this.options.targetIndex;
    const m = this.season;
    const yt = buf.y(t, ti);
    for (let k = 0; k < h; k++) {
      out[k] = yt;
      const idx = t + 1 + k - m * Math.ceil((k + 1) / Math.max(m, 1));
      out[h + k] = m > 0 && idx >= buf.oldest ? buf.y(idx, ti) : NaN;
    }
    if (withModel && !Number.isNaN(this.scale)) {
      this.fillWindow(t);
      this.net.predict(this.modelOut, (k, pred, row) => this.nextInput(t, k, pred, row));
      const origin = this.origin(t);
      const v = this.span;
      for (let k = 0; k < h; k++) out[2 * h + k] = origin + v * this.modelOut[k];
    } else {
      out.fill(NaN, 2 * h, 3 * h);
    }
  }

  /**
   * Re-scores the candidates on the recent past with the current weights: after training has
   * caught up with a backlog, the errors recorded while it was behind describe a model that no
   * longer exists. Backtests the last RESCORE windows whose outcomes are all known.
   */
  private rescore(): void {
    const { buf, h, err } = this;
    const last = buf.count - 1 - h;
    const first = Math.max(buf.oldest + this.W - 1, last - RESCORE + 1);
    if (last - first + 1 < MIN_SCORED) return;
    const sums = new Float64Array(3 * h);
    const counts = new Float64Array(3 * h);
    const out = new Float64Array(3 * h);
    for (let t = first; t <= last; t++) {
      this.candidates(t, out, true);
      for (let k = 0; k < h; k++) {
        const s = buf.slot(t + 1 + k);
        if (buf.flags[s] & GAP) continue;
        const y = buf.target[s];
        for (let c = 0; c < 3; c++) {
          const p = out[c * h + k];
          if (Number.isNaN(p)) continue;
          sums[c * h + k] += Math.abs(y - p);
          counts[c * h + k]++;
        }
      }
    }
    for (let i = 0; i < 3 * h; i++) {
      if (counts[i] === 0) continue;
      err[i] = sums[i] / counts[i];
      err[4 * h + i] = Math.max(err[4 * h + i], counts[i]);
    }
  }

  /** The input row for recursive step k + 1, after predicting `pred` (normalised) for step k. */
  private nextInput(t: number, k: number, pred: number, row: Float32Array): void {
    const { buf, F } = this;
    const ti = this.options.targetIndex;
    const m = this.season;
    const u = this.unit;
    const yt = this.origin(t);
    const v = this.span;
    row.set(this.net.x.subarray((this.W - 1) * this.I, this.W * this.I)); // features held
    row[0] = pred;
    const i = t + 1 + k; // the sample pred stands for
    row[F] =
      m > 0 && i - m >= buf.oldest && i - m <= t ? clip((yt + v * pred - buf.y(i - m, ti)) / u) : 0;
  }

  // -------------------------------------------------------------------------------------------
  // Stats

  stats(): ForecasterStats {
    const { h, err } = this;
    const mae = err.slice(3 * h, 4 * h);
    const naiveMae = err.slice(0, h);
    let skill = 0;
    let n = 0;
    for (let k = 0; k < h; k++) {
      if (err[7 * h + k] > 0 && naiveMae[k] > 0) {
        skill += 1 - mae[k] / naiveMae[k];
        n++;
      }
    }
    return {
      pushed: this.pushed,
      accepted: this.accepted,
      gaps: this.gaps,
      rejected: this.rejected,
      anomalies: this.anomalyCount,
      warmupRemaining: Math.max(0, this.warmup - this.buf.count),
      trainSteps: this.net.steps,
      stepsPerSecond: this.rate,
      loss: this.lossAvg,
      learningRate: this.net.opt.lr,
      divergences: this.net.divergences,
      backlog: this.backlog,
      season: this.season,
      mae,
      naiveMae,
      skill: n > 0 ? skill / n : 0,
      coverage: this.insideAvg,
    };
  }

  // -------------------------------------------------------------------------------------------
  // Snapshots and PyTorch state dicts

  /** Everything, as a structured-cloneable object of typed arrays (copies). */
  snapshot(): ForecasterSnapshot {
    const net = this.net;
    const good = net.goodState();
    return {
      version: SNAPSHOT_VERSION,
      options: structuredCloneOptions(this.options),
      params: Float32Array.from(net.arena.data),
      moments: net.opt.moments.map((m) => Float32Array.from(m)),
      good: good.arrays.map((a) => a.slice()),
      optimizer: { t: net.opt.t, lr: net.opt.lr, goodT: good.t },
      net: { steps: net.steps, divergences: net.divergences, dropoutRng: net.lstm.rngState() },
      buffer: {
        values: this.buf.values.slice(),
        target: this.buf.target.slice(),
        flags: this.buf.flags.slice(),
        times: this.buf.times.slice(),
        count: this.buf.count,
      },
      scalars: Float64Array.from([
        this.scale,
        this.season,
        this.lastTime,
        this.dt,
        this.pushed,
        this.accepted,
        this.gaps,
        this.rejected,
        this.anomalyCount,
        this.backlog,
        this.lossAvg,
        this.insideAvg,
        this.lastValid,
        this.scaleSeed,
        this.levelMean,
        this.levelDev,
      ]),
      featureStats: Float64Array.from([...this.fMean, ...this.fDev]),
      pending: this.pending().map((a) => a.slice()),
      errors: this.err.slice(),
      conformal: this.conformal.state(),
      anomalyBar: this.anomalyBar.state(),
      replayRng: this.rng.getState(),
    };
  }

  /** A forecaster that continues exactly where the snapshot's left off. */
  static restore(snapshot: ForecasterSnapshot): Forecaster {
    const s = snapshot as Partial<ForecasterSnapshot> | null;
    if (!s || typeof s !== 'object')
      throw new EngineError('bad-snapshot', 'restore: a snapshot must be an object');
    if (s.version !== SNAPSHOT_VERSION) {
      throw new EngineError(
        'bad-snapshot',
        `restore: snapshot version ${String(s.version)}, this build reads version ${SNAPSHOT_VERSION}`,
      );
    }
    let f: Forecaster;
    try {
      f = new Forecaster(s.options as ForecasterOptions);
    } catch (e) {
      throw new EngineError(
        'bad-snapshot',
        `restore: the snapshot's options are invalid: ${(e as Error).message}`,
      );
    }
    const expect = (
      what: string,
      a: unknown,
      ctor: Float32ArrayConstructor | Float64ArrayConstructor | Uint8ArrayConstructor,
      n: number,
    ) => {
      if (!(a instanceof ctor) || a.length !== n) {
        const found =
          a instanceof Object && 'length' in a
            ? `${(a as { constructor: { name: string } }).constructor.name}(${(a as ArrayLike<number>).length})`
            : String(a);
        throw new EngineError(
          'bad-snapshot',
          `restore: ${what} should be ${ctor.name}(${n}), found ${found}`,
        );
      }
    };
    const net = f.net;
    const h = f.h;
    const N = f.buf.capacity;
    expect('params', s.params, Float32Array, net.arena.size);
    if (!Array.isArray(s.moments) || s.moments.length !== net.opt.moments.length)
      throw new EngineError('bad-snapshot', 'restore: moments do not match the optimiser');
    s.moments.forEach((m, i) => expect(`moments[${i}]`, m, Float32Array, net.arena.size));
    if (!Array.isArray(s.good) || s.good.length !== 1 + net.opt.moments.length)
      throw new EngineError('bad-snapshot', 'restore: good state does not match');
    s.good.forEach((m, i) => expect(`good[${i}]`, m, Float32Array, net.arena.size));
    const b = s.buffer;
    if (!b) throw new EngineError('bad-snapshot', 'restore: no buffer');
    expect('buffer.values', b.values, Float64Array, N * f.F);
    expect('buffer.target', b.target, Float64Array, N);
    expect('buffer.flags', b.flags, Uint8Array, N);
    expect('buffer.times', b.times, Float64Array, N);
    expect('scalars', s.scalars, Float64Array, 16);
    expect('featureStats', s.featureStats, Float64Array, 2 * f.F);
    const pending = f.pending();
    if (!Array.isArray(s.pending) || s.pending.length !== pending.length)
      throw new EngineError('bad-snapshot', 'restore: pending forecasts do not match');
    s.pending.forEach((p, i) => expect(`pending[${i}]`, p, Float64Array, pending[i].length));
    expect('errors', s.errors, Float64Array, 8 * h);
    for (let i = 0; i < s.params!.length; i++) {
      if (!Number.isFinite(s.params![i]))
        throw new EngineError('bad-snapshot', `restore: params[${i}] is ${s.params![i]}`);
    }
    // f is new: a failure below leaves nothing half-restored behind
    for (const [what, cal, state] of [
      ['conformal', f.conformal, s.conformal],
      ['anomalyBar', f.anomalyBar, s.anomalyBar],
    ] as const) {
      const problem = cal.setState(state);
      if (problem) throw new EngineError('bad-snapshot', `restore: ${what}: ${problem}`);
    }
    (net.arena.data as Float32Array).set(s.params!);
    net.opt.moments.forEach((m, i) => m.set(s.moments![i]));
    net.setGoodState(s.good!, s.optimizer!.goodT);
    net.opt.t = s.optimizer!.t;
    net.opt.lr = s.optimizer!.lr;
    net.steps = s.net!.steps;
    net.divergences = s.net!.divergences;
    net.lstm.setRngState(s.net!.dropoutRng);
    f.buf.values.set(b.values);
    f.buf.target.set(b.target);
    f.buf.flags.set(b.flags);
    f.buf.times.set(b.times);
    f.buf.count = b.count;
    const v = s.scalars!;
    [
      f.scale,
      f.season,
      f.lastTime,
      f.dt,
      f.pushed,
      f.accepted,
      f.gaps,
      f.rejected,
      f.anomalyCount,
      f.backlog,
      f.lossAvg,
      f.insideAvg,
      f.lastValid,
      f.scaleSeed,
      f.levelMean,
      f.levelDev,
    ] = v;
    f.fMean.set(s.featureStats!.subarray(0, f.F));
    f.fDev.set(s.featureStats!.subarray(f.F));
    f.pending().forEach((p, i) => p.set(s.pending![i]));
    f.err.set(s.errors!);
    f.rng.setState(s.replayRng!);
    f.recomputeCurrent();
    return f;
  }

  /** The forecasts waiting for their outcomes, in snapshot order. */
  private pending(): Float64Array[] {
    return [this.pendIndex, this.pendMean, this.pendLow, this.pendUp, this.pendCand, this.pendBar];
  }

  /** Rebuilds the served forecast from the restored pending slot of the newest sample. */
  private recomputeCurrent(): void {
    const latest = this.buf.count - 1;
    if (latest < 0) return;
    const h = this.h;
    const slot = latest % h;
    const c = this.cur;
    c.mean.set(this.pendMean.subarray(slot * h, slot * h + h));
    c.lower.set(this.pendLow.subarray(slot * h, slot * h + h));
    c.upper.set(this.pendUp.subarray(slot * h, slot * h + h));
    const dt = Number.isNaN(this.dt) ? 1 : this.dt;
    for (let k = 0; k < h; k++) c.time[k] = this.lastTime + (k + 1) * dt;
    c.from = this.lastTime;
    c.ready = this.buf.count >= this.warmup;
  }

  /**
   * The network as a PyTorch state_dict: 'lstm.weight_ih_l0', ... and 'head.weight',
   * 'head.bias', as a module with submodules `lstm` (nn.LSTM(features + 1, hiddenSize,
   * numLayers)) and `head` (nn.Linear(hiddenSize, horizon) for 'direct', (hiddenSize, 1) for
   * 'recursive') would have them.
   */
  exportStateDict(): Record<string, number[] | number[][]> {
    const sd: Record<string, number[] | number[][]> = {};
    for (const [k, v] of Object.entries(this.net.lstm.stateDict())) sd[`lstm.${k}`] = v;
    for (const [k, v] of Object.entries(this.net.head.stateDict())) sd[`head.${k}`] = v;
    return sd;
  }

  /** Loads a PyTorch state_dict shaped as exportStateDict's; all or nothing. */
  importStateDict(sd: Record<string, unknown>): void {
    if (!sd || typeof sd !== 'object')
      throw new EngineError('bad-state-dict', 'importStateDict: expected an object');
    const lstm: Record<string, unknown> = {};
    const head: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(sd)) {
      if (k.startsWith('lstm.')) lstm[k.slice(5)] = v;
      else if (k.startsWith('head.')) head[k.slice(5)] = v;
      else
        throw new EngineError(
          'bad-state-dict',
          `importStateDict: unexpected key "${k}" (expected lstm.* and head.*)`,
        );
    }
    const before = Float32Array.from(this.net.arena.data);
    try {
      this.net.lstm.loadStateDict(lstm);
      this.net.head.loadStateDict(head);
    } catch (e) {
      (this.net.arena.data as Float32Array).set(before);
      throw new EngineError('bad-state-dict', `importStateDict: ${(e as Error).message}`);
    }
    this.net.resetOptimizerAfterImport();
    this.refresh();
  }
}

function clip(v: number): number {
  return v > CLIP ? CLIP : v < -CLIP ? -CLIP : v;
}

function now(): number {
  return performance.now();
}

function isList(v: unknown): v is ArrayLike<unknown> {
  return Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof DataView));
}

function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v);
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  return typeof v === 'object' ? 'an object' : String(v);
}

function structuredCloneOptions(o: ResolvedOptions): ResolvedOptions {
  return { ...o, budget: { ...o.budget } };
}
