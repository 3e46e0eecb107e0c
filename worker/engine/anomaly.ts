// Anomalies a person would call anomalies: scored on the filter's de-seasonalised one-step
// residual r (in the filter's units), so a daily peak the season explains is not one.
//
// The bar: max(1.15 z_q 1.4826 median|r|, z_q / z_0.99 times the 0.99-quantile of the recent
// |r|), z_q the two-sided Gaussian quantile at q = anomalyLevel (default 0.999: at most about one
// false alarm in a thousand clean samples). The first part is right for a Gaussian residual, the
// second follows heavier tails; neither is moved by a few outliers in the last RING residuals. A flagged sample moves the
// filter no more than the bar (the filter's error is clipped), so the sample after a spike is judged
// against the level before it: a spike is flagged once. A second sample beyond the bar on the same
// side and near the first is a level shift: it is not flagged again, and the filter takes the new
// level at once.

import { AdaptiveConformal, type ConformalState } from './conformal';

const RING = 1024; // recent |r| kept
const MIN_HELD = 64; // before this many, nothing is flagged
const MARGIN = 1.15; // the parametric bar's margin over the Gaussian quantile

export type Verdict = 'normal' | 'anomaly' | 'shift';

export class AnomalyDetector {
  readonly level: number;
  private readonly z: number;
  private readonly tail: number; // z_q / z_0.99
  private readonly recent = new AdaptiveConformal(1, 0.5, RING, 0);
  private lastIndex = -2; // the newest flagged sample
  private lastR = 0;

  constructor(level: number) {
    this.level = level;
    this.z = normalQuantile(0.5 + level / 2);
    this.tail = this.z / normalQuantile(0.995);
  }

  /** Forgets the residuals (the filter that made them changed) and the last anomaly. */
  reset(): void {
    this.recent.seen.fill(0);
    this.lastIndex = -2;
  }

  /** Records a residual without judging it (a replay after a refit); clipped at `cap`. */
  record(r: number, cap: number): void {
    this.recent.update(0, Math.min(Math.abs(r), cap), false);
  }

  /** The bar for |r| now, or NaN while too few residuals are known. */
  bar(): number {
    const r = this.recent;
    if (r.held(0) < MIN_HELD) return NaN;
    const sigma = 1.4826 * r.quantile(0, 0.5);
    return Math.max(MARGIN * this.z * sigma, this.tail * r.quantile(0, 0.99));
  }

  /** Judges sample i with residual r (filter units) against `bar`; then records it. */
  judge(i: number, r: number, bar: number): Verdict {
    let verdict: Verdict = 'normal';
    if (Number.isFinite(bar) && Math.abs(r) > bar) {
      const follows = i === this.lastIndex + 1;
      if (follows && Math.sign(r) === Math.sign(this.lastR) && Math.abs(r - this.lastR) < bar) {
        verdict = 'shift';
        this.lastIndex = -2;
      } else {
        verdict = 'anomaly';
        this.lastIndex = i;
        this.lastR = r;
      }
    }
    const a = Math.abs(r);
    this.recent.update(0, Number.isFinite(bar) ? Math.min(a, bar) : a, false);
    return verdict;
  }

  state(): { recent: ConformalState; last: Float64Array } {
    return { recent: this.recent.state(), last: Float64Array.from([this.lastIndex, this.lastR]) };
  }

  setState(s: { recent: ConformalState; last: Float64Array } | undefined): string | null {
    if (!s || typeof s !== 'object') return 'missing';
    if (!(s.last instanceof Float64Array) || s.last.length !== 2)
      return 'last should be Float64Array(2)';
    const problem = this.recent.setState(s.recent);
    if (problem) return problem;
    [this.lastIndex, this.lastR] = s.last;
    return null;
  }
}

/** The standard normal quantile (Acklam's rational approximation, relative error < 1.2e-9). */
export function normalQuantile(p: number): number {
  const a = [
    -39.6968302866538, 220.946098424521, -275.928510446969, 138.357751867269, -30.6647980661472,
    2.50662827745924,
  ];
  const b = [
    -54.4760987982241, 161.585836858041, -155.698979859887, 66.8013118877197, -13.2806815528857,
  ];
  const c = [
    -0.00778489400243029, -0.322396458041136, -2.40075827716184, -2.54973253934373,
    4.37466414146497, 2.93816398269878,
  ];
  const d = [0.00778469570904146, 0.32246712907004, 2.445134137143, 3.75440866190742];
  const lo = 0.02425;
  if (p <= 0) return -Infinity;
  if (p >= 1) return Infinity;
  if (p < lo) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (
      (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
      ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
    );
  }
  if (p > 1 - lo) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) /
    (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
  );
}
