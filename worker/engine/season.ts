// Season detection for sensor data: which periods (in samples) repeat in the buffer.
//
// n = samples looked at, m = a candidate period, P = the longest period looked at
// (min(maxPeriod, n / minPeriods)), N = FFT size (a power of two >= n + P + 2).
//
// Each candidate m is tested on its own terms (one pass over the series, then phase totals):
//   1. de-trend with the centred moving average of length m (2 x m when m is even), extended
//      linearly over the m/2 samples at each end. The average of a period-m component is a
//      constant, so this removes trends and slow wander and leaves any period-m season whole
//      (first differences, the old way, bury a slow cycle in noise).
//   2. phi = the lag-1 autocorrelation of the linearly de-trended series less its period-m
//      profile: near 0 for white noise, near 1 for a random walk.
//   3. whiten: u_t = r_t - phi r_{t-1}, r the de-trended series. A random walk's r is smooth and
//      its profile is large at every m; whitened it is close to white noise at the harmonics of
//      m (where the moving average passes nothing), while a season in r stays a season in u.
//   4. two F-tests on u, of its phase profile (m - 1 degrees of freedom: any shape) and of its
//      first harmonic (2: a smooth cycle, far more sensitive on a few periods of a noisy sine),
//      each turned into a z-score (Paulson's normal approximation of F). The score is the larger.
// A season is significant when its score passes the normal quantile of alpha / (2 (P - 1))
// (Bonferroni over the periods searched and the two tests: on a season-free series, a false
// season in at most a share alpha of buffers; measured: far fewer), and it matters when its
// profile explains at least minStrength of the de-trended variance (adjusted R^2).
//
// Which m are scored: every m up to EXHAUSTIVE; beyond, the PEAKS highest peaks of the
// autocorrelation (by FFT) of the linearly de-trended series (any shape of cycle) and the PEAKS
// peaks of its power spectrum that stand highest above their surroundings (a cycle's period to
// a fraction of a bin, where the ACF's broad peak may be off by several lags).
//
// The best score is then (1) reduced to the fundamental: a period-24 cycle is also 48- and
// 72-periodic, so the best m is replaced by its smallest (near-)divisor that is significant and
// explains at least DIVISOR_SHARE of what m explains (SUBPERIOD_SHARE if m >= 3 d: a harmonic
// artifact at m / k carries about 1 / k of m's variance or less); (2) refined to the sample by a least-
// squares fit of its first harmonics, one series for every period compared (the F-test scores
// are not smooth in m: each m de-trends and groups the samples its own way), as many harmonics
// as the profile shows (one for a sine, up to HARMONICS for a step or a spike).
//
// A second season is searched the same way on the series with the first season's profile
// removed (a period that the first absorbs, one of its divisors, is not tried), at alpha /
// SECOND_STRICTER, so a multiple such as 168 of 24 is reported only when it adds variance the
// first does not explain; within its precision of a multiple of the first, it is that multiple.
// A long season whose profile already holds a short one explaining less than SUBPERIOD_SHARE of
// it (a strong week with a weak day) is reported alone.
//
// Allocation: the scratch arrays below are module-private, grown to the largest n seen and
// reused; each call writes every element it reads first, so nothing passes from one call (or
// one forecaster) to the next. A call allocates only its result array (and a few closures).

import { EngineError } from './errors';

export interface SeasonOptions {
  /**
   * The share of season-free series (white noise, random walks) on which a false season may be
   * reported: a bound, the rate measured is far lower (default 0.05; the second season is
   * tested at a fifth of it).
   */
  alpha?: number;
  /** Fewest full periods of data a season needs: P <= n / minPeriods (default 3). */
  minPeriods?: number;
  /**
   * Least share of the de-trended variance a season must explain (adjusted R^2 of its phase
   * profile), so that a significant but negligible cycle is not reported (default 0.1).
   */
  minStrength?: number;
  /** At most this many seasons, 1 or 2 (default 2). */
  maxSeasons?: number;
}

const DEFAULT_ALPHA = 0.05;
const DEFAULT_MIN_PERIODS = 3;
const DEFAULT_MIN_STRENGTH = 0.1;
/** Every period up to this is scored; longer ones only at autocorrelation and spectral peaks. */
const EXHAUSTIVE = 16;
/** How many autocorrelation peaks, and how many spectral peaks, beyond EXHAUSTIVE are scored. */
const PEAKS = 10;
/** A divisor d = m / 2 of the best period m replaces it if d explains this share of what m explains, */
const DIVISOR_SHARE = 0.6;
/** ... or this share, if m is 3 or more times d. */
const SUBPERIOD_SHARE = 0.4;
/** The second season's test is at alpha / SECOND_STRICTER. */
const SECOND_STRICTER = 5;
/** Harmonics whose power the period refinement compares. */
const HARMONICS = 8;

/**
 * The seasons of the series y(i), i in [from, to): up to maxSeasons periods in samples,
 * strongest first (the one whose profile explains more variance), [] for none. Periods are
 * looked for from 2 to min(maxPeriod, (to - from) / minPeriods). Non-finite values count as
 * the last finite value before them (the buffer's convention for gaps).
 */
