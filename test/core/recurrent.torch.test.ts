// LSTM (batched, batch_first, proj_size) and GRU against torch.nn.LSTM and torch.nn.GRU
// (fixtures from scripts/torch-reference.py, recurrent.json).

import { describe, expect, it } from 'vitest';
import { GRU, LSTM, ParamArena } from '../../worker/core';
import { simdKernels, type Kernels } from '../../worker/core/kernels';
import { expectClose } from './compare';
import { recurrentFixture, type RecurrentCase } from './fixtures';

// float64 end to end, as the fixtures: only summation order differs from PyTorch.
const TOL64 = 1e-10;
// float32 storage rounds every stored value; errors grow with the sequence length.
const TOL32 = 1e-4;

const cases = recurrentFixture.cases;

/** The WebAssembly SIMD kernels (worker/core/kernels.ts), which Node 20 and later run. */
function simd(): Kernels {
  const k = simdKernels(32 << 20);
  if (!k) throw new Error('no WebAssembly SIMD in this Node');
  return k;
}

function check(
  c: RecurrentCase,
  dtype: 'float32' | 'float64',
  tol: number,
  kernels?: Kernels,
): void {
  // with kernels, every array of the hot path is theirs (the convenience layer's input and
  // upstream gradients are not: the products reading those run on the JS kernels)
  const slot = kernels ? { arena: new ParamArena(dtype, kernels) } : {};
  if (c.kind === 'lstm') {
    const lstm = new LSTM({ ...c.config, seed: 1, dtype }, slot);
    expect(Object.keys(lstm.stateDict())).toEqual(Object.keys(c.stateDict));
    lstm.loadStateDict(c.stateDict);
    const state = c.h0 && c.c0 ? { h: c.h0, c: c.c0 } : undefined;
    const out = lstm.forward(c.input, state);
    expectClose(out.output, c.output, tol, `${c.name} output`);
    expectClose(out.h, c.hn, tol, `${c.name} h_n`);
    expectClose(out.c, c.cn ?? [], tol, `${c.name} c_n`);
    const g = lstm.backward({ output: c.dOutput, h: c.dHn, c: c.dCn });
    expectClose(g.input, c.grads.input, tol, `${c.name} d input`);
    expectClose(g.h0, c.grads.h0, tol, `${c.name} d h0`);
    expectClose(g.c0, c.grads.c0 ?? [], tol, `${c.name} d c0`);
    expect(Object.keys(g.params)).toEqual(Object.keys(c.grads.params));
    for (const [name, grad] of Object.entries(c.grads.params))
      expectClose(g.params[name], grad, tol, `${c.name} d ${name}`);
  } else {
    const gru = new GRU({ ...c.config, seed: 1, dtype }, slot);
    expect(Object.keys(gru.stateDict())).toEqual(Object.keys(c.stateDict));
    gru.loadStateDict(c.stateDict);
    const out = gru.forward(c.input, c.h0 ?? undefined);
    expectClose(out.output, c.output, tol, `${c.name} output`);
    expectClose(out.h, c.hn, tol, `${c.name} h_n`);
    const g = gru.backward({ output: c.dOutput, h: c.dHn });
    expectClose(g.input, c.grads.input, tol, `${c.name} d input`);
    expectClose(g.h0, c.grads.h0, tol, `${c.name} d h0`);
    expect(Object.keys(g.params)).toEqual(Object.keys(c.grads.params));
    for (const [name, grad] of Object.entries(c.grads.params))
      expectClose(g.params[name], grad, tol, `${c.name} d ${name}`);
  }
  if (kernels) expect(kernels.misses, 'arrays outside the kernels memory').toBe(0);
}

describe(`LSTM and GRU in batched shapes match PyTorch (torch ${recurrentFixture.torch})`, () => {
  it('covers N = 1 and 3, unbatched, batch_first, states or none, bidirectional, projections, 1-3 layers, 200 steps', () => {
    for (const kind of ['lstm', 'gru'] as const) {
      const k = cases.filter((c) => c.kind === kind);
      expect(k.some((c) => c.batch === 1)).toBe(true);
      expect(k.some((c) => c.batch === 3)).toBe(true);
      expect(k.some((c) => c.batch === null)).toBe(true);
      expect(k.some((c) => c.config.batchFirst)).toBe(true);
      expect(k.some((c) => c.h0 === null) && k.some((c) => c.h0 !== null)).toBe(true);
      expect(k.some((c) => c.config.bidirectional)).toBe(true);
      expect(k.some((c) => !c.config.bias)).toBe(true);
      for (const L of [1, 2, 3]) expect(k.some((c) => c.config.numLayers === L)).toBe(true);
      const longest = Math.max(
        ...k.map((c) =>
          c.batch !== null && c.config.batchFirst ? c.input[0].length : c.input.length,
        ),
      );
      expect(longest).toBeGreaterThanOrEqual(200);
    }
    expect(
      cases.some(
        (c) => c.kind === 'lstm' && (c.config.projSize ?? 0) > 0 && c.config.bidirectional,
      ),
    ).toBe(true);
    expect(
      cases.some((c) => c.kind === 'lstm' && (c.config.projSize ?? 0) > 0 && c.batch === null),
    ).toBe(true);
  });

  for (const c of cases) {
    it(`${c.name}: forward, h_n${c.kind === 'lstm' ? ', c_n' : ''} and every gradient (float64, tol ${TOL64})`, () =>
      check(c, 'float64', TOL64));
  }
  for (const c of cases.filter((c) => JSON.stringify(c.input).length < 4000)) {
    it(`${c.name}: float32 storage (tol ${TOL32})`, () => check(c, 'float32', TOL32));
  }
  // The same on the WebAssembly SIMD kernels: f64x2 lanes keep the float64 tolerance (only the
  // summation order differs), f32x4 lanes sum in float32 where the JS kernels sum in float64.
  for (const c of cases) {
    it(`${c.name}: on the SIMD kernels, float64 (tol ${TOL64})`, () =>
      check(c, 'float64', TOL64, simd()));
  }
  for (const c of cases.filter((c) => JSON.stringify(c.input).length < 4000)) {
    it(`${c.name}: on the SIMD kernels, float32 storage (tol ${TOL32})`, () =>
      check(c, 'float32', TOL32, simd()));
  }
});
