// The Forecaster: the ES-RNN hybrid (Smyl 2020) made online, learning from a live stream.
//
// The path of one sample through push():
//   validate (ingest.ts) -> score the forecasts that matured with it: each candidate's errors
//   per horizon (selection.ts), the served interval's (intervals.ts) -> judge it against the
//   filter's one-step forecast (anomaly.ts) -> store it (buffer.ts) -> update the smoothing
//   filters with it (smoothing.ts; an anomaly moves them no more than the bar) -> now and then,
//   find the season (season.ts) and refit the filters' constants on the history (one on errors
//   over all h steps, the network's normaliser; one on one-step errors), then backtest the
//   candidates on it -> train the network on the filter-normalised windows (trainer.ts)
//   -> forecast the next h samples: naive, seasonal naive, both filters, filter + network,
//   combined by recent error per step (selection.ts), with conformal intervals.
//
// The live state: the network is trained from a zero state on windows of W samples, so the
// state that goes with the newest sample is the one after running the last W samples from zero
// with the current weights; each forecast re-runs those W steps (a quarter of a training step).

import { ANOMALY, GAP, SampleBuffer } from './buffer';
import { resolveOptions, type ResolvedOptions } from './config';
import { AnomalyDetector } from './anomaly';
import { EngineError } from './errors';
import { readBatch, readRow, ShapeError } from './ingest';
import { Intervals } from './intervals';
import { detectSeasons } from './season';
import { C, FILTER, FILTER1, HYBRID, NAIVE, SNAIVE, Selection, STRONG_MIN } from './selection';
import { DEFAULT_PARAMS, fitSmoother, holdoutErrors, Smoother, type HeldErrors } from './smoothing';
import { restoreInto, snapshotOf, type ForecasterSnapshot } from './snapshot';
import { Trainer } from './trainer';
import type { Anomaly, Forecast, ForecasterOptions, ForecasterStats, PushResult } from './types';

export { SNAPSHOT_VERSION, type ForecasterSnapshot } from './snapshot';

const BACKTEST = 120; // windows backtested after a fit or a catch-up
const PRETRAIN = 200; // training steps after the first fit (the warm-up history)
// refit when the samples seen grow by FIT_GROWTH (at least FIT_MIN samples apart, at most
// FIT_MAX_GAP), about as often as the Holt-Winters peer refits: fits on a short history are poor
// and the next one should not wait for 50% more (bench:accuracy dev 1.495 -> 1.469 with 0.1 and 12
// instead of 0.5 and 48; the filter alone, emulated: 1.599 -> 1.525)
const FIT_GROWTH = 0.1;
const FIT_MIN = 12;
const FIT_MAX_GAP = 1024;
const HONEST_UNDER = 600; // samples under which the filter's backtest uses a holdout fit
// a seasonal filter's in-sample errors count as this much larger without a holdout (a fit of four
// constants on a few dozen origins flatters itself, and on a short random walk finds false
// seasons). bench:accuracy dev, 37 series: 1.459 -> 1.446 averaged with 1.5, 1.444 with 1.3, 1.443
// with 1.15; on 40 fresh seeded 60-point random walks 1.3 is 0.5% worse than naive (6 over 1.02x),
// 1.5 as before the seed (0.1%, 4 over), and on 60-point seasonal ones 1.5 gains 5% against 7%
const IN_SAMPLE = 1.5;
const CLIP_ANOMALY = 1; // an anomaly moves the filter as an error of at most this many units
const RESIDUAL_CAP = 12; // replayed residuals kept for the anomaly bar are capped here (units)

export class Forecaster {
  readonly options: ResolvedOptions;
  /** @internal the parts, for snapshot.ts */
  readonly buf: SampleBuffer;
  readonly sm: Smoother;
  /** The same filter fitted on one-step errors: a candidate that follows a break sooner. */
  readonly sm1: Smoother;
  /** [sm, sm1], the candidates FILTER and FILTER1. */
  private readonly filters: Smoother[];
  readonly trainer: Trainer;
  readonly sel: Selection;
  readonly iv: Intervals;
  readonly anomaly: AnomalyDetector;
  private readonly F: number;
  private readonly h: number;
  private readonly W: number;

