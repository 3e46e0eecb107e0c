// The exponential-smoothing filter of the hybrid (Smyl 2020, made online): a level l, a damped
// additive trend b and m seasonal indices s, on z = log y when the history is positive (a season
// that grows with the level becomes additive) or on z = y. It is a forecast on its own, and it
// normalises what the network sees: the network only learns what the filter misses.
//
// Error-correction form (Hyndman et al., "Forecasting with Exponential Smoothing", 2008, ch. 2),
// for the sample i with z_i:
//   f_i   = l_{i-1} + phi b_{i-1} + s_{i-m}                  the one-step forecast
//   e_i   = z_i - f_i
//   l_i   = l_{i-1} + phi b_{i-1} + alpha e_i
//   b_i   = phi b_{i-1} + beta e_i
//   s_i   = s_{i-m} + gamma e_i
// and the k-step forecast from t: l_t + (phi + ... + phi^k) b_t + s_{t+k-m ceil(k/m)}.
//
// The filter keeps l, b and s of every sample the buffer holds (N = capacity), so the forecast
// from any past sample t is known exactly as it was at t: that is what training replays.
// Its constants (alpha, beta, gamma, the transform and the season among the detected ones) are
// fitted on the history by the mean absolute error over all horizons 1..h, not by the one-step
// error alone (FORECASTING.md: 2.09 -> 1.18 on a weekly series).

export interface SmootherParams {
  alpha: number;
  beta: number;
  gamma: number;
  phi: number;
  /** Work on log y. */
  log: boolean;
  /** Season length in samples, 0 for none. */
  m: number;
}

export const DEFAULT_PARAMS: SmootherParams = {
  alpha: 0.3,
  beta: 0.01,
  gamma: 0.1,
  phi: 0.98,
  log: false,
  m: 0,
};

const ALPHAS = [0.02, 0.05, 0.1, 0.2, 0.3, 0.45, 0.6, 0.8, 1];
// 0.05: a slope that wanders needs a beta between 0.03 and 0.1 (bench:accuracy --families,
// trend-240: 1.884 -> 1.814 of HW's 1.548, 1.689 -> 1.639 with --family-shift 500; the other
// families within 0.3%, dev within 0.1%)
const BETAS = [0, 0.002, 0.01, 0.03, 0.05, 0.1];
const GAMMAS = [0, 0.02, 0.05, 0.1, 0.2, 0.35];
// 0.995: a trend that holds over the horizon (co2, exponential growth on log y); with 0.98 alone
// h=12 saw 12% less of it (bench:accuracy dev: averaged 1.506 -> 1.495, co2 0.614 -> 0.582; 1
// instead of 0.995: 1.498)
const PHIS = [0.9, 0.98, 0.995];
const FIT_MAX = 1200; // the newest samples a fit runs on
const FIT_ORIGINS = 240; // forecast origins a fit scores, evenly spaced over them
const SCALE_ALPHA = 0.02; // the running unit of |e|
const SPIKE = 6; // an error over SPIKE units moves the unit as if it were SPIKE units

/** What the filter reads of the history: y(i) for i in [from, to), gaps filled. */
export type History = (i: number) => number;

export class Smoother {
  readonly capacity: number;
  p: SmootherParams = { ...DEFAULT_PARAMS };
  /** (N) level, trend and seasonal index after each sample, slot i % N. */
  readonly lev: Float64Array;
  readonly tr: Float64Array;
  readonly sea: Float64Array;
  /** Samples the filter has taken in; the next one is sample `count`. */
  count = 0;
  /** Running mean of |e| (z units): the unit of the network's inputs and targets. */
  unit = NaN;
  /** Running mean of |z_i - z_{i-1}| (z units): the unit's floor is a small share of it. */
  step = NaN;
  /** The newest sample's error e (z units, before clipping). */
  lastError = 0;
  private seeded = 0;
  private lastZ = NaN;

  constructor(capacity: number) {
    this.capacity = capacity;
    this.lev = new Float64Array(capacity);
    this.tr = new Float64Array(capacity);
    this.sea = new Float64Array(capacity);
  }

  z(y: number): number {
    return this.p.log ? Math.log(y) : y;
  }

  y(z: number): number {
    return this.p.log ? Math.exp(z) : z;
  }

  /** The oldest sample whose state is held. */
  get oldest(): number {
    return Math.max(0, this.count - this.capacity);
  }

  /** The unit with a floor, so that a perfectly fitted series does not divide by zero. */
  get scale(): number {
    const floor = Math.max(
      0.01 * (this.step || 0),
      1e-9 * (1 + Math.abs(this.level(this.count - 1))),
    );
    return Number.isFinite(this.unit) && this.unit > floor ? this.unit : floor;
  }