export function detectSeasons(
  y: (i: number) => number,
  from: number,
  to: number,
  maxPeriod: number,
  opts: SeasonOptions = {},
): number[] {
  const alpha = opts.alpha ?? DEFAULT_ALPHA;
  const minPeriods = opts.minPeriods ?? DEFAULT_MIN_PERIODS;
  const minStrength = opts.minStrength ?? DEFAULT_MIN_STRENGTH;
  const maxSeasons = opts.maxSeasons ?? 2;
  if (!Number.isInteger(from) || !Number.isInteger(to) || to < from)
    throw new EngineError(
      'bad-config',
      `detectSeasons: [from, to) = [${from}, ${to}) is not a range`,
    );
  if (!(maxPeriod >= 0))
    throw new EngineError('bad-config', `detectSeasons: maxPeriod ${maxPeriod}`);
  if (!(alpha > 0 && alpha < 1))
    throw new EngineError('bad-config', `detectSeasons: alpha ${alpha} is not in (0, 1)`);
  if (!(minPeriods >= 2))
    throw new EngineError('bad-config', `detectSeasons: minPeriods ${minPeriods} < 2`);
  if (!(minStrength >= 0 && minStrength < 1))
    throw new EngineError(
      'bad-config',
      `detectSeasons: minStrength ${minStrength} is not in [0, 1)`,
    );
  if (maxSeasons !== 1 && maxSeasons !== 2)
    throw new EngineError('bad-config', `detectSeasons: maxSeasons ${maxSeasons} is not 1 or 2`);

  const n = to - from;
  const P = Math.min(Math.floor(maxPeriod), Math.floor(n / minPeriods));
  if (P < 2) return [];
  const w = work(n);
  if (!w.load(y, from, n)) return [];
  // Bonferroni over the periods and the two tests; the second season, a bonus, at a fifth of alpha
  const zCrit = normalUpperQuantile(alpha / (2 * (P - 1)));
  const zCrit2 = normalUpperQuantile(alpha / SECOND_STRICTER / (2 * (P - 1)));

  w.prepare(w.base, P);
  const s1 = w.search(P, 0, zCrit, minStrength);
  if (s1 === 0) return [];
  if (maxSeasons === 1) return [s1];
  const explained1 = w.explained[s1];
  w.removeProfile(s1);
  w.prepare(w.x, P);
  let s2 = w.search(P, s1, zCrit2, minStrength);
  if (s2 === 0) return [s1];
  // a second season within the precision of a multiple of the first is that multiple (a week of
  // 7 days): the period estimate of a few cycles is uncertain by about m^2 / (3 n) samples
  const k = Math.round(s2 / s1);
  if (k >= 2 && k * s1 <= P && Math.abs(s2 - k * s1) <= Math.floor((s2 * s2) / (3 * n))) {
    s2 = k * s1;
    w.score(s2); // its explained sum of squares on the series without the first season
  }
  return w.explained[s2] > explained1 ? [s2, s1] : [s1, s2];
}

/**
 * The season length in samples (the strongest of detectSeasons), or 0. Kept with the signature
 * the engine and the accuracy bench call: maxLag is the longest period, `threshold` the least
 * share of variance the season explains (as the autocorrelation at the peak was), `minPeriods`
 * the fewest full periods of data.
 */
export function detectSeason(
  y: (i: number) => number,
  from: number,
  to: number,
  maxLag: number,
  threshold = DEFAULT_MIN_STRENGTH,
  minPeriods = DEFAULT_MIN_PERIODS,
): number {
  const s = detectSeasons(y, from, to, maxLag, {
    minStrength: threshold,
    minPeriods,
    maxSeasons: 1,
  });
  return s.length > 0 ? s[0] : 0;
}

// ---------------------------------------------------------------------------------------------

class Work {
  readonly cap: number;
  readonly base: Float64Array; // (n) y standardised (zero mean, unit variance)
  readonly x: Float64Array; // (n) the series under test: base, or base minus the first season
  private readonly xd: Float64Array; // (n) x minus its least-squares line
  private readonly pre: Float64Array; // (n + 1) prefix sums of x
  private readonly r: Float64Array; // (n) x de-trended by the moving average of the last period
  private readonly tot: Float64Array; // (P + 1) phase totals
  private readonly tot2: Float64Array; // (P + 1) phase totals of xd
  private readonly cnt: Float64Array; // (P + 1) phase counts
  private readonly prof: Float64Array; // (P + 1) a phase profile
  private readonly capN: number; // the largest FFT size
  private readonly sig: Float64Array; // (N) a real signal to transform
  private readonly zr: Float64Array; // (N / 2) complex FFT scratch, real part
  private readonly zi: Float64Array; // (N / 2) imaginary part
  private readonly xr: Float64Array; // (N / 2 + 1) the real FFT's output, real part
  private readonly xi: Float64Array; // (N / 2 + 1) imaginary part
  private readonly pow: Float64Array; // (N / 2 + 1) power spectrum of xd
  private readonly tc: Float64Array; // (capN / 2 + 1) cos(2 pi j / capN)
  private readonly ts: Float64Array; // (capN / 2 + 1) sin(2 pi j / capN)
  private readonly acf: Float64Array; // (P + 2) autocorrelation of xd
  readonly z: Float64Array; // (P + 2) score of each period tested (NaN: not yet)
  readonly strength: Float64Array; // (P + 2) adjusted R^2 of the profile on r
  readonly explained: Float64Array; // (P + 2) sum of squares the profile explains in r, less noise's share
  private readonly peakLag: Int32Array; // (PEAKS) autocorrelation peaks found
  private readonly specLag: Int32Array; // (PEAKS) periods at spectral peaks
  private readonly specVal: Float64Array; // (PEAKS) their height above the background
  private readonly specPre: Float64Array; // (N / 2 + 2) prefix sums of the power spectrum
  private specCount = 0;
  private readonly gram = new Float64Array((2 * HARMONICS + 1) ** 2); // the harmonic fit's normal equations
  private readonly rhs = new Float64Array(2 * HARMONICS + 1);
  private readonly basis = new Float64Array(2 * HARMONICS + 1);
  private n = 0;
  private rSum = 0; // sum of r, from detrend
  private rSumSq = 0; // sum of r^2
  private rLag1 = 0; // sum of r_t r_{t-1}
  private xdSumSq = 0; // sum of xd^2
  private xdLag1 = 0; // sum of xd_t xd_{t-1}

