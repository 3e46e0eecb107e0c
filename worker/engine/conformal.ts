// Prediction intervals calibrated online from the forecaster's own recent errors, by adaptive
// conformal inference (Gibbs and Candès, 2021): per horizon step k, the half-width is a quantile
// of the last R absolute errors at level 1 - α_k, and after each outcome
//   α_k ← α_k + γ (α - miss)        (miss = 1 when the outcome fell outside the interval)
// so the long-run miss rate tracks α = 1 - coverage even when the data shifts.

export interface ConformalState {
  alpha: Float64Array;
  errors: Float64Array;
  seen: Float64Array;
  sorted: Float64Array;
}

export class AdaptiveConformal {
  readonly horizon: number;
  readonly size: number; // R, errors kept per horizon step
  readonly target: number; // α
  readonly gamma: number; // γ
  /** (h) α_k, the working miscoverage level per step. */
  readonly alpha: Float64Array;
  /** (h, R) ring of absolute errors per step. */
  readonly errors: Float64Array;
  /** (h) errors seen per step (the ring holds the last min(seen, R)). */
  readonly seen: Float64Array;
  /** (h, R) the same errors kept sorted, so a quantile is a lookup. */
  readonly sorted: Float64Array;

  constructor(horizon: number, coverage: number, size = 256, gamma = 0.005) {
    this.horizon = horizon;
    this.size = size;
    this.target = 1 - coverage;
    this.gamma = gamma;
    this.alpha = new Float64Array(horizon).fill(this.target);
    this.errors = new Float64Array(horizon * size);
    this.seen = new Float64Array(horizon);
    this.sorted = new Float64Array(horizon * size);
  }

  /** Records the outcome of a forecast for step k (0-based): its absolute error and whether it missed. */
  update(k: number, absError: number, missed: boolean): void {
    const R = this.size;
    const n = this.seen[k]++;
    const o = k * R;
    const sorted = this.sorted;
    let len = Math.min(n, R);
    if (n >= R) {
      // the error falling out of the ring leaves the sorted copy too
      const old = this.errors[o + (n % R)];
      const at = lowerBound(sorted, o, o + len, old);
      sorted.copyWithin(at, at + 1, o + len);
      len--;
    }
    this.errors[o + (n % R)] = absError;
    const at = lowerBound(sorted, o, o + len, absError);
    sorted.copyWithin(at + 1, at, o + len);
    sorted[at] = absError;
    const a = this.alpha[k] + this.gamma * (this.target - (missed ? 1 : 0));
    this.alpha[k] = Math.min(1, Math.max(-0.5, a));
  }

  /** Its state as copies, for a snapshot. */
  state(): ConformalState {
    return {
      alpha: this.alpha.slice(),
      errors: this.errors.slice(),
      seen: this.seen.slice(),
      sorted: this.sorted.slice(),
    };
  }

  /** Restores a state() of a calibrator of the same shape; returns what does not fit, or null. */
  setState(s: ConformalState | undefined): string | null {
    if (!s || typeof s !== 'object') return 'missing';
    const own = this.state();
    for (const key of ['alpha', 'errors', 'seen', 'sorted'] as const) {
      const a = s[key];
      if (!(a instanceof Float64Array) || a.length !== own[key].length) {
        return `${key} should be Float64Array(${own[key].length})`;
      }
    }
    this.alpha.set(s.alpha);
    this.errors.set(s.errors);
    this.seen.set(s.seen);
    this.sorted.set(s.sorted);
    return null;
  }

  /** The split-conformal quantile at a fixed level of the errors kept for step k (NaN if none). */
  quantile(k: number, level: number): number {
    const n = Math.min(this.seen[k], this.size);
    if (n === 0) return NaN;
    const idx = Math.min(n - 1, Math.max(0, Math.ceil((n + 1) * level) - 1));
    return this.sorted[k * this.size + idx];
  }

  /** Errors held for step k. */
  held(k: number): number {
    return Math.min(this.seen[k], this.size);
  }

  /** Half-width for step k, or NaN until enough errors have been seen. */
  halfWidth(k: number, minErrors = 20): number {
    const n = Math.min(this.seen[k], this.size);
    if (n < minErrors) return NaN;
    const level = 1 - this.alpha[k];
    const o = k * this.size;
    const max = this.sorted[o + n - 1];
    if (level >= 1) return max * (1 + (level - 1) * 4); // beyond the data: widen past the max
    if (level <= 0) return 0;
    // the ceil((n+1) level)-th smallest, the split-conformal quantile
    const idx = Math.min(n - 1, Math.max(0, Math.ceil((n + 1) * level) - 1));
    return this.sorted[o + idx];
  }
}

/** First index in a[from:to] (sorted) whose value is >= v. */
function lowerBound(a: Float64Array, from: number, to: number, v: number): number {
  let lo = from;
  let hi = to;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
