// What the LSTM promises beyond matching PyTorch's numbers: initialisation, determinism,
// dropout only in training, stepping that agrees with the sequence forward, and refusing bad
// input with errors that say what was expected and what was found, leaving the model untouched.

import { describe, expect, it } from 'vitest';
import { CoreError, Linear, LSTM, Prng } from '../../worker/core';
import { expectClose } from './compare';
import { lstmFixture } from './fixtures';

describe('initialisation', () => {
  it('is uniform in ±1/sqrt(hiddenSize), as PyTorch, and fixed by the seed', () => {
    const a = new LSTM({ inputSize: 3, hiddenSize: 16, numLayers: 2, seed: 7 });
    const b = new LSTM({ inputSize: 3, hiddenSize: 16, numLayers: 2, seed: 7 });
    const c = new LSTM({ inputSize: 3, hiddenSize: 16, numLayers: 2, seed: 8 });
    const k = 1 / Math.sqrt(16);
    const w = Array.from(a.arena.data);
    expect(Math.max(...w)).toBeLessThanOrEqual(k);
    expect(Math.min(...w)).toBeGreaterThanOrEqual(-k);
    expect(Math.max(...w)).toBeGreaterThan(0.95 * k); // spread over the whole range
    expect(Math.min(...w)).toBeLessThan(-0.95 * k);
    const mean = w.reduce((s, v) => s + v, 0) / w.length;
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(Array.from(b.arena.data)).toEqual(w);
    expect(Array.from(c.arena.data)).not.toEqual(w);
  });

  it("names and shapes parameters as PyTorch's state_dict", () => {
    const lstm = new LSTM({ inputSize: 3, hiddenSize: 5, numLayers: 2, bidirectional: true });
    const sd = lstm.stateDict();
    expect(Object.keys(sd)).toEqual([
      'weight_ih_l0',
      'weight_hh_l0',
      'bias_ih_l0',
      'bias_hh_l0',
      'weight_ih_l0_reverse',
      'weight_hh_l0_reverse',
      'bias_ih_l0_reverse',
      'bias_hh_l0_reverse',
      'weight_ih_l1',
      'weight_hh_l1',
      'bias_ih_l1',
      'bias_hh_l1',
      'weight_ih_l1_reverse',
      'weight_hh_l1_reverse',
      'bias_ih_l1_reverse',
      'bias_hh_l1_reverse',
    ]);
    expect(lstm.paramShape('weight_ih_l0')).toEqual([20, 3]);
    expect(lstm.paramShape('weight_ih_l1')).toEqual([20, 10]);
    expect(lstm.paramShape('weight_hh_l1_reverse')).toEqual([20, 5]);
    expect(lstm.paramShape('bias_hh_l0')).toEqual([20]);
    const lin = new Linear({ inFeatures: 5, outFeatures: 2 });
    expect(Object.keys(lin.stateDict())).toEqual(['weight', 'bias']);
  });

  it('round-trips a state dict exactly', () => {
    const a = new LSTM({ inputSize: 2, hiddenSize: 3, numLayers: 2, seed: 1 });
    const b = new LSTM({ inputSize: 2, hiddenSize: 3, numLayers: 2, seed: 2 });
    b.loadStateDict(a.stateDict());
    expect(Array.from(b.arena.data)).toEqual(Array.from(a.arena.data));
  });
});