  /** Scalars, kept together so a snapshot is one copy (see snapshot.ts). */
  s = {
    season: 0, // detected (or fixed) season, the strongest
    season2: 0, // a second detected season, 0 for none
    lastTime: NaN,
    dt: NaN,
    pushed: 0,
    accepted: 0,
    gaps: 0,
    rejected: 0,
    anomalies: 0,
    backlog: 0, // samples not yet trained on (cpuShare budget)
    pretrain: 0, // training steps owed after a fit
    catchingUp: 0, // 1: the backlog exceeded a window; rescore once it is cleared
    lastFit: 0, // samples seen at the latest fit (0: none yet)
  };

  private readonly cur: Forecast;
  private readonly cand: Float64Array; // (C, h)
  private readonly row: Float64Array; // (F)

  constructor(options: ForecasterOptions = {}) {
    this.options = resolveOptions(options);
    const o = this.options;
    this.F = o.features;
    this.h = o.horizon;
    this.W = o.window;
    this.buf = new SampleBuffer(o.capacity, o.features);
    this.sm = new Smoother(o.capacity);
    this.sm1 = new Smoother(o.capacity);
    this.filters = [this.sm, this.sm1];
    this.trainer = new Trainer(o);
    this.sel = new Selection(o.horizon);
    this.iv = new Intervals(o.horizon, o.coverage);
    this.anomaly = new AnomalyDetector(o.anomalyLevel);
    this.s.season = o.season;
    this.cand = new Float64Array(C * o.horizon);
    this.row = new Float64Array(o.features);
    const h = o.horizon;
    this.cur = {
      mean: new Float64Array(h).fill(NaN),
      lower: new Float64Array(h).fill(NaN),
      upper: new Float64Array(h).fill(NaN),
      time: new Float64Array(h).fill(NaN),
      from: NaN,
      ready: false,
    };
  }

  /**
   * With a cpuShare budget, the work that comes now and then (a refit of the filter with its
   * backtest, a look for a season: tens of milliseconds each) is left by push() to the next
   * train(), so that a push costs only its sample's path and a host with many forecasters
   * answers pushes between two such jobs, not after all of them. The forecasts in between come
   * from the constants of the fit before. With stepsPerSample it runs in push(), deterministically.
   */
  private get deferred(): boolean {
    return !('stepsPerSample' in this.options.budget);
  }

  /** (deferred) a look for a season is due; not in snapshots: a restored one looks again later. */
  private seasonLook = false;

  /** Samples needed before the first forecast: one window and a horizon of outcomes. */
  get warmup(): number {
    return this.W + this.h;
  }

  get backlog(): number {
    return this.s.backlog;
  }

  /**
   * With a cpuShare budget, whether train() has work: samples not trained on, pre-training
   * owed, or a refit push() left to it. Always false with stepsPerSample (push trains).
   */
  get pending(): boolean {
    const s = this.s;
    if (!this.deferred) return false;
    return s.backlog > 0 || s.pretrain > 0 || this.seasonLook || this.fitDue();
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
    const s = this.s;
    let batch;
    try {
      batch = readBatch(values, times, F);
    } catch (e) {
      if (e instanceof ShapeError) {
        s.pushed += e.samples;
        s.rejected += e.samples;
      }
      throw e;
    }
    const result: PushResult = { accepted: 0, gaps: 0, rejected: 0, anomalies: [] };
    const row = this.row;
    for (let k = 0; k < batch.n; k++) {
      s.pushed++;
      const problem = readRow(batch, k, F, row, s.lastTime);
      if (problem) {
        s.rejected++;
        result.rejected++;
        result.error ??= problem;
        continue;
      }
      const time = batch.times
        ? (batch.times[k] as number)
        : Number.isNaN(s.lastTime)
          ? this.buf.count
          : s.lastTime + (s.dt || 1);
      if (this.ingest(row, time, result.anomalies)) {
        s.gaps++;
        result.gaps++;
      } else {
        s.accepted++;
        result.accepted++;
      }
    }
    return result;
  }

