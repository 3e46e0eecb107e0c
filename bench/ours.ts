// Child process: our training step and forecast, one dtype and one configuration per process
// so that V8's inline caches see one typed-array kind only.
//
//   tsx bench/ours.ts --dtype float32 --hidden 32 --layers 1 [--kernels js|simd]
//     [--runs 7 --min-time 0.3 ...]
//   [--no-forecast] [--profile-seconds S: only run steps for S seconds, for bench/profile.ts]

import { Adam, clipGradNorm, Linear, LSTM, mseLoss, ParamArena } from '../worker/core';
import { jsKernels, simdKernels } from '../worker/core/kernels';
import type { DType } from '../worker/core';
import {
  emit,
  HORIZON,
  LR,
  makeSeries,
  MAX_NORM,
  measureLatency,
  measureRate,
  numArg,
  parseArgs,
  runMain,
  SERIES_LENGTH,
  strArg,
  timingFromArgs,
  W,
  Windows,
} from './common';

runMain(() => {
  const args = parseArgs(process.argv.slice(2));
  const dtype = strArg(args, 'dtype', 'float32');
  if (dtype !== 'float32' && dtype !== 'float64') throw new Error(`bad --dtype ${dtype}`);
  const H = numArg(args, 'hidden');
  const L = numArg(args, 'layers');
  const timing = timingFromArgs(args);

  const kernelsArg = strArg(args, 'kernels', 'js');
  if (kernelsArg !== 'js' && kernelsArg !== 'simd') throw new Error(`bad --kernels ${kernelsArg}`);
  const kernels = kernelsArg === 'simd' ? simdKernels(64 << 20) : jsKernels;
  if (!kernels) throw new Error('--kernels simd: no WebAssembly SIMD here');
  const arena = new ParamArena(dtype as DType, kernels);
  const allocFloats = (dt: DType, n: number) => kernels.alloc(dt, n);
  const lstm = new LSTM(
    { inputSize: 1, hiddenSize: H, numLayers: L, seed: 1 },
    { arena, prefix: 'lstm.' },
  );
  const head = new Linear({ inFeatures: H, outFeatures: 1, seed: 2 }, { arena, prefix: 'head.' });
  const opt = new Adam(arena, { lr: LR });
  const x = allocFloats(arena.dtype, W);
  const target = allocFloats(arena.dtype, W);
  const dpred = allocFloats(arena.dtype, W);
  const series = makeSeries(SERIES_LENGTH);
  const windows = new Windows(series);

  let loss = 0;
  const step = (): void => {
    windows.next(x, target);
    arena.zeroGrad();
    lstm.forwardSeq(x, W, null, null, true);
    head.forwardSeq(lstm.output, W);
    loss = mseLoss(head.output, target, W, dpred);
    head.backwardSeq(dpred, W);
    lstm.backwardSeq(head.dinput, W);
    clipGradNorm(arena, MAX_NORM);
    opt.step();
  };

  if (args['profile-seconds'] !== undefined) {
    // Steps only, untimed, for `node --cpu-prof` (bench/profile.ts).
    const seconds = numArg(args, 'profile-seconds');
    const t0 = performance.now();
    let n = 0;
    while (performance.now() - t0 < seconds * 1000) {
      for (let i = 0; i < 10; i++) step();
      n += 10;
    }
    const s = (performance.now() - t0) / 1000;
    emit({
      impl: `ours-${dtype}${kernelsArg === 'simd' ? '-simd' : ''}`,
      steps: n,
      seconds: s,
      stepsPerSec: n / s,
      loss,
    });
    return;
  }

  const firstLoss = (step(), loss);
  const rate = measureRate(step, timing);
  const lastLoss = loss;

  let forecast = null;
  if (args['no-forecast'] === undefined) {
    // A warm state: the live state after stepping through the last window from zeros.
    const h0 = allocFloats(arena.dtype, L * H);
    const c0 = allocFloats(arena.dtype, L * H);
    const y = allocFloats(arena.dtype, 1);
    for (let i = 0; i < W; i++) {
      y[0] = series[100 + i];
      lstm.stepForward(y, 0, h0, c0);
    }
    const last = series[100 + W - 1];
    const h = allocFloats(arena.dtype, L * H);
    const c = allocFloats(arena.dtype, L * H);
    const out = allocFloats(arena.dtype, HORIZON);
    const top = (L - 1) * H;
    const forecastOnce = (): void => {
      h.set(h0);
      c.set(c0);
      let v = last;
      for (let k = 0; k < HORIZON; k++) {
        y[0] = v;
        lstm.stepForward(y, 0, h, c);
        head.forwardRow(y, 0, h, top);
        v = y[0];
        out[k] = v;
      }
    };
    forecast = measureLatency(forecastOnce, timing.forecastTime);
  }

  emit({
    impl: `ours-${dtype}${kernelsArg === 'simd' ? '-simd' : ''}`,
    hidden: H,
    layers: L,
    params: arena.size,
    stepsPerSec: rate.perSec,
    runs: rate.runs,
    firstLoss,
    lastLoss,
    forecast,
    misses: kernels.misses,
  });
});