  constructor(cap: number) {
    this.cap = cap;
    let N = 2;
    while (N < 2 * cap) N *= 2;
    this.base = new Float64Array(cap);
    this.x = new Float64Array(cap);
    this.xd = new Float64Array(cap);
    this.pre = new Float64Array(cap + 1);
    this.r = new Float64Array(cap);
    const p = Math.floor(cap / 2) + 2;
    this.tot = new Float64Array(p);
    this.tot2 = new Float64Array(p);
    this.cnt = new Float64Array(p);
    this.prof = new Float64Array(p);
    this.capN = N;
    this.sig = new Float64Array(N);
    this.zr = new Float64Array(N / 2);
    this.zi = new Float64Array(N / 2);
    this.xr = new Float64Array(N / 2 + 1);
    this.xi = new Float64Array(N / 2 + 1);
    this.pow = new Float64Array(N / 2 + 1);
    this.tc = new Float64Array(N / 2 + 1);
    this.ts = new Float64Array(N / 2 + 1);
    for (let j = 0; j <= N / 2; j++) {
      this.tc[j] = Math.cos((2 * Math.PI * j) / N);
      this.ts[j] = Math.sin((2 * Math.PI * j) / N);
    }
    this.acf = new Float64Array(p);
    this.z = new Float64Array(p);
    this.strength = new Float64Array(p);
    this.explained = new Float64Array(p);
    this.peakLag = new Int32Array(PEAKS);
    this.specLag = new Int32Array(PEAKS);
    this.specVal = new Float64Array(PEAKS);
    this.specPre = new Float64Array(N / 2 + 2);
  }

  /** Copies y into base, gaps filled, standardised; false if it is constant or has no value. */
  load(y: (i: number) => number, from: number, n: number): boolean {
    this.n = n;
    const b = this.base;
    let first = 0;
    while (first < n && !Number.isFinite(y(from + first))) first++;
    if (first === n) return false;
    let last = y(from + first);
    for (let i = 0; i < n; i++) {
      const v = i <= first ? last : y(from + i);
      if (Number.isFinite(v)) last = v;
      b[i] = last;
    }
    let mean = 0;
    for (let i = 0; i < n; i++) mean += b[i];
    mean /= n;
    let ss = 0;
    for (let i = 0; i < n; i++) {
      b[i] -= mean;
      ss += b[i] * b[i];
    }
    const sd = Math.sqrt(ss / n);
    if (!(sd > 1e-12 * (Math.abs(mean) + 1))) return false;
    for (let i = 0; i < n; i++) b[i] /= sd;
    return true;
  }

  /** Makes `src` the series under test: prefix sums, the de-trended copy, its ACF; memo cleared. */
  prepare(src: Float64Array, P: number): void {
    const { n, x, xd, pre, sig, xr, xi, pow, acf } = this;
    if (src !== x) x.set(src.subarray(0, n));
    pre[0] = 0;
    for (let i = 0; i < n; i++) pre[i + 1] = pre[i] + x[i];
    this.z.fill(NaN, 0, P + 2);
    const tm = (n - 1) / 2;
    let sxy = 0;
    let sxx = 0;
    for (let i = 0; i < n; i++) {
      sxy += (i - tm) * x[i];
      sxx += (i - tm) * (i - tm);
    }
    const slope = sxx > 0 ? sxy / sxx : 0;
    const mean = pre[n] / n;
    let sq = 0;
    let lag1 = 0;
    for (let i = 0; i < n; i++) {
      const v = x[i] - mean - slope * (i - tm);
      xd[i] = v;
      sq += v * v;
      if (i > 0) lag1 += v * xd[i - 1];
    }
    this.xdSumSq = sq;
    this.xdLag1 = lag1;
    // ACF of xd by FFT, zero-padded to N >= n + P + 2 (no wrap-around). The biased estimate (sum
    // over n - k products, divided by n): at a season's multiples the unbiased one is as high as
    // at the season and noisier, so its highest peaks would be far multiples
    let N = 2;
    while (N < n + P + 2) N *= 2;
    for (let i = 0; i < n; i++) sig[i] = xd[i];
    sig.fill(0, n, N);
    this.realFft(N);
    const half = N >> 1;
    for (let k = 0; k <= half; k++) pow[k] = xr[k] * xr[k] + xi[k] * xi[k];
    this.spectralPeaks(N, P);
    // the power spectrum is real and even: its forward transform is N times the ACF sums
    for (let k = 0; k <= half; k++) sig[k] = pow[k];
    for (let k = 1; k < half; k++) sig[N - k] = pow[k];
    this.realFft(N);
    const c0 = xr[0];
    const top = Math.min(P + 1, n - 1);
    for (let k = 0; k <= top; k++) acf[k] = c0 > 0 ? xr[k] / c0 : 0;
    for (let k = top + 1; k < P + 2; k++) acf[k] = 0;
  }