  /** One validated sample along its path; returns true if its target is a gap. */
  private ingest(row: Float64Array, time: number, anomalies: Anomaly[]): boolean {
    const { F, buf, sm, s } = this;
    const ti = this.options.targetIndex;
    const y = row[ti];
    const gap = !Number.isFinite(y);
    const n = buf.count; // this sample's index
    if (!gap) {
      this.sel.score(n, y);
      this.iv.score(n, y);
    }
    // gaps in any feature hold the previous value, so inputs stay finite
    for (let f = 0; f < F; f++) {
      if (!Number.isFinite(row[f])) row[f] = n > 0 ? buf.values[buf.slot(n - 1) * F + f] : 0;
    }
    if (gap && n === 0) row[ti] = 0;
    // log needs a positive history
    if (!gap && (sm.p.log || this.sm1.p.log) && !(y > 0)) this.refit(false);
    // judge it against the filter's one-step forecast, then let the filter take it in
    let flags = gap ? GAP : 0;
    let limit = 0;
    if (!gap && n > 0) {
      const z = sm.z(y);
      const f1 = sm.forecast(n - 1, 1);
      const unit = sm.scale;
      const r = (z - f1) / unit;
      const bar = buf.count >= this.warmup ? this.anomaly.bar() : NaN;
      const verdict = this.anomaly.judge(n, r, bar);
      if (verdict === 'anomaly') {
        flags |= ANOMALY;
        limit = CLIP_ANOMALY;
        s.anomalies++;
        anomalies.push({
          id: n,
          time,
          value: y,
          expected: sm.y(f1),
          lower: sm.y(f1 - bar * unit),
          upper: sm.y(f1 + bar * unit),
          score: Math.abs(r) / bar,
        });
      } else if (verdict === 'shift') {
        limit = -1; // taken in whole, below
      } else if (Number.isFinite(bar) && Math.abs(r) > bar) {
        limit = bar;
      }
    }
    this.trainer.updateFeatures(row, n === 0);
    if (!Number.isNaN(s.lastTime)) {
      const d = time - s.lastTime;
      s.dt = Number.isNaN(s.dt) ? d : s.dt + 0.1 * (d - s.dt);
    }
    s.lastTime = time;
    buf.push(row, 0, gap ? NaN : y, flags, time);
    for (let i = 0; i < 2; i++) {
      const f = this.filters[i];
      f.update(gap ? NaN : f.z(y), Math.max(0, limit));
      if (limit < 0) f.shift((1 - f.p.alpha) * f.lastError); // a level shift: the new level now
    }
    if (this.deferred) {
      if (this.seasonTurn()) this.seasonLook = true; // looked for by train(), with a refit
    } else if (this.fitDue() || this.seasonDue()) this.refit(true);
    if ('stepsPerSample' in this.options.budget) {
      const steps = this.options.budget.stepsPerSample;
      for (let k = 0; k < steps; k++) this.trainer.step(buf, sm, 0);
      if (steps > 0 && s.pretrain > 0) this.pretrain();
    } else {
      s.backlog = Math.min(s.backlog + 1, buf.count - buf.oldest);
    }
    this.refresh();
    return gap;
  }

  // -------------------------------------------------------------------------------------------
  // Seasons and the filter's constants

  /**
   * While no season is known (and none is fixed), look again more often than the refits do: a
   * season needs three periods of data, so a day of 240 samples shows at sample 720. Detection
   * costs about a filter fit; found, it refits.
   */
  private seasonDue(): boolean {
    return this.seasonTurn() && this.seasonFound();
  }

