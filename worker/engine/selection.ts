// What is served: a combination, per horizon step, of the candidate forecasts
//   0 naive (the last value), 1 seasonal naive, 2 the smoothing filter, 3 filter + LSTM,
//   4 the filter with constants fitted on one-step errors (quicker after a break),
// weighted by their recent errors there: inverse errors to the 4th power (Bates and Granger
// 1969 weight by inverse squared errors; the candidates' errors are strongly correlated, and the
// 4th power, which leans further toward the best, did better in the accuracy benchmark).
// A candidate other than naive is weighted only as far as it has beaten naive both recently
// (per step, fully from 5% better, not at all when no better) and over a long record (about
// LONG outcomes: all steps together, or that step and its neighbours by twice the margin), so a
// run of luck on a random walk does not earn it weight and the product does not do worse than
// doing nothing, while a candidate far better at the near steps is not silenced by its far ones.
// The weights, and so the served path, vary smoothly with the horizon rather than jumping where
// the best candidate changes: each candidate's share of the weight is smoothed over the steps (a
// spread of about h / 2.5 steps).
//
// C = candidates, h = horizon.

export const NAIVE = 0;
export const SNAIVE = 1;
export const FILTER = 2;
export const HYBRID = 3;
export const FILTER1 = 4;
export const C = 5;

// recent errors: a mean over about the last 16 outcomes per step (1/32 was slower to leave a
// candidate after a break; bench:accuracy dev, 37 series: 1/32 1.540 averaged, 6 series over
// 1.02x naive; 1/16 1.537, 5; 1/8 1.542 (seasonal 1.184 against 1.175), 3)
const ERR_ALPHA = 1 / 16;
const MIN_SCORED = 20; // outcomes before a candidate may be weighted ...
// ... or STRONG_MIN, when its errors there are at most STRONG of naive's: a wide margin needs
// fewer outcomes to be believed (the outcomes needed grow as 1 / margin^2), and on a short
// trending or seasonal series, serving naive for 20 outcomes after the first fit cost more than
// the rest of the series (bench:accuracy dev, 37 series: averaged 1.537 -> 1.506, syn-mult-
// quarterly 0.962 -> 0.636; 0.67 instead of 0.8: 1.508; MIN_SCORED 8 for all: 1.514)
const STRONG = 0.8;
export const STRONG_MIN = 4;
const FULL = 0.05; // better than naive by this share: full weight
const LONG = 256; // outcomes of the long record (a running mean, then a moving one)
// The shares are smoothed by an exponential pass each way over the steps, each keeping
// h / (h + SPREAD) of its neighbour's share: a spread of about h / 2.5 steps. Per-step errors are
// noisy and the 4th power turns a small difference between neighbouring steps into a jump of the
// served path (in the demo, the share changes between two steps moved the path by up to 14 of
// the series' mean one-step changes, 0.30 on average; now 1.1 and 0.05). It pools the steps'
// evidence too: bench:accuracy dev, 37 series, averaged 1.446 -> 1.440 (h=1 0.860 -> 0.857), and
// the (1, 2, 1) kernel over the steps' errors it replaces does not help beside it (1.439 with it,
// h=1 0.860; with it, spreads of h/3 and h/2 did as well, h 1.442, 2h 1.449).
const SPREAD = 4;

export interface SelectionState {
  err: Float64Array;
  long: Float64Array;
  pendIndex: Float64Array;
  pendCand: Float64Array;
}

export class Selection {
  readonly h: number;
  /** (C, h) recent mean absolute error, then (C, h) outcomes seen. */
  readonly err: Float64Array;
  /** (C, h) mean absolute error over about the last LONG outcomes (seeded by backtests too). */
  readonly long: Float64Array;
  /** (h) the sample each pending row of forecasts was made after; -1 for none. */
  readonly pendIndex: Float64Array;
  /** (h, C, h) each candidate's forecast made after sample pendIndex[slot]. */
  readonly pendCand: Float64Array;
  private readonly w: Float64Array; // (C, h) weights
  private readonly longGate: Float64Array; // (C, h)

  constructor(h: number) {
    this.h = h;
    this.err = new Float64Array(2 * C * h);
    this.long = new Float64Array(C * h);
    this.pendIndex = new Float64Array(h).fill(-1);
    this.pendCand = new Float64Array(h * C * h);
    this.w = new Float64Array(C * h);
    this.longGate = new Float64Array(C * h);
  }

  /** Scores every pending forecast that sample n (value y) completes. */
  score(n: number, y: number): void {
    const h = this.h;
    for (let k = 0; k < h; k++) {
      const made = n - 1 - k;
      if (made < 0) break;
      const slot = made % h;
      if (this.pendIndex[slot] !== made) continue;
      for (let c = 0; c < C; c++) {
        const p = this.pendCand[(slot * C + c) * h + k];
        if (Number.isNaN(p)) continue;
        this.record(c, k, Math.abs(y - p));
      }
    }
  }

  record(c: number, k: number, e: number): void {
    const { h, err } = this;
    const seen = err[(C + c) * h + k]++;
    err[c * h + k] = seen === 0 ? e : err[c * h + k] + ERR_ALPHA * (e - err[c * h + k]);
    this.long[c * h + k] += (e - this.long[c * h + k]) / Math.min(seen + 1, LONG);
  }