  level(t: number): number {
    return t >= 0 && t >= this.oldest ? this.lev[t % this.capacity] : NaN;
  }

  /** The seasonal index in force for sample j, as known after sample t (j > t), 0 without one. */
  seasonal(t: number, j: number): number {
    const m = this.p.m;
    if (m === 0) return 0;
    const i = j - m * Math.ceil((j - t) / m);
    return i >= this.oldest && i >= 0 ? this.sea[i % this.capacity] : 0;
  }

  /** The k-step forecast (k >= 1) from sample t, in z units. */
  forecast(t: number, k: number): number {
    const { phi } = this.p;
    const s = t % this.capacity;
    const damp = phi === 1 ? k : (phi * (1 - Math.pow(phi, k))) / (1 - phi);
    return this.lev[s] + damp * this.tr[s] + this.seasonal(t, t + k);
  }

  /**
   * Takes in sample `count` with z (NaN: a gap, the forecast stands for it). `limit` > 0 clips
   * the error to ±limit units (an anomaly moves the filter no more than a large normal error);
   * returns the error e before clipping, in units of the scale before the update.
   */
  update(z: number, limit = 0): number {
    const i = this.count;
    const N = this.capacity;
    const { alpha, beta, gamma, phi, m } = this.p;
    const s = i % N;
    if (i === 0 || !Number.isFinite(this.lev[(i - 1) % N])) {
      this.lev[s] = Number.isFinite(z) ? z : 0;
      this.tr[s] = 0;
      this.sea[s] = 0;
      this.count++;
      this.lastZ = z;
      return 0;
    }
    const p = (i - 1) % N;
    const sp = m > 0 && i - m >= this.oldest ? this.sea[(i - m) % N] : 0;
    const f = this.lev[p] + phi * this.tr[p] + sp;
    const unit = this.scale;
    let e = Number.isFinite(z) ? z - f : 0;
    this.lastError = e;
    const raw = e / unit;
    if (limit > 0 && Math.abs(e) > limit * unit) e = Math.sign(e) * limit * unit;
    this.lev[s] = this.lev[p] + phi * this.tr[p] + alpha * e;
    this.tr[s] = phi * this.tr[p] + beta * e;
    this.sea[s] = sp + gamma * e;
    if (Number.isFinite(z)) {
      this.track(Math.abs(e), Number.isFinite(this.lastZ) ? Math.abs(z - this.lastZ) : NaN);
      this.lastZ = z;
    }
    this.count++;
    return raw;
  }

  /** Moves the newest level by d (z units): a level shift taken in at once. */
  shift(d: number): void {
    if (this.count > 0) this.lev[(this.count - 1) % this.capacity] += d;
  }

  private track(ae: number, ad: number): void {
    if (this.seeded < 8 || Number.isNaN(this.unit)) {
      this.seeded++;
      this.unit = Number.isNaN(this.unit) ? ae : this.unit + (ae - this.unit) / this.seeded;
      if (!Number.isNaN(ad))
        this.step = Number.isNaN(this.step) ? ad : this.step + (ad - this.step) / this.seeded;
      return;
    }
    this.unit += SCALE_ALPHA * (Math.min(ae, SPIKE * this.unit) - this.unit);
    if (!Number.isNaN(ad)) this.step += SCALE_ALPHA * (Math.min(ad, SPIKE * this.step) - this.step);
  }

  /**
   * Runs the filter again over samples [from, to) of the history with the current constants,
   * from a start fitted on the first season (or the first sample): after a fit, every state the
   * buffer holds is what these constants would have produced.
   */
  replay(
    y: History,
    from: number,
    to: number,
    clipAt?: (i: number) => number,
    residual?: (i: number, r: number) => void,
  ): void {
    this.count = from;
    this.unit = NaN;
    this.step = NaN;
    this.seeded = 0;
    this.lastZ = NaN;
    const { m } = this.p;
    const N = this.capacity;
    const start = m > 0 && to - from >= 2 * m ? initialSeason(this, y, from, m) : 0;
    for (let i = from; i < to; i++) {
      if (i < from + start) {
        this.count = i + 1;
        continue;
      }
      if (i === from && start === 0) {
        const z = this.z(y(i));
        this.lev[i % N] = Number.isFinite(z) ? z : 0;
        this.tr[i % N] = 0;
        this.sea[i % N] = 0;
        this.lastZ = z;
        this.count = i + 1;
        continue;
      }
      const r = this.update(this.z(y(i)), clipAt ? clipAt(i) : 0);
      if (residual && i >= from + Math.max(start, 8)) residual(i, r);
    }
  }