  /** Whether this sample is one at which to look for a season (cheap: no detection). */
  private seasonTurn(): boolean {
    const { buf, s } = this;
    if (this.options.season > 0 || s.season > 0 || buf.count < this.warmup) return false;
    const every = Math.max(48, Math.floor(buf.count / 8));
    return buf.count % every === 0;
  }

  private seasonFound(): boolean {
    const { buf } = this;
    const ti = this.options.targetIndex;
    const found = detectSeasons(
      (i) => buf.y(i, ti),
      buf.oldest,
      buf.count,
      Math.floor(buf.capacity / 3),
    );
    return found.length > 0;
  }

  private fitDue(): boolean {
    const n = this.buf.count;
    const last = this.s.lastFit;
    if (n < this.warmup) return false;
    if (last === 0) return true;
    return n - last >= Math.min(FIT_MAX_GAP, Math.max(FIT_MIN, FIT_GROWTH * last));
  }

  /**
   * Finds the season (unless the options fix it), fits the filter's constants on the buffer,
   * replays the filter over it with them, and backtests the candidates so what is served
   * reflects the new filter at once. The first fit also owes the network its pre-training.
   */
  private refit(scheduled: boolean): void {
    const { buf, sm, s } = this;
    const ti = this.options.targetIndex;
    const y = (i: number) => buf.y(i, ti);
    if (scheduled && this.options.season === 0) {
      const found = detectSeasons(y, buf.oldest, buf.count, Math.floor(buf.capacity / 3));
      s.season = found[0] ?? 0;
      s.season2 = found[1] ?? 0;
    }
    // the fit chooses among the detected seasons, none, and twice the strongest (a cycle with two
    // peaks a period, as water demand's morning and evening, can show first at half its period)
    const seasons = [s.season, s.season2, this.options.season > 0 ? 0 : 2 * s.season].filter(
      (m, i, all) => m >= 2 && all.indexOf(m) === i && 3 * m <= buf.capacity,
    );
    const from = buf.oldest;
    const fixed = this.options.season > 0;
    const held = buf.count - from;
    const holdout = Math.min(BACKTEST, Math.floor(held / 3));
    const clipAt = (i: number) => (buf.flags[buf.slot(i)] & ANOMALY ? CLIP_ANOMALY : 0);
    // sm is fitted on errors over all h steps, sm1 on one-step errors. A filter's record for
    // the selection comes from constants that did not see it while the history is short enough
    // for a fit of four constants to flatter itself.
    const honest: (HeldErrors | null)[] | undefined = held < HONEST_UNDER ? [] : undefined;
    for (let i = 0; i < 2; i++) {
      const f = this.filters[i];
      const fitH = i ? 1 : this.h;
      const start = s.lastFit === 0 ? DEFAULT_PARAMS : f.p;
      honest?.push(holdoutErrors(y, from, buf.count, this.h, holdout, seasons, start, fixed, fitH));
      const fit = fitSmoother(y, from, buf.count, fitH, seasons, start, fixed);
      f.p = fit.params;
      if (f === sm) {
        // the filter's states and residuals, as these constants would have made them
        this.anomaly.reset();
        sm.replay(y, from, buf.count, clipAt, (i, r) =>
          this.anomaly.record(r, buf.flags[buf.slot(i)] & ANOMALY ? CLIP_ANOMALY : RESIDUAL_CAP),
        );
      } else f.replay(y, from, buf.count, clipAt);
    }
    if (s.lastFit === 0) s.pretrain = PRETRAIN;
    s.lastFit = buf.count;
    this.backtest(false, honest);
  }

  // -------------------------------------------------------------------------------------------
  // Training