  /**
   * The best significant period of the series under test, refined and harmonics reduced, or 0.
   * Periods that divide `exclude` (when non-zero) are not tried.
   */
  search(P: number, exclude: number, zCrit: number, minStrength: number): number {
    const skip = (m: number): boolean => exclude > 0 && exclude % m === 0;
    let best = 0;
    let bestZ = -Infinity;
    const e = Math.min(P, EXHAUSTIVE);
    for (let m = 2; m <= e; m++) {
      if (skip(m)) continue;
      const z = this.score(m);
      if (z > bestZ) {
        bestZ = z;
        best = m;
      }
    }
    if (P > EXHAUSTIVE) {
      const peaks = this.acfPeaks(EXHAUSTIVE + 1, P);
      for (let j = 0; j < peaks; j++) {
        const m = this.peakLag[j];
        if (skip(m)) continue;
        const z = this.score(m);
        if (z > bestZ) {
          bestZ = z;
          best = m;
        }
      }
    }
    for (let j = 0; j < this.specCount; j++) {
      const m = this.specLag[j];
      if (skip(m)) continue;
      const z = this.score(m);
      if (z > bestZ) {
        bestZ = z;
        best = m;
      }
    }
    if (best === 0 || !(bestZ >= zCrit)) return 0;
    // a significant but negligible best (long noise, a tiny cycle) is not worth refining: the
    // refined period's strength is close to the best's
    if (!(this.strength[best] >= 0.5 * minStrength)) return 0;
    let m = best;
    // harmonics: the smallest d with m = k d (k >= 2) within the refinement's precision that is
    // significant and explains most of what m explains (a weekly 168 that is mostly a daily 24,
    // a 48 that is a 24 found at its second peak). Periods up to EXHAUSTIVE are scored already;
    // longer ones are tried at d = round(m / k), k <= 16, and the reduction repeated (1344 -> 96
    // -> 24).
    for (let reduced = true; reduced;) {
      reduced = false;
      const tol = Math.ceil((m * m) / (3 * this.n));
      const whole = m;
      for (let d = 2; 2 * d <= whole; d++) {
        const k = Math.round(whole / d);
        if (Math.abs(whole - k * d) > tol || skip(d)) continue;
        if (d > EXHAUSTIVE && (k > 16 || d !== Math.round(whole / k))) continue;
        // most of what m explains; for k >= 3 a large part is enough (a day that is half of a
        // week): a harmonic artifact at m / k carries about 1 / k or less (a spike train's m / 3
        // a third, a square wave's a ninth), at m / 2 it can carry half (a spike train's)
        const need = k === 2 ? DIVISOR_SHARE : SUBPERIOD_SHARE;
        if (this.score(d) >= zCrit && this.explained[d] >= need * this.explained[whole]) {
          m = d;
          reduced = true;
          break;
        }
      }
    }
    // then the period itself, to the sample
    m = this.refine(m, P, skip);
    this.score(m);
    return this.strength[m] >= minStrength ? m : 0;
  }

  /** Subtracts season m's phase profile (of x de-trended by its moving average) from base into x. */
  removeProfile(m: number): void {
    this.detrend(m);
    const { n, base, x, tot, cnt, prof } = this;
    for (let k = 0; k < m; k++) prof[k] = tot[k] / cnt[k];
    for (let t = 0, k = 0; t < n; t++) {
      x[t] = base[t] - prof[k];
      if (++k === m) k = 0;
    }
  }

  /**
   * xr + i xi [0 : N/2 + 1] = the DFT of the real sig[0:N], by one complex FFT of N/2 (the even
   * and odd samples as real and imaginary parts, then untangled).
   */
  private realFft(N: number): void {
    const { sig, zr, zi, xr, xi, tc, ts } = this;
    const M = N >> 1;
    for (let j = 0; j < M; j++) {
      zr[j] = sig[2 * j];
      zi[j] = sig[2 * j + 1];
    }
    this.complexFft(M);
    const step = this.capN / N;
    for (let k = 0; k <= M; k++) {
      const a = k === M ? 0 : k;
      const b = k === 0 ? 0 : M - k;
      const zra = zr[a];
      const zia = zi[a];
      const cr = zr[b];
      const ci = -zi[b];
      const er = 0.5 * (zra + cr);
      const ei = 0.5 * (zia + ci);
      const or = 0.5 * (zia - ci);
      const oi = -0.5 * (zra - cr);
      const wr = tc[k * step];
      const wi = -ts[k * step];
      xr[k] = er + wr * or - wi * oi;
      xi[k] = ei + wr * oi + wi * or;
    }
  }

  /** In-place radix-2 FFT of (zr, zi)[0:M], M a power of two, with the twiddle table. */
  private complexFft(M: number): void {
    const { zr: re, zi: im, tc, ts, capN } = this;
    for (let i = 1, j = 0; i < M; i++) {
      let bit = M >> 1;
      for (; j & bit; bit >>= 1) j ^= bit;
      j ^= bit;
      if (i < j) {
        let t = re[i];
        re[i] = re[j];
        re[j] = t;
        t = im[i];
        im[i] = im[j];
        im[j] = t;
      }
    }
    for (let len = 2; len <= M; len <<= 1) {
      const half = len >> 1;
      const step = capN / len;
      for (let i = 0; i < M; i += len) {
        for (let k = 0; k < half; k++) {
          const wr = tc[k * step];
          const wi = -ts[k * step];
          const a = i + k;
          const b = a + half;
          const tr = re[b] * wr - im[b] * wi;
          const ti = re[b] * wi + im[b] * wr;
          re[b] = re[a] - tr;
          im[b] = im[a] - ti;
          re[a] += tr;
          im[a] += ti;
        }
      }
    }
  }

