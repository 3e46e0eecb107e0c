// Snapshots (a restored forecaster continues bit-identically), PyTorch state dicts, and the
// divergence guard.

import { describe, expect, it } from 'vitest';
import { Prng } from '../../worker/core';
import { Forecaster, SNAPSHOT_VERSION, type ForecasterOptions } from '../../worker/engine';
import { Network } from '../../worker/engine/network';
import { lstmFixture } from '../core/fixtures';

const SMALL: ForecasterOptions = { hiddenSize: 8, window: 16, horizon: 6, seed: 1, dropout: 0 };

function series(n: number, seed = 1): number[] {
  const r = new Prng(seed);
  let v = 0;
  return Array.from({ length: n }, (_, i) => (v += 0.1 * r.normal()) + Math.sin(i / 3));
}

describe('snapshot and restore', () => {
  for (const options of [
    SMALL,
    { ...SMALL, numLayers: 2, dropout: 0.2, strategy: 'recursive' as const },
  ]) {
    it(`a restored forecaster continues bit-identically (${options.strategy ?? 'direct'}, dropout ${options.dropout})`, () => {
      const ys = series(500);
      const a = new Forecaster(options);
      const b = new Forecaster(options);
      a.push(
        ys.slice(0, 300),
        ys.slice(0, 300).map((_, i) => 10 * i),
      );
      b.push(
        ys.slice(0, 300),
        ys.slice(0, 300).map((_, i) => 10 * i),
      );
      const snap = structuredClone(b.snapshot()); // as it would cross to a worker or IndexedDB
      const c = Forecaster.restore(snap);
      expect(c.forecast()).toEqual(b.forecast());
      for (let i = 300; i < 500; i++) {
        a.push(ys[i], 10 * i);
        c.push(ys[i], 10 * i);
      }
      expect(c.forecast()).toEqual(a.forecast());
      // everything but the wall-clock training rate
      expect({ ...c.stats(), stepsPerSecond: 0 }).toEqual({ ...a.stats(), stepsPerSecond: 0 });
      expect(c.exportStateDict()).toEqual(a.exportStateDict());
    });
  }

  it('refuses a snapshot of another version, another shape, or a damaged one', () => {
    const f = new Forecaster(SMALL);
    f.push(series(100));
    const snap = f.snapshot();
    expect(() => Forecaster.restore({ ...snap, version: SNAPSHOT_VERSION + 1 })).toThrow(
      expect.objectContaining({ code: 'bad-snapshot', message: expect.stringMatching(/version/) }),
    );
    expect(() => Forecaster.restore({ ...snap, params: new Float32Array(3) })).toThrow(
      /params should be Float32Array/,
    );
    const other = new Forecaster({ ...SMALL, hiddenSize: 9 }).snapshot();
    expect(() => Forecaster.restore({ ...other, params: snap.params })).toThrow(
      expect.objectContaining({ code: 'bad-snapshot' }),
    );
    // a version-2 snapshot had no one-step filter
    expect(() => Forecaster.restore({ ...snap, smoother1: undefined as never })).toThrow(
      /smoother1: should be Float64Array/,
    );
    const poisoned = { ...snap, params: snap.params.slice() };
    poisoned.params[5] = NaN;
    expect(() => Forecaster.restore(poisoned)).toThrow(/params\[5\] is NaN/);
    expect(() => Forecaster.restore(null as never)).toThrow(
      expect.objectContaining({ code: 'bad-snapshot' }),
    );
  });
});

