// Anomalies: rare on clean data, once per spike, once per level shift (then absorbed), with a
// stable id; the bar follows anomalyLevel.

import { describe, expect, it } from 'vitest';
import { Prng } from '../../worker/core';
import { Forecaster, type Anomaly } from '../../worker/engine';
import { normalQuantile } from '../../worker/engine/anomaly';

const FAST = { hiddenSize: 8, window: 16, horizon: 6, seed: 1 };

function feed(f: Forecaster, ys: ArrayLike<number>): Anomaly[] {
  const out: Anomaly[] = [];
  for (let i = 0; i < ys.length; i++) out.push(...f.push(ys[i]).anomalies);
  return out;
}

describe('anomalies', () => {
  it('the Gaussian quantile is right (Acklam)', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 5);
    expect(normalQuantile(0.9995)).toBeCloseTo(3.290527, 5);
    expect(normalQuantile(0.001)).toBeCloseTo(-3.090232, 5);
  });

  it('at most 0.1% false alarms on clean streams: a daily cycle with noise, a random walk', () => {
    const r = new Prng(11);
    const n = 3000;
    const cycle = Float64Array.from(
      { length: n },
      (_, i) => 20 + 4 * Math.sin((2 * Math.PI * i) / 48) + 0.4 * r.normal(),
    );
    let x = 100;
    const walk = Float64Array.from({ length: n }, () => (x += r.normal()));
    for (const [name, ys] of [
      ['cycle', cycle],
      ['walk', walk],
    ] as const) {
      const f = new Forecaster({ ...FAST, budget: { stepsPerSample: 0 } });
      const flagged = feed(f, ys);
      expect(flagged.length / n, `${name}: ${flagged.length} of ${n} flagged`).toBeLessThanOrEqual(
        0.001,
      );
    }
  }, 60_000);

  it('a spike is flagged once; a level shift is flagged once, then absorbed', () => {
    const r = new Prng(12);
    const n = 900;
    const base = Float64Array.from(
      { length: n },
      (_, i) => 20 + 4 * Math.sin((2 * Math.PI * i) / 48) + 0.3 * r.normal(),
    );
    const spiky = base.slice();
    spiky[600] += 6;
    const f = new Forecaster({ ...FAST, budget: { stepsPerSample: 0 } });
    const a = feed(f, spiky).filter((x) => x.id >= 500);
    expect(a.map((x) => x.id)).toEqual([600]);
    expect(a[0].time).toBe(600);
    expect(a[0].score).toBeGreaterThan(1);
    expect(a[0].upper).toBeLessThan(spiky[600]);

    const shifted = base.map((v, i) => (i >= 600 ? v + 6 : v));
    const g = new Forecaster({ ...FAST, budget: { stepsPerSample: 0 } });
    const b = feed(g, shifted).filter((x) => x.id >= 500);
    expect(b.map((x) => x.id)).toEqual([600]);
    // absorbed: the forecast follows the new level (one step of the cycle moves at most 0.6)
    const fc = g.forecast();
    expect(Math.abs(fc.mean[0] - shifted[n - 1])).toBeLessThan(1.5);
  }, 60_000);

  it('a lower anomalyLevel flags more; ids are sample indices', () => {
    const r = new Prng(13);
    const ys = Float64Array.from({ length: 2000 }, () => 5 + r.normal());
    const strict = feed(new Forecaster({ ...FAST, budget: { stepsPerSample: 0 } }), ys);
    const loose = feed(
      new Forecaster({ ...FAST, budget: { stepsPerSample: 0 }, anomalyLevel: 0.98 }),
      ys,
    );
    expect(loose.length).toBeGreaterThan(strict.length + 10);
    for (const x of loose) expect(x.id).toBe(x.time); // no times pushed: time = index
    expect(() => new Forecaster({ anomalyLevel: 1 })).toThrow(/anomalyLevel/);
  }, 60_000);
});
