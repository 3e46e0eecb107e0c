// Linear and the losses against torch.nn.Linear and torch.nn.functional.

import { describe, expect, it } from 'vitest';
import { huberLoss, l1Loss, Linear, mseLoss } from '../../worker/core';
import { expectClose } from './compare';
import { linearFixture } from './fixtures';

const TOL = 1e-12; // float64, a handful of terms per entry

describe('Linear matches torch.nn.Linear', () => {
  for (const c of linearFixture.cases) {
    it(`${c.name}: forward and gradients (tol ${TOL})`, () => {
      const lin = new Linear({ ...c.config, dtype: 'float64' });
      expect(Object.keys(lin.stateDict())).toEqual(Object.keys(c.stateDict));
      lin.loadStateDict(c.stateDict);
      expectClose(lin.forward(c.input), c.output, TOL, `${c.name} output`);
      const g = lin.backward(c.dOutput);
      expectClose(g.input, c.grads.input, TOL, `${c.name} d input`);
      for (const [name, grad] of Object.entries(c.grads.params)) {
        expectClose(g.params[name], grad, TOL, `${c.name} d ${name}`);
      }
    });
  }
});

describe('losses match torch.nn.functional (reduction mean)', () => {
  for (const c of linearFixture.lossCases) {
    it(`${c.name}: value and gradient (tol ${TOL})`, () => {
      const n = c.pred.length;
      const grad = new Float64Array(n);
      const loss =
        c.kind === 'mse'
          ? mseLoss(c.pred, c.target, n, grad)
          : c.kind === 'l1'
            ? l1Loss(c.pred, c.target, n, grad)
            : huberLoss(c.pred, c.target, n, grad, c.delta);
      expectClose([loss], [c.loss], TOL, `${c.name} loss`);
      expectClose(grad, c.grad, TOL, `${c.name} grad`);
    });
  }
});