  /**
   * With budget { cpuShare }: trains for about `ms` milliseconds (at least one step when there
   * is anything to learn) and returns the steps taken. When samples come faster than training
   * follows, the replayed windows are drawn from the samples not yet trained on.
   */
  train(ms: number): number {
    const t0 = performance.now();
    const { buf, sm, s, W } = this;
    let steps = 0;
    // the refits and season looks that push() left to the training budget (see `deferred`)
    const look = this.seasonLook && this.s.season === 0;
    this.seasonLook = false;
    if (this.fitDue() || (look && this.seasonFound())) this.refit(true);
    if (s.backlog > W) s.catchingUp = 1;
    while (steps === 0 || performance.now() - t0 < ms) {
      if (s.backlog === 0 && s.pretrain === 0 && steps > 0) break;
      // behind a backlog, replay only recent windows (the newest 4W samples) until caught up
      const lo = s.backlog > W ? buf.count - 1 - Math.min(s.backlog, 4 * W) : 0;
      if (!this.trainer.step(buf, sm, lo)) break;
      steps++;
      if (s.pretrain > 0) s.pretrain--; // pre-training, on the backlog's samples too
      // Far behind, a step stands for several samples, so the backlog drains and the worker
      // gets to rest: fewer steps per sample under overload (stats.trainSteps says how many).
      const far = 8 * W;
      if (s.backlog > 0) s.backlog -= s.backlog > far ? Math.ceil(s.backlog / far) : 1;
    }
    if (s.catchingUp && s.backlog === 0 && s.pretrain === 0) {
      s.catchingUp = 0;
      this.backtest(true); // caught up: judge the model as it is now
    }
    if (steps > 0) this.refresh();
    return steps;
  }

