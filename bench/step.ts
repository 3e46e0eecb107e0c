// The benchmark's training step and forecast, as models that run anywhere (Node and the
// browser: no Node imports here), and the measurement every runner makes of them. Ours in
// bench/ours-model.ts, TensorFlow.js in bench/tfjs-model.ts; the Node children (bench/ours.ts,
// bench/tfjs-step.ts) and the browser page (bench/kernels-browser/page.ts) measure the same.

import { measureLatency, measureRate, median, quantile, type Latency, type Timing } from './common';

export interface StepModel {
  /** One training step on the next window; returns its loss. */
  step(): number;
  /** One 50-step autoregressive forecast from a warm state. */
  forecastOnce(): void;
  /** Live tensors (TF.js), to check that a step or a forecast leaks none. */
  tensors?(): number;
}

export interface StepMeasure {
  stepsPerSec: number;
  runs: number[];
  firstLoss: number;
  lastLoss: number;
  forecast: Latency | null;
  /** Live tensors while the steps were timed (TF.js only). */
  numTensors?: number;
}

/**
 * Two untimed steps (Adam makes its moments on the first), then measureRate over the steps and,
 * with `forecast`, measureLatency over the forecast; or with 'by-rate' (where the clock is
 * coarse: a page that is not cross-origin isolated reads performance.now() to 0.1 ms) the
 * forecast's mean time from measureRate, as median and p90 over its runs. Throws if a step or a
 * forecast leaks tensors.
 */
export function measureStep(
  model: StepModel,
  timing: Timing,
  forecast: boolean | 'by-rate' = true,
): StepMeasure {
  const firstLoss = model.step();
  let lastLoss = model.step();
  const before = model.tensors?.();
  const rate = measureRate(() => (lastLoss = model.step()), timing);
  const after = model.tensors?.();
  if (after !== before) {
    throw new Error(`tensor leak in the step: ${before} tensors before, ${after} after`);
  }
  const forecastOnce = () => model.forecastOnce();
  let fc: Latency | null = null;
  if (forecast === 'by-rate') {
    const runs = Math.max(3, timing.runs);
    const t = { runs, minTime: timing.forecastTime / runs, warmup: timing.forecastTime / 4 };
    const ms = measureRate(forecastOnce, t).runs.map((perSec) => 1000 / perSec);
    fc = { medianMs: median(ms), p90Ms: quantile(ms, 0.9), samples: ms.length };
  } else if (forecast) {
    fc = measureLatency(forecastOnce, timing.forecastTime);
  }
  if (model.tensors?.() !== after) throw new Error('tensor leak in the forecast');
  return {
    stepsPerSec: rate.perSec,
    runs: rate.runs,
    firstLoss,
    lastLoss,
    forecast: fc,
    ...(after === undefined ? {} : { numTensors: after }),
  };
}
