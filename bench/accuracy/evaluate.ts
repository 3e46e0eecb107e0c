// Prequential (test-then-train) evaluation: one pass over a series; after the burn-in, at every
// time step the method forecasts the next h values, and then sees the next value. The
// forecasts are recorded and scored afterwards, all methods on the same forecast origins.

import type { Method } from './methods';

export interface Recording {
  method: string;
  /** Origins t = burnIn-1 .. n-2: the forecast made after seeing y[0..t]. */
  origins: number;
  h: number;
  /** origins x h, row-major; NaN where the method gave no interval. */
  mean: Float64Array;
  lower: Float64Array;
  upper: Float64Array;
  ready: Uint8Array;
  /** What method.inspect() said at each origin (NaN without it). */
  inspected: Float64Array;
  /** Wall time of all push() and forecast() calls, in ms (the burn-in's pushes included). */
  ms: number;
  note: string;
}

/** Runs `method` over y: pushes y[0..burnIn), then forecasts and pushes one value at a time. */
export function runPrequential(
  method: Method,
  y: Float64Array,
  burnIn: number,
  h: number,
  progress?: (done: number) => void,
): Recording {
  const origins = y.length - burnIn;
  const rec: Recording = {
    method: method.name,
    origins,
    h,
    mean: new Float64Array(origins * h).fill(NaN),
    lower: new Float64Array(origins * h).fill(NaN),
    upper: new Float64Array(origins * h).fill(NaN),
    ready: new Uint8Array(origins),
    inspected: new Float64Array(origins).fill(NaN),
    ms: 0,
    note: '',
  };
  const t0 = performance.now();
  for (let i = 0; i < burnIn; i++) method.push(y[i]);
  let ms = performance.now() - t0;
  for (let o = 0; o < origins; o++) {
    const t = burnIn - 1 + o; // y[0..t] seen
    const s = performance.now();
    const fc = method.forecast();
    ms += performance.now() - s;
    rec.ready[o] = fc.ready ? 1 : 0;
    if (method.inspect) rec.inspected[o] = method.inspect();
    for (let k = 0; k < h; k++) {
      rec.mean[o * h + k] = fc.mean[k];
      if (fc.lower && fc.upper) {
        rec.lower[o * h + k] = fc.lower[k];
        rec.upper[o * h + k] = fc.upper[k];
      }
    }
    if (t + 1 < y.length) {
      const p = performance.now();
      method.push(y[t + 1]);
      ms += performance.now() - p;
    }
    if (progress && o % 100 === 0) progress(o);
  }
  rec.ms = ms;
  rec.note = method.note();
  return rec;
}

export interface Score {
  /** MASE at each horizon step 1..h (NaN where no forecast could be scored). */
  maseK: Float64Array;
  mase1: number;
  /** Mean of maseK over the steps that could be scored. */
  maseAvg: number;
  /** Share of (origin, step) pairs whose value fell inside [lower, upper]; NaN without intervals. */
  coverage: number;
  coverage1: number;
  /** Scored (origin, step) pairs, and those at step 1. */
  pairs: number;
  pairs1: number;
  /** Per horizon step: pairs with an interval, and those whose value fell inside it. */
  withK: Float64Array;
  insideK: Float64Array;
}

/** A recording made elsewhere (the Python peer): forecasts only, no intervals, always ready. */
export function recordingOf(
  method: string,
  mean: Float64Array,
  origins: number,
  h: number,
  ms: number,
  note: string,
): Recording {
  if (mean.length !== origins * h) {
    throw new Error(`${method}: ${mean.length} forecasts, expected ${origins} x ${h}`);
  }
  return {
    method,
    origins,
    h,
    mean,
    lower: new Float64Array(origins * h).fill(NaN),
    upper: new Float64Array(origins * h).fill(NaN),
    ready: new Uint8Array(origins).fill(1),
    inspected: new Float64Array(origins).fill(NaN),
    ms,
    note,
  };
}

/**
 * The in-sample mean absolute error of the one-step naive forecast over y[0..burnIn): the MASE
 * scale (Hyndman and Koehler 2006), computed on the burn-in only so that it uses no future data.
 */
export function maseScale(y: Float64Array, burnIn: number): number {
  let s = 0;
  for (let i = 1; i < burnIn; i++) s += Math.abs(y[i] - y[i - 1]);
  return s / (burnIn - 1);
}

/**
 * Scores a recording against y on the origins where `mask` is 1 (our forecaster was ready);
 * step k of origin t is scored against y[t+k] if that is in the series.
 */
export function score(
  rec: Recording,
  y: Float64Array,
  burnIn: number,
  scale: number,
  mask: Uint8Array,
): Score {
  const h = rec.h;
  const absSum = new Float64Array(h);
  const count = new Float64Array(h);
  const inside = new Float64Array(h);
  const withInterval = new Float64Array(h);
  for (let o = 0; o < rec.origins; o++) {
    if (!mask[o]) continue;
    const t = burnIn - 1 + o;
    for (let k = 1; k <= h && t + k < y.length; k++) {
      const i = o * h + k - 1;
      const v = y[t + k];
      absSum[k - 1] += Math.abs(rec.mean[i] - v);
      count[k - 1]++;
      const lo = rec.lower[i];
      const hi = rec.upper[i];
      if (!Number.isNaN(lo) && !Number.isNaN(hi)) {
        withInterval[k - 1]++;
        if (v >= lo && v <= hi) inside[k - 1]++;
      }
    }
  }
  const maseK = new Float64Array(h);
  let sum = 0;
  let steps = 0;
  let pairs = 0;
  let ins = 0;
  let wi = 0;
  for (let k = 0; k < h; k++) {
    maseK[k] = count[k] > 0 ? absSum[k] / count[k] / scale : NaN;
    if (count[k] > 0) {
      sum += maseK[k];
      steps++;
    }
    pairs += count[k];
    ins += inside[k];
    wi += withInterval[k];
  }
  return {
    maseK,
    mase1: maseK[0],
    maseAvg: steps > 0 ? sum / steps : NaN,
    coverage: wi > 0 ? ins / wi : NaN,
    coverage1: withInterval[0] > 0 ? inside[0] / withInterval[0] : NaN,
    pairs,
    pairs1: count[0],
    withK: withInterval,
    insideK: inside,
  };
}

/**
 * MASE values below this count as this in ratios and geometric means: a baseline that is exact
 * on a series (the seasonal naive forecast of a clean sine) would otherwise make them infinite.
 */
export const MASE_FLOOR = 1e-3;

const floored = (x: number): number => Math.max(x, MASE_FLOOR);

/** a / b with both floored at MASE_FLOOR. */
export function ratio(a: number, b: number): number {
  return floored(a) / floored(b);
}

/** The geometric mean of MASE values floored at MASE_FLOOR (NaN if any is not finite). */
export function geomean(xs: readonly number[]): number {
  if (xs.length === 0 || !xs.every(Number.isFinite)) return NaN;
  return Math.exp(xs.reduce((a, x) => a + Math.log(floored(x)), 0) / xs.length);
}
