// One variant at one shape, measured in a dedicated worker (as the element trains: off the main
// thread) so that each variant has a V8 isolate of its own, as each has a process in Node. The
// page is not cross-origin isolated, so performance.now() is coarse (0.1 ms): the forecast is
// timed by rate.

import { jsKernels, simdKernels } from '../../worker/core/kernels';
import { oursModel } from '../ours-model';
import { measureStep } from '../step';
import type { KernelsRequest, KernelsResult } from './protocol';

/** Where Vite's dev server serves the TF.js wasm backend's .wasm files from node_modules. */
const TFJS_WASM_DIST = '/node_modules/@tensorflow/tfjs-backend-wasm/dist/';

async function run({ impl, hidden, layers, timing }: KernelsRequest): Promise<KernelsResult> {
  if (impl === 'tfjs-wasm') {
    const tf = await import('@tensorflow/tfjs');
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const { tfjsModel } = await import('../tfjs-model');
    wasm.setWasmPaths(new URL(TFJS_WASM_DIST, self.location.href).href);
    if (!(await tf.setBackend('wasm'))) throw new Error("tf.setBackend('wasm') failed");
    await tf.ready();
    const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
    const threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
    const m = measureStep(tfjsModel(hidden, layers), timing, 'by-rate');
    const ran = `tfjs ${tf.version.tfjs} ${tf.getBackend()}, simd ${simd}, threads ${threads}`;
    return { impl, hidden, layers, ran, ...m };
  }
  const kernels = impl === 'ours-simd' ? simdKernels(64 << 20) : jsKernels;
  if (!kernels) throw new Error('no WebAssembly SIMD in this worker');
  const model = oursModel('float32', hidden, layers, kernels);
  const m = measureStep(model, timing, 'by-rate');
  const ran = kernels.misses === 0 ? kernels.name : `js (${kernels.misses} arrays missed)`;
  return { impl, hidden, layers, ran, ...m };
}

self.onmessage = (e: MessageEvent<KernelsRequest>) => {
  run(e.data).then(
    (result) => self.postMessage({ result }),
    (err: unknown) =>
      self.postMessage({ error: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
  );
};