  /**
   * Up to PEAKS periods in [2, P] at the peaks of the power spectrum of xd (re[0:N/2], zero-
   * padded) that stand highest above their surroundings (the mean power 2 to 3 natural bins
   * away, so that a red spectrum's low frequencies do not crowd out a season), each at its
   * parabola-interpolated frequency. The ACF's peaks give the lag of any shape; these give the
   * period of a cycle to a fraction of a bin, where the ACF's broad peak is off by several lags.
   */
  private spectralPeaks(N: number, P: number): void {
    const { n, pow: re, specPre, specLag, specVal } = this;
    const half = N >> 1;
    specPre[0] = 0;
    for (let j = 0; j <= half; j++) specPre[j + 1] = specPre[j] + re[j];
    const bin = N / n; // padded bins per natural bin
    const b2 = Math.max(2, Math.round(2 * bin));
    const b3 = Math.max(3, Math.round(3 * bin));
    const jlo = Math.max(1, Math.ceil(N / P));
    let count = 0;
    for (let j = jlo; j < half; j++) {
      const p = re[j];
      if (!(p > re[j - 1] && p >= re[j + 1])) continue;
      // background: mean of re over [j - b3, j - b2] and [j + b2, j + b3], clipped to [1, half]
      const a0 = Math.max(1, j - b3);
      const a1 = Math.max(1, j - b2 + 1);
      const c0 = Math.min(half + 1, j + b2);
      const c1 = Math.min(half + 1, j + b3 + 1);
      const cntBg = a1 - a0 + (c1 - c0);
      if (cntBg <= 0) continue;
      const bg = (specPre[a1] - specPre[a0] + specPre[c1] - specPre[c0]) / cntBg;
      if (!(bg > 0)) continue;
      const v = p / bg;
      let pos = count < PEAKS ? count++ : PEAKS;
      if (pos === PEAKS) {
        if (v <= specVal[PEAKS - 1]) continue;
        pos = PEAKS - 1;
      }
      while (pos > 0 && specVal[pos - 1] < v) {
        specVal[pos] = specVal[pos - 1];
        specLag[pos] = specLag[pos - 1];
        pos--;
      }
      const den = re[j - 1] - 2 * p + re[j + 1];
      const dj = den < 0 ? (0.5 * (re[j - 1] - re[j + 1])) / den : 0;
      specVal[pos] = v;
      specLag[pos] = Math.min(P, Math.max(2, Math.round(N / (j + dj))));
    }
    this.specCount = count;
  }

  /** Up to PEAKS lags in [lo, hi] where the ACF is positive and highest in its neighbourhood. */
  private acfPeaks(lo: number, hi: number): number {
    const { acf, peakLag } = this;
    let count = 0;
    for (let m = lo; m <= hi; m++) {
      const a = acf[m];
      if (!(a > 0)) continue;
      const d = Math.max(1, Math.floor(m / 8));
      let isPeak = true;
      for (let j = Math.max(2, m - d); j <= Math.min(hi + 1, m + d); j++) {
        if (acf[j] > a || (acf[j] === a && j < m)) {
          isPeak = false;
          break;
        }
      }
      if (!isPeak) continue;
      // keep the PEAKS highest, sorted by ACF, descending
      let pos = count < PEAKS ? count++ : PEAKS;
      if (pos === PEAKS) {
        if (a <= acf[peakLag[PEAKS - 1]]) continue;
        pos = PEAKS - 1;
      }
      while (pos > 0 && acf[peakLag[pos - 1]] < a) {
        peakLag[pos] = peakLag[pos - 1];
        pos--;
      }
      peakLag[pos] = m;
    }
    return count;
  }

  /**
   * The period near m0 whose first H harmonics (harmonicsToFit) explain the most of x de-trended
   * by m0's moving average. One series for every period compared, so the comparison is smooth in the
   * period, as a periodogram is (the F-test scores are not: each period de-trends and groups the
   * samples its own way). Searched within a third of a periodogram bin, m0^2 / (3 n), on a coarse
   * grid and then around its best point.
   */
  private refine(m0: number, P: number, skip: (m: number) => boolean): number {
    this.detrend(m0);
    const H = this.harmonicsToFit(m0);
    const delta = Math.max(1, Math.ceil((m0 * m0) / (3 * this.n)));
    const lo = Math.max(2, m0 - delta);
    const hi = Math.min(P, m0 + delta);
    const g = Math.max(1, Math.floor(Math.sqrt(delta)));
    let best = m0;
    let bestP = this.harmonicFit(m0, H);
    const visit = (m: number): void => {
      if (m < lo || m > hi || m === best || skip(m)) return;
      const p = this.harmonicFit(m, H);
      if (p > bestP) {
        bestP = p;
        best = m;
      }
    };
    if (H === 1 && hi - lo > 8) {
      // one harmonic: a single peak within a third of a bin, so a golden-section search
      const fit = (m: number): number => (skip(m) ? -Infinity : this.harmonicFit(m, H));
      let a = lo;
      let b = hi;
      let c = Math.round(b - 0.618 * (b - a));
      let d = Math.round(a + 0.618 * (b - a));
      let fc = fit(c);
      let fd = fit(d);
      while (b - a > 4) {
        if (fc >= fd) {
          b = d;
          d = c;
          fd = fc;
          c = Math.round(b - 0.618 * (b - a));
          fc = c === d ? fd : fit(c);
        } else {
          a = c;
          c = d;
          fc = fd;
          d = Math.round(a + 0.618 * (b - a));
          fd = d === c ? fc : fit(d);
        }
      }
      for (let m = a; m <= b; m++) visit(m);
      return best;
    }
    // several harmonics: their narrower peaks could trap a bracketing search; a grid
    for (let m = m0 - g * Math.floor((m0 - lo) / g); m <= hi; m += g) visit(m);
    const c = best;
    for (let m = c - g + 1; m < c + g; m++) visit(m);
    return best;
  }

