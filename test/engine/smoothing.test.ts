// The smoothing filter: its recursion against a direct transcription of the equations, the
// fit's error against the filter's own forecasts, and what the fit chooses on clear cases.

import { describe, expect, it } from 'vitest';
import { Prng } from '../../worker/core';
import { fitSmoother, multiHorizonError, Smoother } from '../../worker/engine/smoothing';

function seasonal(n: number, m: number, seed: number, trend = 0, noise = 0.3): Float64Array {
  const r = new Prng(seed);
  return Float64Array.from(
    { length: n },
    (_, i) => 50 + trend * i + 5 * Math.sin((2 * Math.PI * i) / m) + noise * r.normal(),
  );
}

describe('Smoother', () => {
  it('follows the error-correction equations step by step', () => {
    const y = seasonal(60, 6, 1, 0.1);
    const p = { alpha: 0.3, beta: 0.05, gamma: 0.2, phi: 0.9, log: false, m: 6 };
    const f = new Smoother(64);
    f.p = { ...p };
    f.replay((i) => y[i], 0, y.length);
    // the same start as replay's (level and indices from the first two seasons), then by hand
    const m = 6;
    let a = 0;
    let c = 0;
    for (let j = 0; j < m; j++) {
      a += y[j] / m;
      c += y[m + j] / m;
    }
    let b = (c - a) / m;
    let l = a + b * ((m - 1) / 2);
    const s = Array.from({ length: m }, (_, j) => y[j] - a - b * (j - (m - 1) / 2));
    for (let i = m; i < y.length; i++) {
      const e = y[i] - (l + p.phi * b + s[i % m]);
      l = l + p.phi * b + p.alpha * e;
      b = p.phi * b + p.beta * e;
      s[i % m] += p.gamma * e;
    }
    const t = y.length - 1;
    for (let k = 1; k <= 8; k++) {
      let damp = 0;
      for (let j = 1; j <= k; j++) damp += Math.pow(p.phi, j);
      const want = l + damp * b + s[(t + k) % m];
      expect(Math.abs(f.forecast(t, k) - want), `step ${k}`).toBeLessThan(1e-9);
    }
  });

  it("the fit's error is the mean over horizons of the filter's own forecast errors", () => {
    const y = seasonal(200, 12, 2, 0.05);
    const h = 6;
    const p = { alpha: 0.2, beta: 0.01, gamma: 0.1, phi: 0.98, log: true, m: 12 };
    const got = multiHorizonError(y, y.map(Math.log), h, p, new Float64Array(12));
    const f = new Smoother(256);
    f.p = { ...p };
    let sum = 0;
    let n = 0;
    const scoreFrom = Math.max(12, Math.min(24, Math.floor(200 / 3)));
    // replayed once; the forecast from any past t comes from the states kept for t
    f.replay((i) => y[i], 0, y.length);
    for (let t = 12; t < y.length - 1; t++) {
      if (t < scoreFrom - 1) continue;
      for (let k = 1; k <= h && t + k < y.length; k++) {
        sum += Math.abs(y[t + k] - Math.exp(f.forecast(t, k)));
        n++;
      }
    }
    expect(Math.abs(got - sum / n) / got).toBeLessThan(1e-9);
  });

  it('the fit finds the season among the candidates, and a log scale for a growing swing', () => {
    const r = new Prng(4);
    // multiplicative: the swing grows with the level
    const y = Float64Array.from(
      { length: 240 },
      (_, i) =>
        (100 + 2 * i) * (1 + 0.2 * Math.sin((2 * Math.PI * i) / 12)) * (1 + 0.01 * r.normal()),
    );
    const fit = fitSmoother((i) => y[i], 0, y.length, 12, [12], {
      alpha: 0.3,
      beta: 0.01,
      gamma: 0.1,
      phi: 0.98,
      log: false,
      m: 0,
    });
    expect(fit.params.m).toBe(12);
    expect(fit.params.log).toBe(true);
    // and on white noise, no trend and a small alpha: the mean is the forecast
    const w = Float64Array.from({ length: 300 }, () => 5 + r.normal());
    const fw = fitSmoother((i) => w[i], 0, w.length, 12, [], fit.params);
    expect(fw.params.m).toBe(0);
    expect(fw.params.alpha).toBeLessThanOrEqual(0.1);
  });

  it('restores its state exactly', () => {
    const y = seasonal(100, 10, 5);
    const f = new Smoother(128);
    f.p = { alpha: 0.3, beta: 0.01, gamma: 0.1, phi: 0.98, log: false, m: 10 };
    f.replay((i) => y[i], 0, 100);
    const g = new Smoother(128);
    expect(g.setState(f.state())).toBeNull();
    expect(g.forecast(99, 5)).toBe(f.forecast(99, 5));
    expect(g.setState(new Float64Array(3))).toMatch(/Float64Array/);
  });
});