describe('PyTorch state dicts', () => {
  it('export then import into another forecaster gives the same weights and forecast', () => {
    const a = new Forecaster(SMALL);
    a.push(series(200));
    const sd = JSON.parse(JSON.stringify(a.exportStateDict())) as Record<string, number[][]>;
    expect(Object.keys(sd)).toEqual([
      'lstm.weight_ih_l0',
      'lstm.weight_hh_l0',
      'lstm.bias_ih_l0',
      'lstm.bias_hh_l0',
      'head.weight',
      'head.bias',
    ]);
    expect([sd['lstm.weight_ih_l0'].length, sd['lstm.weight_ih_l0'][0].length]).toEqual([32, 1]);
    expect([sd['head.weight'].length, sd['head.weight'][0].length]).toEqual([6, 8]);
    const b = new Forecaster({ ...SMALL, seed: 99 });
    b.importStateDict(sd);
    expect(b.exportStateDict()).toEqual(a.exportStateDict());
  });

  it('loads an LSTM trained in PyTorch (the reference fixture) with a head, and fine-tunes it', () => {
    const c = lstmFixture.cases.find((k) => k.name === 'long_t200_i2_h8_l2_bias_uni_state');
    if (!c) throw new Error('fixture missing');
    // the fixture's LSTM takes 2 inputs: the target's channel and one more feature
    const f = new Forecaster({
      hiddenSize: 8,
      numLayers: 2,
      window: 16,
      horizon: 4,
      seed: 1,
      features: 2,
    });
    const sd: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(c.stateDict)) sd[`lstm.${k}`] = v;
    sd['head.weight'] = Array.from({ length: 4 }, () => new Array(8).fill(0.01));
    sd['head.bias'] = [0, 0, 0, 0];
    f.importStateDict(sd);
    const got = f.exportStateDict();
    for (const [k, v] of Object.entries(c.stateDict)) {
      const back = (got[`lstm.${k}`] as number[] | number[][]).flat();
      const want = (v as number[] | number[][]).flat();
      back.forEach((x, i) => expect(Math.abs(x - want[i])).toBeLessThan(1e-6)); // float32 storage
    }
    f.push(Float64Array.from(series(100).flatMap((v, i) => [v, Math.cos(i / 7)])));
    expect(f.stats().trainSteps).toBeGreaterThan(0);
    expect(f.exportStateDict()['lstm.weight_hh_l1']).not.toEqual(got['lstm.weight_hh_l1']);
  });

  it('an imported model is servable at once: backtested on the buffer, then weighted', () => {
    // a non-linear cycle the filter alone cannot follow; A learns it, B only has the data
    const ys = Array.from(
      { length: 700 },
      (_, i) => Math.sign(Math.sin(i / 6)) + 0.05 * Math.sin(i),
    );
    const a = new Forecaster({ ...SMALL, budget: { stepsPerSample: 1 } });
    a.push(ys);
    const b = new Forecaster({ ...SMALL, budget: { stepsPerSample: 0 } });
    b.push(ys);
    const hybridWeight = (f: Forecaster) => {
      const internal = f as unknown as {
        sel: { weights(c: Float64Array): Float64Array };
        cand: Float64Array;
      };
      return internal.sel.weights(internal.cand).slice(3 * 6, 4 * 6);
    };
    expect(Array.from(hybridWeight(b)).every((w) => w === 0)).toBe(true); // never trained: not served
    b.importStateDict(a.exportStateDict());
    const w = hybridWeight(b);
    expect(Math.max(...w), 'the imported hybrid carries weight at once').toBeGreaterThan(0);
    expect(b.stats().trainSteps).toBe(1); // counted as a model; no training happened
  }, 60_000);

  it('refuses a state dict that does not fit, and keeps its weights', () => {
    const f = new Forecaster(SMALL);
    const before = f.exportStateDict();
    const sd = { ...before, 'head.weight': [[1, 2]] };
    expect(() => f.importStateDict(sd)).toThrow(
      expect.objectContaining({
        code: 'bad-state-dict',
        message: expect.stringMatching(/head\.weight|"weight"/),
      }),
    );
    expect(() => f.importStateDict({ ...before, extra: [1] })).toThrow(/unexpected key "extra"/);
    const nan = { ...before, 'lstm.bias_ih_l0': new Array(32).fill(NaN) };
    expect(() => f.importStateDict(nan)).toThrow(
      expect.objectContaining({ code: 'bad-state-dict' }),
    );
    expect(f.exportStateDict()).toEqual(before);
  });
});

describe('divergence guard', () => {
  const make = (learningRate: number) =>
    new Network({
      inputSize: 2,
      hiddenSize: 4,
      numLayers: 1,
      dropout: 0,
      window: 8,
      horizon: 3,
      strategy: 'direct',
      optimizer: 'adam',
      learningRate,
      seed: 1,
    });

  it('a non-finite gradient never reaches the weights: the step is skipped', () => {
    const net = make(1e-3);
    const before = Float32Array.from(net.arena.data);
    net.arena.grad[3] = NaN;
    expect(net.step()).toBe('skipped');
    expect(Array.from(net.arena.data)).toEqual(Array.from(before));
    expect(net.divergences).toBe(1);
    expect(net.arena.grad.every((g) => g === 0)).toBe(true);
  });

  it('non-finite weights after a step restore the last good state and halve the learning rate', () => {
    const net = make(1e39); // beyond float32: the update overflows to Infinity
    const before = Float32Array.from(net.arena.data);
    net.arena.grad.fill(0.5);
    expect(net.step()).toBe('restored');
    expect(Array.from(net.arena.data)).toEqual(Array.from(before));
    expect(net.opt.lr).toBe(5e38);
    expect(net.divergences).toBe(1);
  });
});