  /**
   * How many harmonics the refinement fits at m (r and its phase totals at m in place): those
   * of m's profile that stand 20 times above the profile's noise, at least 1 and at most
   * HARMONICS (fewer for long periods, where each costs m (2H + 1)^2 / 2). A sine needs one
   * (more would only add noise); a step or a spike needs many (fewer leave the unfitted ones to
   * leak into the fit and move its peak by a sample or more).
   */
  private harmonicsToFit(m: number): number {
    const { n, tot, cnt } = this;
    let ssProf = 0;
    for (let k = 0; k < m; k++) ssProf += (tot[k] * tot[k]) / cnt[k];
    const mean = this.rSum / n;
    const noise = Math.max(0, this.rSumSq - ssProf) / (n - m); // residual variance
    const K = n / m;
    const floor = (20 * m * noise) / K; // 20 x E|DFT of the profile's noise|^2
    let hMax = Math.min(HARMONICS, (m - 1) >> 1);
    while (hMax > 1 && m * (2 * hMax + 1) * (2 * hMax + 1) > 80_000) hMax--;
    let H = 1;
    for (let h = 2; h <= hMax; h++) {
      const dc = Math.cos((2 * Math.PI * h) / m);
      const ds = Math.sin((2 * Math.PI * h) / m);
      let c = 1;
      let s = 0;
      let re = 0;
      let im = 0;
      for (let k = 0; k < m; k++) {
        const v = tot[k] / cnt[k] - mean;
        re += v * c;
        im += v * s;
        const c2 = c * dc - s * ds;
        s = s * dc + c * ds;
        c = c2;
      }
      if (re * re + im * im > floor) H = h;
    }
    return H;
  }

  /**
   * The sum of squares of r that its first H harmonics of period m explain: a least-squares
   * fit (through phase totals), not a periodogram, whose peak a few cycles of data bias by
   * half a period or more (the leakage between a frequency and its image). Periods up to
   * 2 H + 1 have no more shapes than that: their whole profile.
   */
  private harmonicFit(m: number, H: number): number {
    const { n, r, tot, gram, rhs } = this;
    for (let k = 0; k < m; k++) tot[k] = 0;
    let sum = 0;
    for (let t = 0, k = 0; t < n; t++) {
      tot[k] += r[t];
      sum += r[t];
      if (++k === m) k = 0;
    }
    const q = n % m;
    const K = Math.floor(n / m);
    if (m <= 2 * H + 1) {
      let ss = 0;
      for (let k = 0; k < m; k++) ss += (tot[k] * tot[k]) / (k < q ? K + 1 : K);
      return ss - (sum * sum) / n;
    }
    // basis b = (1, cos 1, sin 1, ..., cos H, sin H) of 2 pi h k / m; gram = sum cnt b b', rhs = sum tot b
    const B = 2 * H + 1;
    gram.fill(0, 0, B * B);
    rhs.fill(0, 0, B);
    const b = this.basis;
    const dc = Math.cos((2 * Math.PI) / m);
    const ds = Math.sin((2 * Math.PI) / m);
    let c1 = 1;
    let s1 = 0;
    for (let k = 0; k < m; k++) {
      b[0] = 1;
      b[1] = c1;
      b[2] = s1;
      for (let h = 2; h <= H; h++) {
        const cp = b[2 * h - 3];
        const sp = b[2 * h - 2];
        b[2 * h - 1] = cp * c1 - sp * s1;
        b[2 * h] = sp * c1 + cp * s1;
      }
      const w = k < q ? K + 1 : K;
      const tk = tot[k];
      for (let i = 0; i < B; i++) {
        const wi = w * b[i];
        rhs[i] += tk * b[i];
        for (let j = i; j < B; j++) gram[i * B + j] += wi * b[j];
      }
      const c2 = c1 * dc - s1 * ds;
      s1 = s1 * dc + c1 * ds;
      c1 = c2;
    }
    // Cholesky of gram (upper triangle, in place), then |L^-1 rhs|^2
    for (let i = 0; i < B; i++) {
      for (let j = i; j < B; j++) {
        let v = gram[i * B + j];
        for (let p = 0; p < i; p++) v -= gram[p * B + i] * gram[p * B + j];
        if (i === j) {
          if (!(v > 1e-9 * n)) return 0;
          gram[i * B + i] = Math.sqrt(v);
        } else gram[i * B + j] = v / gram[i * B + i];
      }
    }
    let ss = 0;
    for (let i = 0; i < B; i++) {
      let v = rhs[i];
      for (let p = 0; p < i; p++) v -= gram[p * B + i] * rhs[p];
      v /= gram[i * B + i];
      rhs[i] = v;
      ss += v * v;
    }
    return ss - (sum * sum) / n;
  }

