// Prediction intervals calibrated online from the forecaster's own recent errors, by adaptive
// conformal inference (Gibbs and Candès, 2021): per horizon step k, the half-width is a quantile
// of the last R absolute errors at level 1 - α_k, and after each outcome
//   α_k ← α_k + γ (α - miss)        (miss = 1 when the outcome fell outside the interval)
// so the long-run miss rate tracks α = 1 - coverage even when the data shifts.

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
  private readonly scratch: Float64Array;

  constructor(horizon: number, coverage: number, size = 256, gamma = 0.005) {
    this.horizon = horizon;
    this.size = size;
    this.target = 1 - coverage;
    this.gamma = gamma;
    this.alpha = new Float64Array(horizon).fill(this.target);
    this.errors = new Float64Array(horizon * size);
    this.seen = new Float64Array(horizon);
    this.scratch = new Float64Array(size);
  }

  /** Records the outcome of a forecast for step k (0-based): its absolute error and whether it missed. */
  update(k: number, absError: number, missed: boolean): void {
    const n = this.seen[k]++;
    this.errors[k * this.size + (n % this.size)] = absError;
    const a = this.alpha[k] + this.gamma * (this.target - (missed ? 1 : 0));
    this.alpha[k] = Math.min(1, Math.max(-0.5, a));
  }

  /** Half-width for step k, or NaN until enough errors have been seen. */
  halfWidth(k: number, minErrors = 20): number {
    const n = Math.min(this.seen[k], this.size);
    if (n < minErrors) return NaN;
    const level = 1 - this.alpha[k];
    const s = this.scratch.subarray(0, n);
    s.set(this.errors.subarray(k * this.size, k * this.size + n));
    s.sort();
    if (level >= 1) return s[n - 1] * (1 + (level - 1) * 4); // beyond the data: widen past the max
    if (level <= 0) return 0;
    // the ceil((n+1) level)-th smallest, the split-conformal quantile
    const idx = Math.min(n - 1, Math.max(0, Math.ceil((n + 1) * level) - 1));
    return s[idx];
  }
}
