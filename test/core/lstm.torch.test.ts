// LSTM forward and backward against torch.nn.LSTM (fixtures from scripts/torch-reference.py).

import { describe, expect, it } from 'vitest';
import { LSTM } from '../../worker/core';
import { expectClose } from './compare';
import { lstmFixture } from './fixtures';

// float64 end to end, as the fixtures: only summation order differs from PyTorch.
const TOL64 = 1e-10;
// float32 storage rounds every stored value; errors grow with the sequence length.
const TOL32 = 1e-4;

describe(`LSTM matches torch.nn.LSTM (torch ${lstmFixture.torch})`, () => {
  it('covers 1 to 3 layers, bias on and off, bidirectional, with and without state, 200 steps', () => {
    const cs = lstmFixture.cases;
    for (const L of [1, 2, 3]) expect(cs.some((c) => c.config.numLayers === L)).toBe(true);
    expect(cs.some((c) => !c.config.bias)).toBe(true);
    expect(cs.some((c) => c.config.bidirectional && c.h0 === null)).toBe(true);
    expect(cs.some((c) => c.config.bidirectional && c.h0 !== null)).toBe(true);
    expect(cs.some((c) => c.input.length >= 200)).toBe(true);
  });

  for (const c of lstmFixture.cases) {
    it(`${c.name}: forward, h_n, c_n and every gradient (float64, tol ${TOL64})`, () => {
      const lstm = new LSTM({ ...c.config, dropout: 0, seed: 1, dtype: 'float64' });
      expect(Object.keys(lstm.stateDict())).toEqual(Object.keys(c.stateDict));
      lstm.loadStateDict(c.stateDict);
      const state = c.h0 && c.c0 ? { h: c.h0, c: c.c0 } : undefined;
      const out = lstm.forward(c.input, state);
      expectClose(out.output, c.output, TOL64, `${c.name} output`);
      expectClose(out.h, c.hn, TOL64, `${c.name} h_n`);
      expectClose(out.c, c.cn, TOL64, `${c.name} c_n`);

      const g = lstm.backward({ output: c.dOutput, h: c.dHn, c: c.dCn });
      expectClose(g.input, c.grads.input, TOL64, `${c.name} d input`);
      if (c.grads.h0) expectClose(g.h0, c.grads.h0, TOL64, `${c.name} d h0`);
      if (c.grads.c0) expectClose(g.c0, c.grads.c0, TOL64, `${c.name} d c0`);
      expect(Object.keys(g.params)).toEqual(Object.keys(c.grads.params));
      for (const [name, grad] of Object.entries(c.grads.params)) {
        expectClose(g.params[name], grad, TOL64, `${c.name} d ${name}`);
      }
    });
  }

  for (const c of lstmFixture.cases.filter((c) => c.input.length < 50)) {
    it(`${c.name}: float32 storage (tol ${TOL32})`, () => {
      const lstm = new LSTM({ ...c.config, seed: 1, dtype: 'float32' });
      lstm.loadStateDict(c.stateDict);
      const out = lstm.forward(c.input, c.h0 && c.c0 ? { h: c.h0, c: c.c0 } : undefined);
      expectClose(out.output, c.output, TOL32, `${c.name} output`);
      const g = lstm.backward({ output: c.dOutput, h: c.dHn, c: c.dCn });
      expectClose(g.input, c.grads.input, TOL32, `${c.name} d input`);
      for (const [name, grad] of Object.entries(c.grads.params)) {
        expectClose(g.params[name], grad, TOL32, `${c.name} d ${name}`);
      }
    });
  }
});
