// Optimisers, clipping and one whole training step against torch.optim and clip_grad_norm_.

import { describe, expect, it } from 'vitest';
import {
  Adam,
  AdamW,
  clipGradNorm,
  Linear,
  LSTM,
  mseLoss,
  ParamArena,
  SGD,
  type Optimizer,
} from '../../worker/core';
import { expectClose } from './compare';
import { optimFixture, trainStepFixture, type OptimCase } from './fixtures';

const TOL = 1e-12; // float64; PyTorch's own re-derivation differs by ~1e-15

function arenaOf(params: Record<string, number[] | number[][]>): ParamArena {
  const arena = new ParamArena('float64');
  for (const [name, value] of Object.entries(params)) {
    const shape = Array.isArray(value[0])
      ? [value.length, (value[0] as number[]).length]
      : [value.length];
    const off = arena.add(name, shape);
    arena.data.set(value.flat(), off);
  }
  return arena;
}

function valuesOf(arena: ParamArena, from: Float32Array | Float64Array, name: string): number[] {
  const e = arena.entry(name);
  return Array.from(from.subarray(e.offset, e.offset + e.size));
}

function optimizerFor(c: OptimCase, arena: ParamArena): Optimizer {
  const o = c.options;
  if (c.optimizer === 'sgd') return new SGD(arena, o);
  const opts = { lr: o.lr, betas: o.betas, eps: o.eps, weightDecay: o.weightDecay };
  return c.optimizer === 'adamw' ? new AdamW(arena, opts) : new Adam(arena, opts);
}

describe('optimisers match torch.optim over 20 steps', () => {
  for (const c of optimFixture.cases) {
    it(`${c.name} (tol ${TOL})`, () => {
      const arena = arenaOf(c.params);
      const opt = optimizerFor(c, arena);
      c.grads.forEach((grads, step) => {
        for (const [name, g] of Object.entries(grads))
          arena.grad.set(g.flat(), arena.entry(name).offset);
        opt.step();
        for (const [name, want] of Object.entries(c.trajectory[step])) {
          expectClose(
            valuesOf(arena, arena.data, name),
            want.flat(),
            TOL,
            `${c.name} step ${step + 1} ${name}`,
          );
        }
      });
      expect(opt.t).toBe(20);
    });
  }
});

describe('clipGradNorm matches torch.nn.utils.clip_grad_norm_', () => {
  for (const c of optimFixture.clipCases) {
    it(`${c.name} (max norm ${c.maxNorm})`, () => {
      const arena = arenaOf(c.grads);
      arena.grad.set(arena.data);
      const norm = clipGradNorm(arena, c.maxNorm);
      expectClose([norm], [c.totalNorm], TOL, `${c.name} total norm`);
      for (const [name, want] of Object.entries(c.clipped)) {
        expectClose(valuesOf(arena, arena.grad, name), want.flat(), TOL, `${c.name} ${name}`);
      }
    });
  }

  it('leaves gradients untouched when their norm is not finite, and returns it', () => {
    const arena = arenaOf({ a: [1, NaN, 3] });
    arena.grad.set([1, NaN, 3]);
    expect(clipGradNorm(arena, 1)).toBeNaN();
    expect(arena.grad[0]).toBe(1);
    expect(arena.grad[2]).toBe(3);
  });
});

describe("the streaming forecaster's training step matches PyTorch end to end", () => {
  it('LSTM(1, 8) + Linear(8, 1), window 32, sequence MSE, clip 1.0, Adam 1e-3, 5 steps', () => {
    const f = trainStepFixture;
    const W = f.window;
    const arena = new ParamArena('float64');
    const lstm = new LSTM({ inputSize: 1, hiddenSize: 8, seed: 1 }, { arena, prefix: 'lstm.' });
    const head = new Linear({ inFeatures: 8, outFeatures: 1, seed: 2 }, { arena, prefix: 'head.' });
    const opt = new Adam(arena, { lr: 1e-3 });
    const strip = (sd: Record<string, number[] | number[][]>, p: string) =>
      Object.fromEntries(
        Object.entries(sd)
          .filter(([k]) => k.startsWith(p))
          .map(([k, v]) => [k.slice(p.length), v]),
      );
    lstm.loadStateDict(strip(f.stateDict, 'lstm.'));
    head.loadStateDict(strip(f.stateDict, 'head.'));
    const x = new Float64Array(W);
    const target = new Float64Array(W);
    const dpred = new Float64Array(W);
    f.steps.forEach((want, s) => {
      for (let i = 0; i < W; i++) {
        x[i] = f.series[s + i];
        target[i] = f.series[s + i + 1];
      }
      arena.zeroGrad();
      lstm.forwardSeq(x, W, null, null, true);
      head.forwardSeq(lstm.output, W);
      const loss = mseLoss(head.output, target, W, dpred);
      head.backwardSeq(dpred, W);
      lstm.backwardSeq(head.dinput, W);
      const norm = clipGradNorm(arena, 1.0);
      opt.step();
      expectClose([loss], [want.loss], 1e-12, `step ${s} loss`);
      expectClose([norm], [want.totalNorm], 1e-12, `step ${s} grad norm`);
      for (const [name, value] of Object.entries(want.stateDict)) {
        expectClose(valuesOf(arena, arena.data, name), value.flat(), 1e-12, `step ${s} ${name}`);
      }
    });
  });
});
