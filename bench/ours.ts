// Child process: our training step and forecast (bench/ours-model.ts), one dtype and one
// configuration per process so that V8's inline caches see one typed-array kind only.
//
//   tsx bench/ours.ts --dtype float32 --hidden 32 --layers 1 [--kernels js|simd] [--cell lstm|gru]
//     [--runs 7 --min-time 0.3 ...]
//   [--no-forecast] [--profile-seconds S: only run steps for S seconds, for bench/profile.ts]

import { jsKernels, simdKernels } from '../worker/core/kernels';
import { emit, numArg, parseArgs, runMain, strArg, timingFromArgs } from './common';
import { oursModel } from './ours-model';
import { measureStep } from './step';

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
  const cell = strArg(args, 'cell', 'lstm');
  if (cell !== 'lstm' && cell !== 'gru') throw new Error(`bad --cell ${cell}`);
  const model = oursModel(dtype, H, L, kernels, cell);
  const impl = `ours-${cell === 'gru' ? 'gru-' : ''}${dtype}${kernelsArg === 'simd' ? '-simd' : ''}`;

  if (args['profile-seconds'] !== undefined) {
    // Steps only, untimed, for `node --cpu-prof` (bench/profile.ts).
    const seconds = numArg(args, 'profile-seconds');
    const t0 = performance.now();
    let n = 0;
    let loss = 0;
    while (performance.now() - t0 < seconds * 1000) {
      for (let i = 0; i < 10; i++) loss = model.step();
      n += 10;
    }
    const s = (performance.now() - t0) / 1000;
    emit({ impl, steps: n, seconds: s, stepsPerSec: n / s, loss });
    return;
  }

  const m = measureStep(model, timing, args['no-forecast'] === undefined);
  emit({
    impl,
    hidden: H,
    layers: L,
    params: model.params,
    ...m,
    misses: kernels.misses,
  });
});