  /** The steps owed after the first fit, at once (stepsPerSample budget). */
  private pretrain(): void {
    const { buf, sm, s } = this;
    while (s.pretrain > 0) {
      s.pretrain--;
      if (!this.trainer.step(buf, sm, 0)) {
        s.pretrain = 0;
        break;
      }
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

  /** Recomputes the served forecast from the newest sample and files it for scoring. */
  private refresh(): void {
    const { buf, h, s } = this;
    const latest = buf.count - 1;
    if (latest < 0) return;
    const ready = buf.count >= this.warmup;
    const cand = this.cand;
    this.candidates(latest, cand, ready);
    const c = this.cur;
    if (ready) this.sel.serve(cand, c.mean);
    else c.mean.set(cand.subarray(0, h));
    this.iv.serve(latest, cand[NAIVE * h], this.unitY(latest), c.mean, c.lower, c.upper, ready);
    const dt = Number.isNaN(s.dt) ? 1 : s.dt;
    for (let k = 0; k < h; k++) c.time[k] = s.lastTime + (k + 1) * dt;
    c.from = s.lastTime;
    c.ready = ready;
    this.sel.file(latest, cand);
  }

  /** The series' scale in y units around sample t: the filter's unit, through the transform. */
  private unitY(t: number): number {
    const sm = this.sm;
    const u = sm.scale;
    if (!sm.p.log) return u;
    const l = sm.level(t);
    return Number.isFinite(l) ? sm.y(l) * u : u;
  }

  /**
   * Each candidate's forecast from sample t into out (C, h): naive, seasonal naive (NaN without
   * a season), the filter, the hybrid and the one-step filter (NaN unless `all`, or before they
   * can be made).
   */
  private candidates(t: number, out: Float64Array, all: boolean): void {
    const { buf, h, sm } = this;
    const ti = this.options.targetIndex;
    const m = this.s.season;
    const yt = buf.y(t, ti);
    for (let k = 0; k < h; k++) {
      out[NAIVE * h + k] = yt;
      const idx = t + 1 + k - m * Math.ceil((k + 1) / Math.max(m, 1));
      out[SNAIVE * h + k] = m > 0 && idx >= buf.oldest ? buf.y(idx, ti) : NaN;
    }
    out.fill(NaN, FILTER * h);
    if (!all || this.s.lastFit === 0 || t < sm.oldest) return;
    const sm1 = this.sm1;
    for (let k = 0; k < h; k++) {
      out[FILTER * h + k] = sm.y(sm.forecast(t, k + 1));
      out[FILTER1 * h + k] = sm1.y(sm1.forecast(t, k + 1));
    }
    if (this.trainer.net.steps > 0) this.trainer.forecast(buf, sm, t, out, HYBRID * h);
  }

  /**
   * Backtests the candidates on the last BACKTEST windows whose outcomes are all known, with the
   * filter and weights as they are now: after a fit, an import or a catch-up, the errors
   * recorded before describe models that no longer exist. Also seeds the intervals with the
   * served forecast's errors if they have none yet. `hybrid`: the network's too (after an
   * import or a catch-up; not after its pre-training on these very windows, which would judge
   * it on what it has learnt by heart).
   */
  private backtest(hybrid: boolean, filters?: (HeldErrors | null)[]): void {
    const { buf, h, sel, iv } = this;
    const last = buf.count - 1 - h;
    const first = Math.max(buf.oldest, this.sm.oldest, last - BACKTEST + 1);
    if (last - first + 1 < 20) return;
    const sums = new Float64Array(C * h);
    const counts = new Float64Array(C * h);
    const out = new Float64Array(C * h);
    const served = new Float64Array(h);
    const rows: Float64Array[] = [];
    for (let t = first; t <= last; t++) {
      this.candidates(t, out, true);
      rows.push(out.slice());
      for (let k = 0; k < h; k++) {
        const s = buf.slot(t + 1 + k);
        if (buf.flags[s] & GAP) continue;
        const y = buf.target[s];
        for (let c = 0; c < C; c++) {
          const p = out[c * h + k];
          if (Number.isNaN(p)) continue;
          sums[c * h + k] += Math.abs(y - p);
          counts[c * h + k]++;
        }
      }
    }
    if (!hybrid) counts.fill(0, HYBRID * h, (HYBRID + 1) * h);
    // The filters' in-sample errors flatter them: take the holdout's. Without one (a history too
    // short to hold out from), a seasonal filter keeps its in-sample errors, times IN_SAMPLE and
    // as STRONG_MIN outcomes (or the live ones seen), so it is served at once only when clearly
    // better than naive.
    // A season repeats; a trend fitted on so few samples may bend (syn-short-trend-60 went
    // 1.03 -> 1.27, over naive, when trends were trusted too), so a filter without one has none.
    filters?.forEach((held, i) => {
      const c = i ? FILTER1 : FILTER;
      if (held) {
        sums.set(held.sums, c * h);
        counts.set(held.counts, c * h);
      } else if (this.filters[i].p.m < 2) counts.fill(0, c * h, (c + 1) * h);
      else
        for (let j = c * h; j < c * h + h; j++) {
          if (counts[j] === 0) continue;
          sums[j] *= (IN_SAMPLE * STRONG_MIN) / counts[j];
          counts[j] = STRONG_MIN;
        }
    });
    sel.seed(sums, counts);
    if (iv.conformal.held(0) >= 20) return;
    rows.forEach((row, j) => {
      const t = first + j;
      sel.serve(row, served);
      for (let k = 0; k < h; k++) {
        const s = buf.slot(t + 1 + k);
        if (!(buf.flags[s] & GAP)) iv.seed(k, Math.abs(buf.target[s] - served[k]), this.unitY(t));
      }
    });
  }

  // -------------------------------------------------------------------------------------------
  // Stats

  stats(): ForecasterStats {
    const { h, s } = this;
    const mae = new Float64Array(h);
    const naiveMae = new Float64Array(h);
    let skill = 0;
    let n = 0;
    for (let k = 0; k < h; k++) {
      mae[k] = this.iv.mae[k];
      naiveMae[k] = this.iv.naiveMae[k];
      if (this.iv.seen[k] > 0 && naiveMae[k] > 0) {
        skill += 1 - mae[k] / naiveMae[k];
        n++;
      }
    }
    const net = this.trainer.net;
    return {
      pushed: s.pushed,
      accepted: s.accepted,
      gaps: s.gaps,
      rejected: s.rejected,
      anomalies: s.anomalies,
      warmupRemaining: Math.max(0, this.warmup - this.buf.count),
      trainSteps: net.steps,
      stepsPerSecond: this.trainer.rate,
      loss: this.trainer.lossAvg,
      learningRate: net.opt.lr,
      divergences: net.divergences,
      backlog: s.backlog,
      season: s.season,
      kernels: net.kernels.misses === 0 ? net.kernels.name : 'js',
      mae,
      naiveMae,
      skill: n > 0 ? skill / n : 0,
      coverage: this.iv.insideAvg,
      filter: {
        alpha: this.sm.p.alpha,
        beta: this.sm.p.beta,
        gamma: this.sm.p.gamma,
        phi: this.sm.p.phi,
        log: this.sm.p.log,
        season: this.sm.p.m,
        unit: this.sm.scale,
      },
    };
  }

  // -------------------------------------------------------------------------------------------
  // Snapshots and PyTorch state dicts

  /** Everything, as a structured-cloneable object of typed arrays (copies). */
  snapshot(): ForecasterSnapshot {
    return snapshotOf(this);
  }

  /** A forecaster that continues exactly where the snapshot's left off. */
  static restore(snapshot: ForecasterSnapshot): Forecaster {
    const s = snapshot as Partial<ForecasterSnapshot> | null;
    if (!s || typeof s !== 'object')
      throw new EngineError('bad-snapshot', 'restore: a snapshot must be an object');
    let f: Forecaster;
    try {
      f = new Forecaster(s.options as ForecasterOptions);
    } catch (e) {
      throw new EngineError(
        'bad-snapshot',
        `restore: the snapshot's options are invalid: ${(e as Error).message}`,
      );
    }
    restoreInto(f, snapshot);
    f.recomputeCurrent();
    return f;
  }

  /** Rebuilds the served forecast from the restored pending forecast of the newest sample. */
  private recomputeCurrent(): void {
    const latest = this.buf.count - 1;
    if (latest < 0) return;
    const c = this.cur;
    const s = this.s;
    if (!this.iv.pendingFor(latest, c.mean, c.lower, c.upper)) this.refresh();
    const dt = Number.isNaN(s.dt) ? 1 : s.dt;
    for (let k = 0; k < this.h; k++) c.time[k] = s.lastTime + (k + 1) * dt;
    c.from = s.lastTime;
    c.ready = this.buf.count >= this.warmup;
  }

  /**
   * The network as a PyTorch state_dict: 'lstm.weight_ih_l0', ... and 'head.weight',
   * 'head.bias', as a module with submodules `lstm` (nn.LSTM(features, hiddenSize, numLayers))
   * and `head` (nn.Linear(hiddenSize, horizon) for 'direct', (hiddenSize, 1) for 'recursive')
   * would have them. Its inputs and targets: trainer.ts.
   */
  exportStateDict(): Record<string, number[] | number[][]> {
    const net = this.trainer.net;
    const sd: Record<string, number[] | number[][]> = {};
    for (const [k, v] of Object.entries(net.lstm.stateDict())) sd[`lstm.${k}`] = v;
    for (const [k, v] of Object.entries(net.head.stateDict())) sd[`head.${k}`] = v;
    return sd;
  }

  /**
   * Loads a PyTorch state_dict shaped as exportStateDict's; all or nothing. The imported model is
   * backtested on the buffer at once, so it is served as soon as it has earned it.
   */
  importStateDict(sd: Record<string, unknown>): void {
    if (!sd || typeof sd !== 'object')
      throw new EngineError('bad-state-dict', 'importStateDict: expected an object');
    const net = this.trainer.net;
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
    const before = Float32Array.from(net.arena.data);
    try {
      net.lstm.loadStateDict(lstm);
      net.head.loadStateDict(head);
    } catch (e) {
      (net.arena.data as Float32Array).set(before);
      throw new EngineError('bad-state-dict', `importStateDict: ${(e as Error).message}`);
    }
    net.resetOptimizerAfterImport();
    net.steps = Math.max(net.steps, 1); // an imported model is a model: forecast with it
    this.backtest(true);
    this.refresh();
  }
}
