// Finite-difference checks of every gradient the core computes, in float64: every parameter
// block of the LSTM (uni- and bidirectional, 1 to 3 layers, with and without bias, with
// dropout under a fixed mask), its input and initial state, the Linear head and the losses.

import { describe, expect, it } from 'vitest';
import {
  GRU,
  huberLoss,
  l1Loss,
  Linear,
  LSTM,
  mseLoss,
  ParamArena,
  Prng,
  type LSTMOptions,
} from '../../worker/core';
import { simdKernels } from '../../worker/core/kernels';

const EPS = 1e-6; // central differences: truncation error ~EPS^2, rounding ~1e-16/EPS
const TOL = 1e-7; // absolute, on gradients of order 1

function randn(prng: Prng, n: number): Float64Array {
  return Float64Array.from({ length: n }, () => prng.normal());
}

/** Max |numeric - analytic| over the entries of `x`, perturbing each in place. */
function checkAgainstFD(f: () => number, x: Float64Array, analytic: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    x[i] = v + EPS;
    const up = f();
    x[i] = v - EPS;
    const down = f();
    x[i] = v;
    worst = Math.max(worst, Math.abs((up - down) / (2 * EPS) - analytic[i]));
  }
  return worst;
}

const configs: (LSTMOptions & { label: string })[] = [
  { label: '1 layer', inputSize: 3, hiddenSize: 4 },
  { label: '2 layers, no bias', inputSize: 2, hiddenSize: 3, numLayers: 2, bias: false },
  { label: '3 layers', inputSize: 2, hiddenSize: 3, numLayers: 3 },
  {
    label: 'bidirectional, 2 layers',
    inputSize: 3,
    hiddenSize: 4,
    numLayers: 2,
    bidirectional: true,
  },
  { label: 'dropout 0.3, 2 layers', inputSize: 2, hiddenSize: 4, numLayers: 2, dropout: 0.3 },
  {
    label: 'dropout 0.5, bidirectional',
    inputSize: 2,
    hiddenSize: 3,
    numLayers: 2,
    bidirectional: true,
    dropout: 0.5,
  },
];

describe('LSTM gradients agree with finite differences (float64)', () => {
  for (const cfg of configs) {
    it(`${cfg.label}: every parameter block, the input, h0 and c0 (tol ${TOL})`, () => {
      const lstm = new LSTM({ ...cfg, seed: 11, dtype: 'float64' });
      const D = cfg.bidirectional ? 2 : 1;
      const L = cfg.numLayers ?? 1;
      const H = cfg.hiddenSize;
      const T = 6;
      const prng = new Prng(5);
      const x = randn(prng, T * cfg.inputSize);
      const h0 = randn(prng, D * L * H);
      const c0 = randn(prng, D * L * H);
      const dy = randn(prng, T * D * H);
      const dhn = randn(prng, D * L * H);
      const dcn = randn(prng, D * L * H);
      // loss = Σ output*dy + Σ h_n*dhn + Σ c_n*dcn, with the same dropout mask every time
      const loss = (): number => {
        lstm.reseed(99);
        lstm.forwardSeq(x, T, h0, c0, true);
        let s = 0;
        for (let i = 0; i < T * D * H; i++) s += lstm.output[i] * dy[i];
        for (let i = 0; i < D * L * H; i++) s += lstm.hn[i] * dhn[i] + lstm.cn[i] * dcn[i];
        return s;
      };
      const base = loss();
      lstm.arena.zeroGrad();
      lstm.backwardSeq(dy, T, dhn, dcn);
      const grad = Float64Array.from(lstm.arena.grad);
      const dx = Float64Array.from(lstm.dinput.subarray(0, T * cfg.inputSize));
      const dh0 = Float64Array.from(lstm.dh0);
      const dc0 = Float64Array.from(lstm.dc0);
      if (cfg.dropout) {
        // the mask matters: without dropout the loss is different
        lstm.forwardSeq(x, T, h0, c0, false);
        let s = 0;
        for (let i = 0; i < T * D * H; i++) s += lstm.output[i] * dy[i];
        for (let i = 0; i < D * L * H; i++) s += lstm.hn[i] * dhn[i] + lstm.cn[i] * dcn[i];
        expect(Math.abs(s - base)).toBeGreaterThan(1e-3);
      }
      const data = lstm.arena.data as Float64Array;
      for (const e of lstm.arena.entries) {
        const view = data.subarray(e.offset, e.offset + e.size);
        const worst = checkAgainstFD(loss, view, grad.subarray(e.offset, e.offset + e.size));
        expect(
          worst,
          `${e.name}: max |numeric - analytic| = ${worst.toExponential(2)}`,
        ).toBeLessThan(TOL);
      }
      for (const [name, v, g] of [
        ['input', x, dx],
        ['h0', h0, dh0],
        ['c0', c0, dc0],
      ] as const) {
        const worst = checkAgainstFD(loss, v, g);
        expect(worst, `${name}: max |numeric - analytic| = ${worst.toExponential(2)}`).toBeLessThan(
          TOL,
        );
      }
    });
  }
});