  /**
   * r = x - its centred moving average of length m (2 x m when m is even), extended linearly
   * over the ends; in the same pass: tot, tot2, cnt = phase totals of r and of xd, phase counts;
   * rSum, rSumSq, rLag1 = sum r, sum r^2, sum r_t r_{t-1}.
   */
  private detrend(m: number): void {
    const { n, x, xd, pre, r, tot, tot2, cnt } = this;
    const h = m >> 1;
    const odd = (m & 1) === 1;
    // the average at t in [lo, hi]: (pre[t + a] - pre[t - b] + w (x[t - h] + x[t + h])) / m
    const a = odd ? h + 1 : h;
    const b = odd ? h : h - 1;
    const w = odd ? 0 : 0.5;
    const inv = 1 / m;
    const lo = h;
    const hi = n - 1 - h;
    const q = Math.max(1, Math.min(h, hi - lo));
    const tLo = (pre[lo + a] - pre[lo - b] + w * (x[lo - h] + x[lo + h])) * inv;
    const tHi = (pre[hi + a] - pre[hi - b] + w * (x[hi - h] + x[hi + h])) * inv;
    const lq = lo + q;
    const hq = hi - q;
    const slopeLo =
      hi > lo ? ((pre[lq + a] - pre[lq - b] + w * (x[lq - h] + x[lq + h])) * inv - tLo) / q : 0;
    const slopeHi =
      hi > lo ? (tHi - (pre[hq + a] - pre[hq - b] + w * (x[hq - h] + x[hq + h])) * inv) / q : 0;
    // r, by segment (no branch in the loops)
    for (let t = 0; t < lo; t++) r[t] = x[t] - (tLo + (t - lo) * slopeLo);
    if (odd) for (let t = lo; t <= hi; t++) r[t] = x[t] - (pre[t + a] - pre[t - b]) * inv;
    else
      for (let t = lo; t <= hi; t++)
        r[t] = x[t] - (pre[t + a] - pre[t - b] + 0.5 * (x[t - h] + x[t + h])) * inv;
    for (let t = hi + 1; t < n; t++) r[t] = x[t] - (tHi + (t - hi) * slopeHi);
    // phase totals and sums
    const K = Math.floor(n / m);
    const q0 = n - K * m; // phases below q0 have K + 1 samples
    for (let k = 0; k < m; k++) {
      tot[k] = 0;
      tot2[k] = 0;
      cnt[k] = k < q0 ? K + 1 : K;
    }
    let sr = 0;
    let srr = 0;
    let s1 = 0;
    let prev = 0;
    for (let t = 0, k = 0; t < n; t++) {
      const v = r[t];
      tot[k] += v;
      tot2[k] += xd[t];
      sr += v;
      srr += v * v;
      s1 += v * prev;
      prev = v;
      if (++k === m) k = 0;
    }
    this.rSum = sr;
    this.rSumSq = srr;
    this.rLag1 = s1;
  }