describe('dropout', () => {
  const input = Array.from({ length: 5 }, (_, t) => [Math.sin(t), Math.cos(t)]);
  it('applies between layers in training only, and not after the last layer', () => {
    const lstm = new LSTM({ inputSize: 2, hiddenSize: 8, numLayers: 2, dropout: 0.5, seed: 3 });
    const ref = new LSTM({ inputSize: 2, hiddenSize: 8, numLayers: 2, dropout: 0, seed: 3 });
    const evalOut = lstm.eval().forward(input).output;
    expect(evalOut).toEqual(ref.forward(input).output);
    const trainA = lstm.train().forward(input).output;
    const trainB = lstm.forward(input).output;
    expect(trainA).not.toEqual(evalOut);
    expect(trainA).not.toEqual(trainB); // a fresh mask each forward
    const single = new LSTM({ inputSize: 2, hiddenSize: 8, numLayers: 1, dropout: 0.5, seed: 3 });
    const singleRef = new LSTM({ inputSize: 2, hiddenSize: 8, numLayers: 1, seed: 3 });
    expect(single.forward(input).output).toEqual(singleRef.forward(input).output);
  });

  it('is deterministic for a seed', () => {
    const a = new LSTM({ inputSize: 2, hiddenSize: 8, numLayers: 3, dropout: 0.2, seed: 4 });
    const b = new LSTM({ inputSize: 2, hiddenSize: 8, numLayers: 3, dropout: 0.2, seed: 4 });
    expect(a.forward(input).output).toEqual(b.forward(input).output);
  });
});

describe('stepForward', () => {
  it('advances a live state exactly as forwardSeq does over the same inputs', () => {
    const c = lstmFixture.cases.find((k) => k.name === 'l3_bias_uni_state');
    if (!c) throw new Error('fixture case missing');
    const lstm = new LSTM({ ...c.config, dtype: 'float64' });
    lstm.loadStateDict(c.stateDict);
    const L = c.config.numLayers;
    const H = c.config.hiddenSize;
    const h = Float64Array.from((c.h0 ?? []).flat());
    const cc = Float64Array.from((c.c0 ?? []).flat());
    const x = Float64Array.from(c.input.flat());
    const tops: number[][] = [];
    for (let t = 0; t < c.input.length; t++) {
      lstm.stepForward(x, t * c.config.inputSize, h, cc);
      tops.push(Array.from(h.subarray((L - 1) * H, L * H)));
    }
    expectClose(tops, c.output, 1e-10, 'stepped top-layer h vs torch output');
    expectClose(h, c.hn, 1e-10, 'stepped h_n');
    expectClose(cc, c.cn, 1e-10, 'stepped c_n');
  });

  it('refuses a bidirectional LSTM', () => {
    const lstm = new LSTM({ inputSize: 1, hiddenSize: 2, bidirectional: true });
    expect(() =>
      lstm.stepForward(new Float64Array(1), 0, new Float64Array(4), new Float64Array(4)),
    ).toThrow(/unidirectional/);
  });
});

