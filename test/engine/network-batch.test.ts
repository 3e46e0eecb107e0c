// Network.accumulateBatch: n windows through the LSTM and head together give the gradients and
// losses of n accumulate() calls, for both heads and both cells, with windows that have nothing
// to learn.

import { describe, expect, it } from 'vitest';
import { Prng } from '../../worker/core';
import { Network, type NetworkOptions } from '../../worker/engine/network';

const base: NetworkOptions = {
  inputSize: 2,
  hiddenSize: 6,
  numLayers: 2,
  dropout: 0,
  window: 8,
  horizon: 3,
  strategy: 'direct',
  optimizer: 'adam',
  learningRate: 1e-3,
  seed: 5,
};

describe('Network.accumulateBatch', () => {
  for (const [cell, strategy] of [
    ['lstm', 'direct'],
    ['lstm', 'recursive'],
    ['gru', 'direct'],
    ['gru', 'recursive'],
  ] as const) {
    it(`${cell}, ${strategy}: the gradients and losses of one accumulate per window`, () => {
      const a = new Network({ ...base, strategy, cell, batch: 5 });
      const b = new Network({ ...base, strategy, cell, batch: 5 });
      expect(a.lstm.constructor.name).toBe(cell.toUpperCase());
      b.arena.data.set(a.arena.data);
      const prng = new Prng(2);
      const n = 5; // the kernels take 4 windows at a time, then 1
      const scale = 1 / n;
      const seqLosses: number[] = [];
      for (let w = 0; w < n; w++) {
        for (let i = 0; i < a.x.length; i++) a.x[i] = prng.normal();
        for (let i = 0; i < a.outputs; i++) {
          a.target[i] = prng.normal();
          a.weight[i] = w === 1 ? 0 : i % 3 === 2 ? 0 : 1; // window 1 has nothing to learn
        }
        a.stage(w);
        b.xb.set(a.xb.subarray(w * a.x.length, (w + 1) * a.x.length), w * a.x.length);
        b.targets.set(a.targets.subarray(w * a.outputs, (w + 1) * a.outputs), w * a.outputs);
        b.weights.set(a.weights.subarray(w * a.outputs, (w + 1) * a.outputs), w * a.outputs);
        seqLosses.push(a.accumulate(scale));
      }
      const learnt = b.accumulateBatch(n, scale);
      expect(learnt).toBe(4);
      expect(Number.isNaN(seqLosses[1]) && Number.isNaN(b.losses[1])).toBe(true);
      for (const w of [0, 2, 3, 4]) expect(b.losses[w]).toBeCloseTo(seqLosses[w], 6);
      let worst = 0;
      let norm = 0;
      for (let i = 0; i < a.arena.size; i++) {
        worst = Math.max(worst, Math.abs(a.arena.grad[i] - b.arena.grad[i]));
        norm = Math.max(norm, Math.abs(a.arena.grad[i]));
      }
      expect(norm).toBeGreaterThan(1e-3);
      expect(worst, `max |grad difference| ${worst} (max |grad| ${norm})`).toBeLessThan(1e-6);
      // and it forecasts (a recursive head rolls the cell forward step by step)
      const out = new Float64Array(base.horizon);
      a.predict(out, (_k, p, row) => {
        row[0] = p;
        row[1] = 0;
      });
      expect(out.every((v) => Number.isFinite(v))).toBe(true);
      expect(new Set(out).size).toBeGreaterThan(1);
    });
  }

  it('uses the first n slots only, up to the batch it was built for', () => {
    const net = new Network({ ...base, batch: 6 });
    expect(net.batch).toBe(6);
    expect(net.xb.length).toBe(6 * base.window * base.inputSize);
    net.weights.fill(1);
    expect(net.accumulateBatch(6, 1 / 6)).toBe(6);
    expect(net.step()).toBe('ok');
  });
});
