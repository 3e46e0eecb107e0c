// Which kernels the engine runs: WebAssembly SIMD where it runs (Node 20 does), the JS ones when
// asked; every array of the hot path inside the kernels' memory over a range of shapes; and the
// same batched gradients either way.

import { describe, expect, it } from 'vitest';
import { Prng } from '../../worker/core';
import { ParamArena, LSTM, simdKernels } from '../../worker/core-entry';
import { Forecaster } from '../../worker/engine';
import { Network, type NetworkOptions } from '../../worker/engine/network';

const base: NetworkOptions = {
  inputSize: 1,
  hiddenSize: 32,
  numLayers: 1,
  dropout: 0,
  window: 32,
  horizon: 12,
  strategy: 'direct',
  optimizer: 'adam',
  learningRate: 1e-3,
  seed: 5,
};

describe('the engine chooses its kernels', () => {
  it("a Forecaster runs on WebAssembly SIMD in Node, on JS with kernels: 'js'", () => {
    expect(new Forecaster({ seed: 1 }).stats().kernels).toBe('wasm-simd');
    expect(new Forecaster({ seed: 1, kernels: 'js' }).stats().kernels).toBe('js');
    expect(() => new Forecaster({ kernels: 'gpu' as 'js' })).toThrow(/kernels/);
  });

  it('lstm-forecast/core gives them to a model of its own', () => {
    const kernels = simdKernels(1 << 20);
    expect(kernels?.name).toBe('wasm-simd');
    const lstm = new LSTM(
      { inputSize: 2, hiddenSize: 8 },
      { arena: new ParamArena('float32', kernels!) },
    );
    expect(lstm.arena.data.buffer).toBe(kernels!.alloc('float32', 1).buffer);
    lstm.forwardSeq(kernels!.alloc('float32', 6), 3, null, null);
    expect(Number.isFinite(lstm.output[0])).toBe(true);
    expect(kernels!.misses).toBe(0);
  });

  for (const o of [
    {},
    { hiddenSize: 8, window: 16, batch: 1 },
    { hiddenSize: 128, numLayers: 2, window: 96, batch: 8 },
    { hiddenSize: 64, numLayers: 3, inputSize: 4, cell: 'gru' as const, dropout: 0.2 },
    { hiddenSize: 30, window: 200, horizon: 48, strategy: 'recursive' as const, batch: 4 },
  ]) {
    it(`every array of the hot path is in the kernels' memory: ${JSON.stringify(o)}`, () => {
      const net = new Network({ ...base, ...o });
      expect(net.kernels.name).toBe('wasm-simd');
      expect(net.kernels.misses).toBe(0);
      // a batched step and a forecast touch every cache; none may be allocated later
      const B = net.batch;
      const prng = new Prng(1);
      for (let b = 0; b < B; b++) {
        for (let i = 0; i < net.x.length; i++) net.x[i] = prng.normal();
        net.target.fill(0.5);
        net.weight.fill(1);
        net.stage(b);
      }
      net.accumulateBatch(B);
      expect(net.step()).toBe('ok');
      net.predict(new Float64Array(base.horizon), (_k, p, row) => row.fill(p));
      expect(net.kernels.misses).toBe(0);
    });
  }

  for (const cell of ['lstm', 'gru'] as const) {
    it(`${cell}: the batched gradients on SIMD are those on JS (float32 sums)`, () => {
      const opts = { ...base, cell, numLayers: 2, hiddenSize: 12, inputSize: 2, window: 9 };
      const a = new Network({ ...opts, kernels: 'js' });
      const b = new Network(opts);
      expect([a.kernels.name, b.kernels.name]).toEqual(['js', 'wasm-simd']);
      b.arena.data.set(a.arena.data);
      const prng = new Prng(3);
      for (let w = 0; w < 4; w++) {
        for (let i = 0; i < a.x.length; i++) a.x[i] = prng.normal();
        for (let i = 0; i < a.outputs; i++) {
          a.target[i] = prng.normal();
          a.weight[i] = 1;
        }
        a.stage(w);
      }
      b.xb.set(a.xb);
      b.targets.set(a.targets);
      b.weights.set(a.weights);
      a.accumulateBatch(4);
      b.accumulateBatch(4);
      let worst = 0;
      let norm = 0;
      for (let i = 0; i < a.arena.size; i++) {
        worst = Math.max(worst, Math.abs(a.arena.grad[i] - b.arena.grad[i]));
        norm = Math.max(norm, Math.abs(a.arena.grad[i]));
      }
      expect(norm).toBeGreaterThan(1e-3);
      expect(worst / norm, `gradients differ by ${worst} (largest ${norm})`).toBeLessThan(1e-5);
      for (let w = 0; w < 4; w++) expect(b.losses[w]).toBeCloseTo(a.losses[w], 5);
    });
  }
});
