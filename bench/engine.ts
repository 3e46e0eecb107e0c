// Child process: can a Forecaster with hidden 32 keep up with a live stream? Pushes a noisy
// seasonal sensor signal one sample at a time with the default budget (one optimiser step on
// the newest window and 3 replayed ones per sample, then a fresh forecast), and reports the
// samples per second it sustains.
//
//   tsx bench/engine.ts [--samples 3000] [--hidden 32] [--kernels auto|js]

import { Prng } from '../worker/core';
import { Forecaster } from '../worker/engine';
import { emit, numArg, parseArgs, runMain, strArg } from './common';

runMain(() => {
  const args = parseArgs(process.argv.slice(2));
  const n = numArg(args, 'samples', 3000);
  const hidden = numArg(args, 'hidden', 32);
  const r = new Prng(7);
  const ys = Array.from(
    { length: n },
    (_, i) => 20 + 5 * Math.sin((2 * Math.PI * i) / 96) + 0.5 * r.normal(),
  );
  const kernels = strArg(args, 'kernels', 'auto');
  if (kernels !== 'auto' && kernels !== 'js') throw new Error(`bad --kernels ${kernels}`);
  const f = new Forecaster({ hiddenSize: hidden, horizon: 12, seed: 1, kernels });
  const warm = 500; // past the warm-up, with the season found
  for (let i = 0; i < warm; i++) f.push(ys[i], i);
  const steps0 = f.stats().trainSteps;
  const t0 = performance.now();
  for (let i = warm; i < n; i++) f.push(ys[i], i);
  const seconds = (performance.now() - t0) / 1000;
  const s = f.stats();
  emit({
    hidden,
    samples: n - warm,
    samplesPerSecond: (n - warm) / seconds,
    stepsPerSample: (s.trainSteps - steps0) / (n - warm),
    skill: s.skill,
    kernels: s.kernels,
  });
});
