// The WebAssembly SIMD kernels in Chromium (worker/core/kernels.ts): chosen by the engine, and an
// LSTM and a GRU on them step for step with the same models on the JS kernels.

import { describe, expect, it } from 'vitest';
import { GRU, LSTM, ParamArena, Prng, type Floats } from '../../worker/core';
import { jsKernels, simdKernels, type Kernels } from '../../worker/core/kernels';
import { Forecaster } from '../../worker/engine';

describe('the SIMD kernels in the browser', () => {
  it('a Forecaster chooses them', () => {
    expect(new Forecaster({ seed: 1 }).stats().kernels).toBe('wasm-simd');
    expect(new Forecaster({ seed: 1, kernels: 'js' }).stats().kernels).toBe('js');
  });

  for (const dtype of ['float64', 'float32'] as const) {
    for (const kind of ['lstm', 'gru'] as const) {
      it(`${kind}, ${dtype}: outputs and gradients as on the JS kernels`, () => {
        const k = simdKernels(8 << 20);
        expect(k?.name).toBe('wasm-simd');
        const simd = k as Kernels;
        const opts = { inputSize: 3, hiddenSize: 10, numLayers: 2, seed: 2, dtype };
        const make = (kern: Kernels | undefined) => {
          const arena = new ParamArena(dtype, kern);
          return kind === 'lstm' ? new LSTM(opts, { arena }) : new GRU(opts, { arena });
        };
        const models = [make(undefined), make(simd)];
        const prng = new Prng(4);
        const [T, B] = [6, 5];
        const x0 = jsKernels.alloc(dtype, T * B * 3);
        for (let i = 0; i < x0.length; i++) x0[i] = prng.uniform(-1, 1);
        const x1 = simd.alloc(dtype, x0.length);
        x1.set(x0);
        const dy = jsKernels.alloc(dtype, T * B * 10).fill(0.1);
        models.forEach((m, i) => {
          const x: Floats = i === 0 ? x0 : x1;
          if (m instanceof LSTM) m.forwardBatch(x, T, B, null, null, true, false);
          else m.forwardBatch(x, T, B, null, true, false);
          if (m instanceof LSTM) m.backwardBatch(dy, T, B, null, null);
          else m.backwardBatch(dy, T, B, null);
        });
        const [a, b] = models;
        let worst = 0;
        for (let i = 0; i < T * B * 10; i++)
          worst = Math.max(worst, Math.abs(a.output[i] - b.output[i]));
        for (let i = 0; i < a.arena.size; i++)
          worst = Math.max(worst, Math.abs(a.arena.grad[i] - b.arena.grad[i]));
        expect(worst).toBeLessThan(dtype === 'float64' ? 1e-12 : 1e-4);
        expect(simd.misses).toBe(0);
      });
    }
  }
});