describe('Linear and loss gradients agree with finite differences', () => {
  it('Linear(5, 3): weight, bias and input', () => {
    const lin = new Linear({ inFeatures: 5, outFeatures: 3, seed: 2, dtype: 'float64' });
    const prng = new Prng(3);
    const N = 4;
    const x = randn(prng, N * 5);
    const dy = randn(prng, N * 3);
    const loss = (): number => {
      lin.forwardSeq(x, N);
      let s = 0;
      for (let i = 0; i < N * 3; i++) s += lin.output[i] * dy[i];
      return s;
    };
    loss();
    lin.arena.zeroGrad();
    lin.backwardSeq(dy, N);
    const grad = Float64Array.from(lin.arena.grad);
    const dx = Float64Array.from(lin.dinput.subarray(0, N * 5));
    expect(checkAgainstFD(loss, lin.arena.data as Float64Array, grad)).toBeLessThan(TOL);
    expect(checkAgainstFD(loss, x, dx)).toBeLessThan(TOL);
  });

  for (const [name, fn] of [
    ['mse', (p: Float64Array, t: Float64Array, d?: Float64Array) => mseLoss(p, t, p.length, d)],
    ['l1', (p: Float64Array, t: Float64Array, d?: Float64Array) => l1Loss(p, t, p.length, d)],
    [
      'huber',
      (p: Float64Array, t: Float64Array, d?: Float64Array) => huberLoss(p, t, p.length, d, 0.7),
    ],
  ] as const) {
    it(`${name} loss`, () => {
      const prng = new Prng(8);
      const pred = randn(prng, 10);
      const target = randn(prng, 10);
      const d = new Float64Array(10);
      fn(pred, target, d);
      expect(checkAgainstFD(() => fn(pred, target), pred, d)).toBeLessThan(TOL);
    });
  }

  it('LSTM + head in one arena: the combined model the engine trains', () => {
    const arena = new ParamArena('float64');
    const lstm = new LSTM(
      { inputSize: 1, hiddenSize: 4, numLayers: 2, seed: 1 },
      { arena, prefix: 'lstm.' },
    );
    const head = new Linear({ inFeatures: 4, outFeatures: 1, seed: 2 }, { arena, prefix: 'head.' });
    expect(arena.entries.map((e) => e.name)).toEqual([
      'lstm.weight_ih_l0',
      'lstm.weight_hh_l0',
      'lstm.bias_ih_l0',
      'lstm.bias_hh_l0',
      'lstm.weight_ih_l1',
      'lstm.weight_hh_l1',
      'lstm.bias_ih_l1',
      'lstm.bias_hh_l1',
      'head.weight',
      'head.bias',
    ]);
    const T = 8;
    const prng = new Prng(4);
    const x = randn(prng, T);
    const target = randn(prng, T);
    const dpred = new Float64Array(T);
    const loss = (): number => {
      lstm.forwardSeq(x, T, null, null, true);
      head.forwardSeq(lstm.output, T);
      return mseLoss(head.output, target, T, dpred);
    };
    loss();
    arena.zeroGrad();
    head.backwardSeq(dpred, T);
    lstm.backwardSeq(head.dinput, T);
    const grad = Float64Array.from(arena.grad);
    expect(checkAgainstFD(loss, arena.data as Float64Array, grad)).toBeLessThan(TOL);
  });
});

// The batched hot path, projections and the GRU: loss = Σ output*dy + Σ h_n*dhn (+ Σ c_n*dcn)
// over B sequences, with the same dropout mask every time.
interface BatchedCase {
  label: string;
  kind: 'lstm' | 'gru';
  opts: LSTMOptions;
  B: number;
  batchFirst: boolean;
}

const batchedCases: BatchedCase[] = [
  {
    label: 'LSTM projSize 2',
    kind: 'lstm',
    opts: { inputSize: 3, hiddenSize: 4, projSize: 2 },
    B: 1,
    batchFirst: false,
  },
  {
    label: 'LSTM projSize 2, bidirectional, 2 layers, B = 3, batch-first',
    kind: 'lstm',
    opts: { inputSize: 2, hiddenSize: 4, projSize: 2, numLayers: 2, bidirectional: true },
    B: 3,
    batchFirst: true,
  },
  {
    label: 'LSTM 2 layers, dropout 0.3, B = 3, time-major',
    kind: 'lstm',
    opts: { inputSize: 2, hiddenSize: 3, numLayers: 2, dropout: 0.3 },
    B: 3,
    batchFirst: false,
  },
  {
    label: 'GRU 1 layer',
    kind: 'gru',
    opts: { inputSize: 3, hiddenSize: 4 },
    B: 1,
    batchFirst: false,
  },
  {
    label: 'GRU 3 layers, no bias, B = 3',
    kind: 'gru',
    opts: { inputSize: 2, hiddenSize: 3, numLayers: 3, bias: false },
    B: 3,
    batchFirst: false,
  },
  {
    label: 'GRU bidirectional, 2 layers, dropout 0.5, B = 2, batch-first',
    kind: 'gru',
    opts: { inputSize: 2, hiddenSize: 3, numLayers: 2, bidirectional: true, dropout: 0.5 },
    B: 2,
    batchFirst: true,
  },
];

