import { buildKernels } from '../../scripts/wasm/build-kernels';

/**
 * Vitest globalSetup of every project: generates worker/core/kernels-wasm.gen.js (the SIMD
 * kernels' bytes, not committed) from scripts/wasm/kernels-wat.ts before any test imports it.
 */
export default async function setup(): Promise<void> {
  await buildKernels();
}