  state(): Float64Array {
    const p = this.p;
    return Float64Array.from([
      p.alpha,
      p.beta,
      p.gamma,
      p.phi,
      p.log ? 1 : 0,
      p.m,
      this.count,
      this.unit,
      this.step,
      this.seeded,
      this.lastZ,
      ...this.lev,
      ...this.tr,
      ...this.sea,
    ]);
  }

  setState(s: unknown): string | null {
    const N = this.capacity;
    if (!(s instanceof Float64Array) || s.length !== 11 + 3 * N)
      return `should be Float64Array(${11 + 3 * N})`;
    this.p = { alpha: s[0], beta: s[1], gamma: s[2], phi: s[3], log: s[4] === 1, m: s[5] };
    [this.count, this.unit, this.step, this.seeded, this.lastZ] = s.subarray(6, 11);
    this.lev.set(s.subarray(11, 11 + N));
    this.tr.set(s.subarray(11 + N, 11 + 2 * N));
    this.sea.set(s.subarray(11 + 2 * N, 11 + 3 * N));
    return null;
  }
}

/**
 * Level = mean of the first season, indices = deviations from it, trend = the change from the
 * first season's mean to the second's, per sample. Returns how many samples it initialised (m).
 */
function initialSeason(f: Smoother, y: History, from: number, m: number): number {
  const N = f.capacity;
  let a = 0;
  let b = 0;
  for (let j = 0; j < m; j++) {
    a += f.z(y(from + j));
    b += f.z(y(from + m + j));
  }
  a /= m;
  b /= m;
  const trend = (b - a) / m;
  for (let j = 0; j < m; j++) {
    const i = from + j;
    const z = f.z(y(i));
    f.sea[i % N] = Number.isFinite(z) ? z - a - trend * (j - (m - 1) / 2) : 0;
    f.lev[i % N] = a + trend * (j - (m - 1) / 2);
    f.tr[i % N] = trend;
  }
  return m;
}

/**
 * The mean absolute error (in y units) over all horizons 1..h of the filter with params p, run
 * over ys[0, n) (zs: the same in z units: log ys for p.log, else ys) and scored on every
 * `stride`-th origin after its first 2 seasons (or 8 samples). Allocation: none (ring: (m)).
 */
export function multiHorizonError(
  ys: Float64Array,
  zs: Float64Array,
  h: number,
  p: SmootherParams,
  ring: Float64Array,
  stride = 1,
  scored?: { first: number; sums: Float64Array; counts: Float64Array },
): number {
  const { alpha, beta, gamma, phi, log, m } = p;
  const n = ys.length;
  let l: number;
  let b = 0;
  let start: number;
  if (m > 0) {
    if (n < 2 * m + h + 4) return Infinity;
    let a = 0;
    let c = 0;
    for (let j = 0; j < m; j++) {
      a += zs[j];
      c += zs[m + j];
    }
    a /= m;
    c /= m;
    b = (c - a) / m;
    for (let j = 0; j < m; j++) ring[j] = zs[j] - a - b * (j - (m - 1) / 2);
    l = a + b * ((m - 1) / 2);
    start = m;
  } else {
    l = zs[0];
    start = 1;
  }
  // origins from `scored.first` on when asked (their errors per step go to scored), else after
  // the first two seasons
  const scoreFrom = scored
    ? Math.max(start, scored.first + 1)
    : Math.max(start, Math.min(2 * Math.max(m, 4), Math.floor(n / 3)));
  let sum = 0;
  let count = 0;
  let phase = start % Math.max(m, 1); // (i) mod m
  for (let i = start; i < n; i++) {
    // score the forecasts from origin i - 1 (state l, b, ring as of i - 1)
    if (i >= scoreFrom && (i - scoreFrom) % stride === 0) {
      let damp = 0;
      let pk = 1;
      let ph = phase; // (i - 1 + k) mod m, from k = 1
      const top = Math.min(h, n - i);
      for (let k = 1; k <= top; k++) {
        pk *= phi;
        damp += pk;
        const zf = l + damp * b + (m > 0 ? ring[ph] : 0);
        const e = Math.abs(ys[i - 1 + k] - (log ? Math.exp(zf) : zf));
        sum += e;
        count++;
        if (scored) {
          scored.sums[k - 1] += e;
          scored.counts[k - 1]++;
        }
        if (m > 0 && ++ph === m) ph = 0;
      }
    }
    const sp = m > 0 ? ring[phase] : 0;
    const e = zs[i] - (l + phi * b + sp);
    l = l + phi * b + alpha * e;
    b = phi * b + beta * e;
    if (m > 0) {
      ring[phase] = sp + gamma * e;
      if (++phase === m) phase = 0;
    }
  }
  return count > 0 ? sum / count : Infinity;
}

