// What the batched paths, projections and the GRU promise beyond matching PyTorch's numbers:
// a batch is B independent sequences, stepping agrees with the sequence forward, and bad
// shapes and options are refused with errors that say what was expected and what was found.

import { describe, expect, it } from 'vitest';
import { CoreError, GRU, LSTM, Prng, shapeOf } from '../../worker/core';
import { expectClose } from './compare';

const seq = (prng: Prng, T: number, I: number): number[][] =>
  Array.from({ length: T }, () => Array.from({ length: I }, () => prng.normal()));

function refused(fn: () => unknown, code: string, message: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(CoreError);
  expect((caught as CoreError).code).toBe(code);
  expect((caught as CoreError).message).toMatch(message);
}

describe('a batch is B independent sequences', () => {
  for (const kind of ['lstm', 'gru'] as const) {
    it(`${kind}: batched (time-major and batch-first) equals each sequence alone, forward and backward`, () => {
      const opts = { inputSize: 2, hiddenSize: 5, numLayers: 2, bidirectional: true, seed: 3 };
      const make = (batchFirst: boolean) =>
        kind === 'lstm'
          ? new LSTM({ ...opts, projSize: 3, batchFirst, dtype: 'float64' })
          : new GRU({ ...opts, batchFirst, dtype: 'float64' });
      const prng = new Prng(9);
      const B = 7; // the kernels take 4 sequences at a time, then 2, then 1
      const T = 4;
      const xs = Array.from({ length: B }, () => seq(prng, T, 2));
      const one = make(false);
      const P = one.outSize;
      const dys = Array.from({ length: B }, () => seq(prng, T, 2 * P));
      const alone = xs.map((x, b) => {
        const out = one.forward(x);
        const g = one.backward({ output: dys[b] });
        return { out, g };
      });
      const bf = make(true);
      const outBf = bf.forward(xs);
      const gBf = bf.backward({ output: dys });
      const tm = make(false);
      const xsT = Array.from({ length: T }, (_, t) => xs.map((x) => x[t]));
      const dysT = Array.from({ length: T }, (_, t) => dys.map((d) => d[t]));
      const outTm = tm.forward(xsT);
      const gTm = tm.backward({ output: dysT });
      for (let b = 0; b < B; b++) {
        expectClose(
          (outBf.output as number[][][])[b],
          alone[b].out.output,
          1e-12,
          `bf output ${b}`,
        );
        expectClose((gBf.input as number[][][])[b], alone[b].g.input, 1e-12, `bf d input ${b}`);
        expectClose(
          (outTm.output as number[][][]).map((r) => r[b]),
          alone[b].out.output,
          1e-12,
          `time-major output ${b}`,
        );
        expectClose(
          (outTm.h as number[][][]).map((r) => r[b]),
          alone[b].out.h,
          1e-12,
          `time-major h_n ${b}`,
        );
        expectClose(
          (gTm.h0 as number[][][]).map((r) => r[b]),
          alone[b].g.h0,
          1e-12,
          `d h0 ${b}`,
        );
      }
      // parameter gradients of a batch are the sums over its sequences
      for (const name of Object.keys(gBf.params)) {
        const sum = (alone[0].g.params[name] as number[] | number[][])
          .flat()
          .map((_, i) =>
            alone.reduce((s, a) => s + (a.g.params[name] as number[] | number[][]).flat()[i], 0),
          );
        expectClose((gBf.params[name] as number[] | number[][]).flat(), sum, 1e-12, `d ${name}`);
      }
    });
  }
});

describe('stepForward', () => {
  it('LSTM with projSize: advances a state exactly as forward does', () => {
    const lstm = new LSTM({ inputSize: 2, hiddenSize: 5, projSize: 3, numLayers: 2, seed: 4 });
    const x = seq(new Prng(1), 6, 2);
    const ref = lstm.eval().forward(x);
    const h = new Float64Array(2 * 3);
    const c = new Float64Array(2 * 5);
    const tops: number[][] = [];
    for (const row of x) {
      lstm.stepForward(Float64Array.from(row), 0, h, c);
      tops.push(Array.from(h.subarray(3, 6)));
    }
    expectClose(tops, ref.output, 1e-12, 'stepped top h');
    expectClose(h, ref.h, 1e-12, 'stepped h_n');
    expectClose(c, ref.c, 1e-12, 'stepped c_n');
  });

  it('GRU: advances a state exactly as forward does, and refuses a bidirectional GRU', () => {
    const gru = new GRU({ inputSize: 2, hiddenSize: 4, numLayers: 3, seed: 5 });
    const x = seq(new Prng(2), 6, 2);
    const ref = gru.eval().forward(x);
    const h = new Float64Array(3 * 4);
    const tops: number[][] = [];
    for (const row of x) {
      gru.stepForward(Float64Array.from(row), 0, h);
      tops.push(Array.from(h.subarray(8, 12)));
    }
    expectClose(tops, ref.output, 1e-12, 'stepped top h');
    expectClose(h, ref.h, 1e-12, 'stepped h_n');
    const bi = new GRU({ inputSize: 1, hiddenSize: 2, bidirectional: true });
    expect(() => bi.stepForward(new Float64Array(1), 0, new Float64Array(4))).toThrow(
      /unidirectional/,
    );
  });
});