  /**
   * The score of period m on the series under test (memoised): the larger z of the whitened
   * profile and first-harmonic F-tests. Also sets strength[m] and explained[m]. One pass over
   * the series (detrend); the rest works on phase totals.
   */
  score(m: number): number {
    const memo = this.z[m];
    if (!Number.isNaN(memo)) return memo;
    const { n, xd, r, tot, tot2, cnt, prof } = this;

    // 1. r = x de-trended; its profile, the share it explains
    this.detrend(m);
    const sr = this.rSum;
    const srr = this.rSumSq;
    let ssProf = 0;
    for (let k = 0; k < m; k++) ssProf += (tot[k] * tot[k]) / cnt[k];
    const rMean = sr / n;
    const ssTot = srr - n * rMean * rMean;
    const explainedRaw = Math.max(0, ssProf - n * rMean * rMean);
    const sse = Math.max(0, ssTot - explainedRaw);
    // what the profile explains beyond what m - 1 free means would explain in noise
    this.explained[m] = Math.max(0, explainedRaw - ((m - 1) * sse) / (n - m));
    this.strength[m] = ssTot > 0 ? 1 - sse / (n - m) / (ssTot / (n - 1)) : 0;

    // 2. phi: the lag-1 autocorrelation of e = xd - S, S = the phase profile of xd (what an AR(1)
    //    fit to the de-seasonalised series gives): near 0 for white noise, near 1 for a random
    //    walk. sum e_t e_{t-1} = sum xd_t xd_{t-1} - sum_k (S_{k-1} A1_k + S_k B1_k - c1_k S_k S_{k-1}),
    //    with A1_k = sum over t = k (mod m), t >= 1 of xd_t, B1_k of xd_{t-1}, c1_k their count.
    const last = (n - 1) % m;
    let cross = this.xdLag1;
    for (let k = 0; k < m; k++) {
      const km = k === 0 ? m - 1 : k - 1;
      const Sk = tot2[k] / cnt[k];
      const Skm = tot2[km] / cnt[km];
      const A1 = k === 0 ? tot2[0] - xd[0] : tot2[k];
      const B1 = km === last ? tot2[km] - xd[n - 1] : tot2[km];
      const c1 = k === 0 ? cnt[0] - 1 : cnt[k];
      cross -= Skm * A1 + Sk * B1 - c1 * Sk * Skm;
      prof[k] = Sk;
    }
    let ssE = this.xdSumSq;
    for (let k = 0; k < m; k++) ssE -= tot2[k] * prof[k];
    const phi = ssE > 0 ? Math.min(1, Math.max(-0.9, cross / ssE)) : 0;

    // 3. u_t = r_t - phi r_{t-1}, t = 1 .. n-1, by phase: U_k = R_k - phi R_{k-1}, less the ends
    for (let k = 0; k < m; k++) {
      const km = k === 0 ? m - 1 : k - 1;
      const R = k === 0 ? tot[0] - r[0] : tot[k];
      const Rm = km === last ? tot[km] - r[n - 1] : tot[km];
      prof[k] = R - phi * Rm; // prof now holds U
    }
    // cnt becomes the count of u per phase (t = 0 has no u); tot the U totals
    cnt[0] -= 1;
    for (let k = 0; k < m; k++) tot[k] = prof[k];
    const nu = n - 1;
    const su = sr - r[0] - phi * (sr - r[n - 1]);
    const suu = srr - r[0] * r[0] - 2 * phi * this.rLag1 + phi * phi * (srr - r[n - 1] * r[n - 1]);
    const uMean = su / nu;
    const uTot = suu - nu * uMean * uMean;
    if (!(uTot > 1e-12 * nu)) return (this.z[m] = 0);

    // 4. F-tests: the phase profile (m - 1, nu - m) and the first harmonic (2, nu - 3)
    let uProf = 0;
    for (let k = 0; k < m; k++) if (cnt[k] > 0) uProf += (tot[k] * tot[k]) / cnt[k];
    uProf = Math.max(0, uProf - nu * uMean * uMean);
    let z = fZ(uProf / (m - 1), Math.max(0, uTot - uProf) / (nu - m), m - 1, nu - m);
    if (m >= 4) {
      // regress u on cos and sin of 2 pi t / m (centred), through the phase totals
      const dc = Math.cos((2 * Math.PI) / m);
      const ds = Math.sin((2 * Math.PI) / m);
      let c = 1;
      let s = 0;
      let sc = 0;
      let sn = 0;
      let cc = 0;
      let ss = 0;
      let cs = 0;
      let nc = 0;
      let ns = 0;
      for (let k = 0; k < m; k++) {
        const a = tot[k] - cnt[k] * uMean;
        sc += a * c;
        sn += a * s;
        cc += cnt[k] * c * c;
        ss += cnt[k] * s * s;
        cs += cnt[k] * c * s;
        nc += cnt[k] * c;
        ns += cnt[k] * s;
        const c2 = c * dc - s * ds;
        s = s * dc + c * ds;
        c = c2;
      }
      cc -= (nc * nc) / nu;
      ss -= (ns * ns) / nu;
      cs -= (nc * ns) / nu;
      const det = cc * ss - cs * cs;
      if (det > 0) {
        const ssH = Math.min(uTot, (ss * sc * sc - 2 * cs * sc * sn + cc * sn * sn) / det);
        z = Math.max(z, fZ(ssH / 2, Math.max(0, uTot - ssH) / (nu - 3), 2, nu - 3));
      }
    }
    return (this.z[m] = z);
  }
}

/** z-score of F = a / b with (d1, d2) degrees of freedom (Paulson's approximation). */
function fZ(a: number, b: number, d1: number, d2: number): number {
  const F = b > 0 ? Math.min(a / b, 1e12) : a > 0 ? 1e12 : 0;
  const f3 = Math.cbrt(F);
  const g1 = 2 / (9 * d1);
  const g2 = 2 / (9 * d2);
  return ((1 - g2) * f3 - (1 - g1)) / Math.sqrt(g1 + f3 * f3 * g2);
}

/** z with P(Z > z) = p for a standard normal Z, 0 < p < 1 (Acklam's rational approximation). */
function normalUpperQuantile(p: number): number {
  const q0 = 1 - p; // the lower quantile of q0
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
    2.506628277459239,
  ];
  const b = [
    -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972,
    -13.28068155288572,
  ];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734,
    4.374664141464968, 2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const pl = 0.02425;
  if (p < pl) {
    // upper tail: z = -(lower quantile of p)
    const t = Math.sqrt(-2 * Math.log(p));
    return -(
      (((((c[0] * t + c[1]) * t + c[2]) * t + c[3]) * t + c[4]) * t + c[5]) /
      ((((d[0] * t + d[1]) * t + d[2]) * t + d[3]) * t + 1)
    );
  }
  if (q0 < pl) {
    const t = Math.sqrt(-2 * Math.log(q0));
    return (
      (((((c[0] * t + c[1]) * t + c[2]) * t + c[3]) * t + c[4]) * t + c[5]) /
      ((((d[0] * t + d[1]) * t + d[2]) * t + d[3]) * t + 1)
    );
  }
  const t = q0 - 0.5;
  const t2 = t * t;
  return (
    ((((((a[0] * t2 + a[1]) * t2 + a[2]) * t2 + a[3]) * t2 + a[4]) * t2 + a[5]) * t) /
    (((((b[0] * t2 + b[1]) * t2 + b[2]) * t2 + b[3]) * t2 + b[4]) * t2 + 1)
  );
}

let shared: Work | null = null;

/** The scratch for a series of n samples (grown to the next power of two when too small). */
function work(n: number): Work {
  if (shared === null || shared.cap < n) {
    let cap = 256;
    while (cap < n) cap *= 2;
    shared = new Work(cap);
  }
  return shared;
}