  /**
   * Replaces the recent errors by a backtest's mean errors (sums / counts, (C, h) each), and the
   * outcomes seen by its counts: a refitted filter is a new model, trusted on its backtest's
   * outcomes, not on its predecessor's (a trend filter refitted on a short random walk was
   * trusted at once on a lucky holdout of 22 origins). bench:accuracy dev 1.439 -> 1.438, over
   * naive by 2% 2 -> 1 (unemp-transportation-and-utilities 1.030 -> 1.017).
   */
  seed(sums: Float64Array, counts: Float64Array): void {
    const { h, err } = this;
    for (let i = 0; i < C * h; i++) {
      if (counts[i] === 0) continue;
      err[i] = sums[i] / counts[i];
      this.long[i] = sums[i] / counts[i];
      err[C * h + i] = counts[i];
    }
  }

  /** Files the candidates (C, h) forecast after sample t, for scoring. */
  file(t: number, cand: Float64Array): void {
    const h = this.h;
    const slot = t % h;
    this.pendIndex[slot] = t;
    this.pendCand.set(cand, slot * C * h);
  }

  /**
   * The weights (C, h) from the recent errors, for candidates that exist in cand: shares of 1 per
   * step, before serve() leaves out those it cannot use.
   */
  weights(cand: Float64Array): Float64Array {
    const { h, err, w } = this;
    // the long record's gate per candidate and step: from all steps together, or from the
    // step's own record smoothed over the steps (as the shares are, below) by twice the margin.
    // bench:accuracy --families, econ-122 (a candidate far better at h=1 after the year's rise
    // but worse at h=12 got no weight at any step): 1.224 -> 1.197; dev 1.440 -> 1.439
    const lg = this.longGate;
    lg.set(this.long);
    smooth(lg, h);
    for (let c = 1; c < C; c++) {
      let l0 = 0;
      let lc = 0;
      for (let k = 0; k < h; k++) {
        l0 += this.long[k];
        lc += this.long[c * h + k];
      }
      const all = gateOf(l0, lc, 1);
      for (let k = 0; k < h; k++) lg[c * h + k] = Math.max(all, gateOf(lg[k], lg[c * h + k], 2));
    }
    for (let k = 0; k < h; k++) {
      const e0 = err[k]; // 0 until scored
      const known = Number.isFinite(e0) && e0 > 0;
      w[k] = known ? 1 / (e0 * e0 * e0 * e0) : 1;
      for (let c = 1; c < C; c++) {
        const ec = err[c * h + k];
        let wc = 0; // also when naive is exact (e0 0): it is served alone
        const seen = err[(C + c) * h + k];
        const trusted = seen >= MIN_SCORED || (seen >= STRONG_MIN && ec <= STRONG * e0);
        if (known && !Number.isNaN(cand[c * h + k]) && trusted) {
          const gate = gateOf(e0, ec, 1) * lg[c * h + k];
          wc = gate / Math.max(ec * ec * ec * ec, 1e-300);
        }
        w[c * h + k] = wc;
      }
    }
    // each step's shares, smoothed over the steps by an exponential pass each way
    for (let k = 0; k < h; k++) {
      let sum = 0;
      for (let c = 0; c < C; c++) sum += w[c * h + k];
      for (let c = 0; c < C; c++) w[c * h + k] /= sum || 1;
    }
    smooth(w, h);
    return w;
  }

  /** The served mean (h) from the candidates (C, h). */
  serve(cand: Float64Array, mean: Float64Array): void {
    const h = this.h;
    const w = this.weights(cand);
    for (let k = 0; k < h; k++) {
      let s = 0;
      let ws = 0;
      for (let c = 0; c < C; c++) {
        const wc = w[c * h + k];
        if (wc === 0 || Number.isNaN(cand[c * h + k])) continue;
        s += wc * cand[c * h + k];
        ws += wc;
      }
      mean[k] = ws > 0 && Number.isFinite(s / ws) ? s / ws : cand[k];
    }
  }

  state(): SelectionState {
    return {
      err: this.err.slice(),
      long: this.long.slice(),
      pendIndex: this.pendIndex.slice(),
      pendCand: this.pendCand.slice(),
    };
  }

  setState(s: SelectionState | undefined): string | null {
    if (!s || typeof s !== 'object') return 'missing';
    for (const key of ['err', 'long', 'pendIndex', 'pendCand'] as const) {
      if (!(s[key] instanceof Float64Array) || s[key].length !== this[key].length)
        return `${key} should be Float64Array(${this[key].length})`;
    }
    this.err.set(s.err);
    this.long.set(s.long);
    this.pendIndex.set(s.pendIndex);
    this.pendCand.set(s.pendCand);
    return null;
  }
}

/** 0 to 1 as error e is 0 to `margin` FULL shares better than naive's e0 (1 while e0 is 0). */
function gateOf(e0: number, e: number, margin: number): number {
  return e0 > 0 ? Math.min(1, Math.max(0, (e0 - e) / (FULL * e0) - margin + 1)) : 1;
}

/** Smooths each candidate's row (C, h) over the steps: an exponential pass each way. */
function smooth(a: Float64Array, h: number): void {
  const keep = h / (h + SPREAD);
  for (let c = 0; c < C * h; c += h) {
    for (let k = c + 1; k < c + h; k++) a[k] += keep * (a[k - 1] - a[k]);
    for (let k = c + h - 2; k >= c; k--) a[k] += keep * (a[k + 1] - a[k]);
  }
}