describe('bad input is refused with a CoreError and leaves the model as it was', () => {
  const make = () => new LSTM({ inputSize: 3, hiddenSize: 5, numLayers: 2, seed: 1 });
  const expectRefused = (fn: () => void, code: string, message: RegExp) => {
    let caught: unknown;
    try {
      fn();
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(CoreError);
    expect((caught as CoreError).code).toBe(code);
    expect((caught as CoreError).message).toMatch(message);
  };

  it('a missing key, naming it and its shape', () => {
    const lstm = make();
    const before = Array.from(lstm.arena.data);
    const sd: Record<string, unknown> = make().stateDict();
    sd.weight_ih_l0 = (sd.weight_ih_l0 as number[][]).map((r) => r.map((v) => v + 1));
    delete sd.bias_hh_l1;
    expectRefused(() => lstm.loadStateDict(sd), 'missing-key', /"bias_hh_l1".*\[20\]/);
    expect(Array.from(lstm.arena.data)).toEqual(before);
  });

  it('an extra key', () => {
    const lstm = make();
    const before = Array.from(lstm.arena.data);
    const sd: Record<string, unknown> = { ...make().stateDict(), weight_ih_l2: [[1]] };
    expectRefused(() => lstm.loadStateDict(sd), 'unexpected-key', /"weight_ih_l2"/);
    expect(Array.from(lstm.arena.data)).toEqual(before);
  });

  it('a wrong shape, naming the key, the expected shape and what was found', () => {
    const lstm = make();
    const before = Array.from(lstm.arena.data);
    const sd: Record<string, unknown> = make().stateDict();
    sd.weight_hh_l1 = (sd.weight_hh_l1 as number[][]).map((r) => r.slice(0, 4));
    expectRefused(
      () => lstm.loadStateDict(sd),
      'bad-shape',
      /"weight_hh_l1".*\[20, 5\].*\[20, 4\]/,
    );
    sd.weight_hh_l1 = (sd.weight_hh_l1 as number[][]).slice(0, 19);
    expectRefused(() => lstm.loadStateDict(sd), 'bad-shape', /"weight_hh_l1".*\[20, 5\]/);
    expect(Array.from(lstm.arena.data)).toEqual(before);
  });

  it('a non-finite number or a non-number, naming where it is', () => {
    const lstm = make();
    const before = Array.from(lstm.arena.data);
    for (const bad of [NaN, Infinity, -Infinity]) {
      const sd = make().stateDict() as Record<string, number[] | number[][]>;
      (sd.weight_ih_l1 as number[][])[3][2] = bad;
      expectRefused(() => lstm.loadStateDict(sd), 'non-finite', /"weight_ih_l1"\[3\]\[2\]/);
    }
    const sd = make().stateDict() as Record<string, unknown>;
    (sd.bias_ih_l0 as unknown[])[0] = '0.5';
    expectRefused(() => lstm.loadStateDict(sd), 'bad-shape', /"bias_ih_l0"/);
    expectRefused(
      () => lstm.loadStateDict(null as unknown as Record<string, unknown>),
      'bad-shape',
      /object/,
    );
    expect(Array.from(lstm.arena.data)).toEqual(before);
  });

  it('wrong input and state shapes in forward and backward', () => {
    const lstm = make();
    expectRefused(() => lstm.forward([[1, 2]]), 'bad-shape', /input.*\[1, 3\].*\[1, 2\]/);
    expectRefused(() => lstm.forward([]), 'bad-shape', /seq >= 1/);
    expectRefused(() => lstm.forward([[1, 2, NaN]]), 'non-finite', /input\[0\]\[2\]/);
    expectRefused(
      () => lstm.forward([[1, 2, 3]], { h: [[0, 0, 0, 0, 0]], c: [[0, 0, 0, 0, 0]] }),
      'bad-shape',
      /state\.h.*\[2, 5\]/,
    );
    const fresh = make();
    expectRefused(
      () => fresh.backward({ output: [[0, 0, 0, 0, 0]] }),
      'bad-call',
      /before forward/,
    );
    lstm.forward([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expectRefused(
      () => lstm.backward({ output: [[0, 0, 0, 0, 0]] }),
      'bad-shape',
      /output.*\[2, 5\]/,
    );
  });

  it('bad options', () => {
    expectRefused(() => new LSTM({ inputSize: 0, hiddenSize: 5 }), 'bad-config', /inputSize/);
    expectRefused(() => new LSTM({ inputSize: 1, hiddenSize: 2.5 }), 'bad-config', /hiddenSize/);
    expectRefused(
      () => new LSTM({ inputSize: 1, hiddenSize: 2, dropout: 1 }),
      'bad-config',
      /dropout/,
    );
    expectRefused(
      () => new LSTM({ inputSize: 1, hiddenSize: 2, bidirectional: 'yes' as unknown as boolean }),
      'bad-config',
      /bidirectional/,
    );
  });
});

describe('Prng', () => {
  it('is deterministic and roughly uniform and normal', () => {
    const a = new Prng(42);
    const b = new Prng(42);
    const xs = Array.from({ length: 20000 }, () => a.next());
    expect(xs.slice(0, 5)).toEqual(Array.from({ length: 5 }, () => b.next()));
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    expect(Math.abs(xs.reduce((s, v) => s + v, 0) / xs.length - 0.5)).toBeLessThan(0.01);
    const zs = Array.from({ length: 20000 }, () => a.normal());
    const mean = zs.reduce((s, v) => s + v, 0) / zs.length;
    const variance = zs.reduce((s, v) => s + (v - mean) ** 2, 0) / zs.length;
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(variance - 1)).toBeLessThan(0.05);
  });
});