/** A backtest's absolute errors per horizon step, summed, and how many were summed. */
export interface HeldErrors {
  sums: Float64Array;
  counts: Float64Array;
}

/**
 * An honest backtest of the filter: constants fitted (on errors over steps 1..fitH) on
 * y[from, to - holdout) only, then the filter run over all of y[from, to) with them and its
 * errors per step (h) summed over the origins of the last `holdout` samples, which the fit did
 * not see. Null if too short.
 */
export function holdoutErrors(
  y: History,
  from: number,
  to: number,
  h: number,
  holdout: number,
  seasons: readonly number[],
  start: SmootherParams,
  fixed: boolean,
  fitH = h,
): HeldErrors | null {
  from = Math.max(from, to - FIT_MAX - holdout);
  const cut = to - holdout;
  if (cut - from < 2 * h + 8 || holdout < h + 8) return null;
  const fit = fitSmoother(y, from, cut, fitH, seasons, start, fixed);
  const n = to - from;
  const ys = new Float64Array(n);
  for (let i = 0; i < n; i++) ys[i] = y(from + i);
  if (fit.params.log && !ys.every((v) => v > 0)) return null;
  const zs = fit.params.log ? ys.map(Math.log) : ys;
  const scored = { first: cut - from - 1, sums: new Float64Array(h), counts: new Float64Array(h) };
  multiHorizonError(ys, zs, h, fit.params, new Float64Array(Math.max(1, fit.params.m)), 1, scored);
  return scored;
}

/**
 * Fits the constants on y[from, to): for each transform (log only if every value is positive)
 * and each candidate season (and none), a coordinate descent over the grids of alpha, beta,
 * gamma and phi, from `start`; the best by multiHorizonError (its error on the scored origins).
 * About 60 filter runs per (transform, season) over at most FIT_MAX samples.
 */
export function fitSmoother(
  y: History,
  from: number,
  to: number,
  h: number,
  seasons: readonly number[],
  start: SmootherParams,
  fixed = false,
): { params: SmootherParams; error: number } {
  from = Math.max(from, to - FIT_MAX);
  const n = to - from;
  const ys = new Float64Array(n);
  let positive = true;
  for (let i = 0; i < n; i++) {
    ys[i] = y(from + i);
    if (!(ys[i] > 0)) positive = false;
  }
  const logs = positive ? ys.map(Math.log) : ys;
  const maxM = Math.max(0, ...seasons);
  const ring = new Float64Array(Math.max(1, maxM));
  let best: SmootherParams = { ...start, log: start.log && positive };
  let bestErr = Infinity;
  const transforms = positive ? [false, true] : [false];
  const fits = seasons.filter((m) => m >= 2 && n >= 2 * m + h + 4);
  // a season the user fixed is used as soon as the history allows it
  const ms = fixed && fits.length > 0 ? fits : [0, ...fits];
  const stride = Math.max(1, Math.floor(n / FIT_ORIGINS));
  const score = (q: SmootherParams) => multiHorizonError(ys, q.log ? logs : ys, h, q, ring, stride);
  /** One round of coordinate descent from p: each constant over its grid, the others held. */
  const descend = (p: SmootherParams, err: number): [SmootherParams, number] => {
    for (const key of ['alpha', 'beta', 'gamma', 'phi'] as const) {
      if (key === 'gamma' && p.m === 0) continue;
      const grid =
        key === 'alpha' ? ALPHAS : key === 'beta' ? BETAS : key === 'gamma' ? GAMMAS : PHIS;
      for (const v of grid) {
        if (v === p[key]) continue;
        const q = { ...p, [key]: v };
        const e = score(q);
        if (e < err) {
          err = e;
          p = q;
        }
      }
    }
    return [p, err];
  };
  // one round for every transform and season, a second for the best of them
  for (const log of transforms) {
    for (const m of ms) {
      const p0: SmootherParams = { ...start, log, m, gamma: m > 0 ? start.gamma || 0.05 : 0 };
      const [p, err] = descend(p0, score(p0));
      if (err < bestErr) {
        bestErr = err;
        best = p;
      }
    }
  }
  const [params, error] = descend(best, bestErr);
  return { params, error };
}
