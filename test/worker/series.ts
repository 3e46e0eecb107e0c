// Deterministic test series and the small model the worker tests share.

import type { ForecasterOptions } from '../../worker/engine';

/** A small, fast model: the host's behaviour does not depend on the model's size. */
export const SMALL: ForecasterOptions = { hiddenSize: 8, window: 16, horizon: 4, seed: 1 };

/** Samples warmup needs before a training step can run (window + horizon, with margin). */
export const ENOUGH = 64;

/** n samples of a sine with a slower wave on top, from sample index `from`. */
export function wave(n: number, from = 0): Float64Array {
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t = from + i;
    v[i] = Math.sin(0.3 * t) + 0.3 * Math.sin(0.031 * t);
  }
  return v;
}

/** Times from..from+n-1. */
export function steps(n: number, from = 0): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => from + i);
}