describe('bad shapes and options are refused with a CoreError', () => {
  it('batched inputs and states of the wrong shape, naming what was expected', () => {
    const lstm = new LSTM({ inputSize: 3, hiddenSize: 5, numLayers: 2, projSize: 2 });
    refused(() => lstm.forward([[[1, 2]]]), 'bad-shape', /input.*\[1, 1, 3\].*\[1, 1, 2\]/);
    refused(() => lstm.forward([[[[1]]]]), 'bad-shape', /\[seq, batch, 3\]/);
    const x = [
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
    ]; // (T = 1, B = 2, 3)
    const zeros = (r: number, b: number, c: number) =>
      Array.from({ length: r }, () =>
        Array.from({ length: b }, () => new Array<number>(c).fill(0)),
      );
    refused(
      () => lstm.forward(x, { h: zeros(2, 2, 5), c: zeros(2, 2, 5) }),
      'bad-shape',
      /state\.h.*\[2, 2, 2\]/,
    );
    const ok = lstm.forward(x, { h: zeros(2, 2, 2), c: zeros(2, 2, 5) });
    expect(shapeOf(ok.h)).toEqual([2, 2, 2]);
    expect(shapeOf(ok.c)).toEqual([2, 2, 5]);
    expect(shapeOf(ok.output)).toEqual([1, 2, 2]);
    refused(() => lstm.backward({ output: [[[0, 0]]] }), 'bad-shape', /output.*\[1, 2, 2\]/);
    const gru = new GRU({ inputSize: 1, hiddenSize: 2, batchFirst: true });
    refused(() => gru.forward([[[1]], [[2, 3]]]), 'bad-shape', /input/);
    refused(() => gru.forward([[[1]]], [[0, 0]]), 'bad-shape', /h0.*\[1, 1, 2\]/);
  });

  it('bad options', () => {
    refused(
      () => new LSTM({ inputSize: 1, hiddenSize: 4, projSize: 4 }),
      'bad-config',
      /projSize.*smaller/,
    );
    refused(
      () => new LSTM({ inputSize: 1, hiddenSize: 4, projSize: -1 }),
      'bad-config',
      /projSize/,
    );
    refused(
      () => new LSTM({ inputSize: 1, hiddenSize: 4, projSize: 1.5 }),
      'bad-config',
      /projSize/,
    );
    refused(
      () => new LSTM({ inputSize: 1, hiddenSize: 4, batchFirst: 1 as unknown as boolean }),
      'bad-config',
      /batchFirst/,
    );
    refused(
      () =>
        new GRU({ inputSize: 1, hiddenSize: 4, projSize: 2 } as unknown as {
          inputSize: number;
          hiddenSize: number;
        }),
      'bad-config',
      /projSize/,
    );
    refused(() => new GRU({ inputSize: 1, hiddenSize: 0 }), 'bad-config', /GRU: hiddenSize/);
  });

  it('a GRU state dict has PyTorch names and shapes, and refuses an LSTM one', () => {
    const gru = new GRU({ inputSize: 3, hiddenSize: 5, numLayers: 2, bidirectional: true });
    expect(Object.keys(gru.stateDict()).slice(0, 5)).toEqual([
      'weight_ih_l0',
      'weight_hh_l0',
      'bias_ih_l0',
      'bias_hh_l0',
      'weight_ih_l0_reverse',
    ]);
    expect(gru.paramShape('weight_ih_l1')).toEqual([15, 10]);
    expect(gru.paramShape('weight_hh_l0')).toEqual([15, 5]);
    const lstm = new LSTM({ inputSize: 3, hiddenSize: 5, numLayers: 2, bidirectional: true });
    refused(() => gru.loadStateDict(lstm.stateDict()), 'bad-shape', /\[15, 3\].*\[20, 3\]/);
    const proj = new LSTM({ inputSize: 3, hiddenSize: 5, projSize: 2 });
    expect(Object.keys(proj.stateDict())).toEqual([
      'weight_ih_l0',
      'weight_hh_l0',
      'bias_ih_l0',
      'bias_hh_l0',
      'weight_hr_l0',
    ]);
    expect(proj.paramShape('weight_hh_l0')).toEqual([20, 2]);
    expect(proj.paramShape('weight_hr_l0')).toEqual([2, 5]);
  });
});
