// Child process: the same training step and forecast in TensorFlow.js (bench/tfjs-model.ts),
// one backend per process.
//
//   tsx bench/tfjs-step.ts --backend cpu|wasm --hidden 32 --layers 1 [--runs 7 ...]
//
// The wasm backend runs single-threaded here: Node gives it no SharedArrayBuffer threads, which
// its WASM_HAS_MULTITHREAD_SUPPORT flag reports.

import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { emit, numArg, parseArgs, runMain, strArg, timingFromArgs } from './common';
import { measureStep } from './step';
import { tfjsModel } from './tfjs-model';

runMain(async () => {
  const args = parseArgs(process.argv.slice(2));
  const backend = strArg(args, 'backend', 'cpu');
  const H = numArg(args, 'hidden');
  const L = numArg(args, 'layers');
  const timing = timingFromArgs(args);

  if (backend === 'wasm') {
    // In Node the wasm backend loads its .wasm from the prefix given to setWasmPaths: the
    // package's dist/ directory as a path ending in a separator (a file:// URL works too).
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const require = createRequire(import.meta.url);
    const dist = path.join(
      path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')),
      'dist',
    );
    wasm.setWasmPaths(dist + path.sep);
  } else if (backend !== 'cpu') {
    throw new Error(`bad --backend ${backend}`);
  }
  if (!(await tf.setBackend(backend))) throw new Error(`tf.setBackend('${backend}') failed`);
  await tf.ready();
  if (tf.getBackend() !== backend) throw new Error(`backend is ${tf.getBackend()}, not ${backend}`);
  const flags = {
    simd: backend === 'wasm' ? await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT') : null,
    threads: backend === 'wasm' ? await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT') : null,
  };

  const m = measureStep(tfjsModel(H, L), timing);
  emit({ impl: `tfjs-${backend}`, hidden: H, layers: L, tfjs: tf.version.tfjs, flags, ...m });
});