describe('batched, projected and GRU gradients agree with finite differences (float64)', () => {
  // on the JS kernels, and on the SIMD ones with every array in their memory (the input too)
  for (const [bc, on] of batchedCases.flatMap(
    (bc) =>
      [
        [bc, 'js'],
        [bc, 'simd'],
      ] as const,
  )) {
    it(`${bc.label}, ${on} kernels: every parameter block, the input and the initial state (tol ${TOL})`, () => {
      const kernels = on === 'simd' ? simdKernels(8 << 20) : undefined;
      if (on === 'simd') expect(kernels, 'WebAssembly SIMD in Node').toBeTruthy();
      const slot = kernels ? { arena: new ParamArena('float64', kernels) } : {};
      const inKernels = (v: Float64Array): Float64Array => {
        if (!kernels) return v;
        const out = kernels.alloc('float64', v.length) as Float64Array;
        out.set(v);
        return out;
      };
      const { opts, B, batchFirst } = bc;
      const D = opts.bidirectional ? 2 : 1;
      const L = opts.numLayers ?? 1;
      const H = opts.hiddenSize;
      const P = opts.projSize || H;
      const T = 5;
      const prng = new Prng(6);
      const x = inKernels(randn(prng, T * B * opts.inputSize));
      const h0 = randn(prng, D * L * B * P);
      const c0 = randn(prng, D * L * B * H);
      const dy = randn(prng, T * B * D * P);
      const dhn = randn(prng, D * L * B * P);
      const dcn = randn(prng, D * L * B * H);
      const lstm =
        bc.kind === 'lstm' ? new LSTM({ ...opts, seed: 12, dtype: 'float64' }, slot) : null;
      const { projSize: _p, ...gruOpts } = opts;
      const gru =
        bc.kind === 'gru' ? new GRU({ ...gruOpts, seed: 12, dtype: 'float64' }, slot) : null;
      const model = (lstm ?? gru)!;
      const loss = (): number => {
        model.reseed(99);
        if (lstm) lstm.forwardBatch(x, T, B, h0, c0, true, batchFirst);
        else gru!.forwardBatch(x, T, B, h0, true, batchFirst);
        let s = 0;
        for (let i = 0; i < T * B * D * P; i++) s += model.output[i] * dy[i];
        for (let i = 0; i < D * L * B * P; i++) s += model.hn[i] * dhn[i];
        if (lstm) for (let i = 0; i < D * L * B * H; i++) s += lstm.cn[i] * dcn[i];
        return s;
      };
      loss();
      model.arena.zeroGrad();
      if (lstm) lstm.backwardBatch(dy, T, B, dhn, dcn);
      else gru!.backwardBatch(dy, T, B, dhn);
      const grad = Float64Array.from(model.arena.grad);
      const dx = Float64Array.from(model.dinput.subarray(0, T * B * opts.inputSize));
      const dh0 = Float64Array.from(model.dh0.subarray(0, D * L * B * P));
      const dc0 = lstm ? Float64Array.from(lstm.dc0.subarray(0, D * L * B * H)) : null;
      const data = model.arena.data as Float64Array;
      for (const e of model.arena.entries) {
        const view = data.subarray(e.offset, e.offset + e.size);
        const worst = checkAgainstFD(loss, view, grad.subarray(e.offset, e.offset + e.size));
        expect(
          worst,
          `${e.name}: max |numeric - analytic| = ${worst.toExponential(2)}`,
        ).toBeLessThan(TOL);
      }
      const blocks: [string, Float64Array, Float64Array][] = [
        ['input', x, dx],
        ['h0', h0, dh0],
      ];
      if (dc0) blocks.push(['c0', c0, dc0]);
      for (const [name, v, g] of blocks) {
        const worst = checkAgainstFD(loss, v, g);
        expect(worst, `${name}: max |numeric - analytic| = ${worst.toExponential(2)}`).toBeLessThan(
          TOL,
        );
      }
      expect(kernels?.misses ?? 0, 'arrays outside the kernels memory').toBe(0);
    });
  }
});
