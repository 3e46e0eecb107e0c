// The served forecast's intervals: per horizon step, adaptive conformal (conformal.ts) on the
// absolute errors of what was served, in units of the series' scale at the time of the forecast
// (so an interval grows with a level that grows, as errors do on a log scale). A series that
// never went below 0 gets intervals (and means) that do not either.
//
// h = horizon.

import { AdaptiveConformal, type ConformalState } from './conformal';

/**
 * Outcomes the served and naive errors of stats() (the skill) average over: long enough that a
 * daily cycle's peaks and troughs do not swing it.
 */
const SKILL_MEMORY = 128;

export interface IntervalsState {
  conformal: ConformalState;
  pending: Float64Array;
  scalars: Float64Array;
}

export class Intervals {
  readonly h: number;
  readonly conformal: AdaptiveConformal;
  /** (h) the sample each pending forecast was made after, -1 for none; (h) its unit. */
  private readonly pendIndex: Float64Array;
  private readonly pendUnit: Float64Array;
  /** (h, h) served mean, lower and upper of each pending forecast. */
  private readonly pendMean: Float64Array;
  private readonly pendLow: Float64Array;
  private readonly pendUp: Float64Array;
  /** Share of recent samples inside their one-step interval. */
  insideAvg = NaN;
  /** The smallest value ever seen. */
  min = Infinity;
  /**
   * (h) recent mean absolute error of the served forecast and of the naive one, measured the
   * same way on the same outcomes (y units); (h) outcomes seen.
   */
  readonly mae: Float64Array;
  readonly naiveMae: Float64Array;
  readonly seen: Float64Array;
  private readonly pendLast: Float64Array; // (h) the value each pending forecast started from

  constructor(h: number, coverage: number) {
    this.h = h;
    this.conformal = new AdaptiveConformal(h, coverage);
    this.pendIndex = new Float64Array(h).fill(-1);
    this.pendUnit = new Float64Array(h);
    this.pendMean = new Float64Array(h * h);
    this.pendLow = new Float64Array(h * h);
    this.pendUp = new Float64Array(h * h);
    this.mae = new Float64Array(h);
    this.naiveMae = new Float64Array(h);
    this.seen = new Float64Array(h);
    this.pendLast = new Float64Array(h);
  }

  /** Scores the served forecasts that sample n (value y) completes. */
  score(n: number, y: number): void {
    const h = this.h;
    if (y < this.min) this.min = y;
    for (let k = 0; k < h; k++) {
      const made = n - 1 - k;
      if (made < 0) break;
      const slot = made % h;
      if (this.pendIndex[slot] !== made) continue;
      const lo = this.pendLow[slot * h + k];
      if (Number.isNaN(lo)) continue;
      const up = this.pendUp[slot * h + k];
      const ae = Math.abs(y - this.pendMean[slot * h + k]);
      const seen = this.seen[k]++;
      const an = Math.abs(y - this.pendLast[slot]);
      // a running mean over the first SKILL_MEMORY outcomes, then over about that many
      const rate = 1 / Math.min(seen + 1, SKILL_MEMORY);
      this.mae[k] += rate * (ae - this.mae[k]);
      this.naiveMae[k] += rate * (an - this.naiveMae[k]);
      const e = ae / this.pendUnit[slot];
      const missed = y < lo || y > up;
      this.conformal.update(k, e, missed);
      if (k === 0) {
        const inside = missed ? 0 : 1;
        this.insideAvg = Number.isNaN(this.insideAvg)
          ? inside
          : this.insideAvg + 0.01 * (inside - this.insideAvg);
      }
    }
  }

  /** Records an error seen in a backtest (before any forecast was served). */
  seed(k: number, absError: number, unit: number): void {
    if (unit > 0 && Number.isFinite(absError)) this.conformal.update(k, absError / unit, false);
  }

  /** Fills lower/upper (h) around mean (h) for a forecast made after sample t with this unit. */
  serve(
    t: number,
    last: number,
    unit: number,
    mean: Float64Array,
    lower: Float64Array,
    upper: Float64Array,
    ready: boolean,
  ): void {
    const h = this.h;
    const positive = this.min >= 0;
    for (let k = 0; k < h; k++) {
      if (positive && mean[k] < 0) mean[k] = 0;
      let half = this.conformal.halfWidth(k);
      half = Number.isNaN(half) ? 1.6 * Math.sqrt(k + 1) * unit : half * unit;
      lower[k] = ready ? mean[k] - half : NaN;
      upper[k] = ready ? mean[k] + half : NaN;
      if (ready && positive && lower[k] < 0) lower[k] = 0;
    }
    const slot = t % h;
    this.pendIndex[slot] = t;
    this.pendUnit[slot] = unit;
    this.pendLast[slot] = last;
    this.pendMean.set(mean, slot * h);
    this.pendLow.set(lower, slot * h);
    this.pendUp.set(upper, slot * h);
  }

  /** The pending forecast made after sample t, if it is still held (for a restore). */
  pendingFor(t: number, mean: Float64Array, lower: Float64Array, upper: Float64Array): boolean {
    const h = this.h;
    const slot = t % h;
    if (this.pendIndex[slot] !== t) return false;
    mean.set(this.pendMean.subarray(slot * h, slot * h + h));
    lower.set(this.pendLow.subarray(slot * h, slot * h + h));
    upper.set(this.pendUp.subarray(slot * h, slot * h + h));
    return true;
  }

  state(): IntervalsState {
    const pending = new Float64Array(2 * this.h + 3 * this.h * this.h);
    pending.set(this.pendIndex, 0);
    pending.set(this.pendUnit, this.h);
    pending.set(this.pendMean, 2 * this.h);
    pending.set(this.pendLow, 2 * this.h + this.h * this.h);
    pending.set(this.pendUp, 2 * this.h + 2 * this.h * this.h);
    return {
      conformal: this.conformal.state(),
      pending,
      scalars: Float64Array.from([
        this.insideAvg,
        this.min,
        ...this.mae,
        ...this.naiveMae,
        ...this.seen,
        ...this.pendLast,
      ]),
    };
  }

  setState(s: IntervalsState | undefined): string | null {
    const h = this.h;
    if (!s || typeof s !== 'object') return 'missing';
    const n = 2 * h + 3 * h * h;
    if (!(s.pending instanceof Float64Array) || s.pending.length !== n)
      return `pending should be Float64Array(${n})`;
    if (!(s.scalars instanceof Float64Array) || s.scalars.length !== 2 + 4 * h)
      return `scalars should be Float64Array(${2 + 4 * h})`;
    const problem = this.conformal.setState(s.conformal);
    if (problem) return `conformal: ${problem}`;
    this.pendIndex.set(s.pending.subarray(0, h));
    this.pendUnit.set(s.pending.subarray(h, 2 * h));
    this.pendMean.set(s.pending.subarray(2 * h, 2 * h + h * h));
    this.pendLow.set(s.pending.subarray(2 * h + h * h, 2 * h + 2 * h * h));
    this.pendUp.set(s.pending.subarray(2 * h + 2 * h * h));
    [this.insideAvg, this.min] = s.scalars;
    this.mae.set(s.scalars.subarray(2, 2 + h));
    this.naiveMae.set(s.scalars.subarray(2 + h, 2 + 2 * h));
    this.seen.set(s.scalars.subarray(2 + 2 * h, 2 + 3 * h));
    this.pendLast.set(s.scalars.subarray(2 + 3 * h));
    return null;
  }
}
