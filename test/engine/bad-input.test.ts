// The bad-input table: every kind of bad sample has a defined treatment, the counters of
// accepted, gap and rejected samples add up to what was pushed, and nothing poisons the weights.

import { describe, expect, it } from 'vitest';
import { Forecaster, type ForecasterOptions } from '../../worker/engine';

const SMALL: ForecasterOptions = { hiddenSize: 8, window: 16, horizon: 6, seed: 1 };

function warm(f: Forecaster, n = 120, t0?: number): void {
  for (let i = 0; i < n; i++) f.push(Math.sin(i / 4), t0 === undefined ? undefined : t0 + i);
}

function weightsFinite(f: Forecaster): boolean {
  return Object.values(f.exportStateDict()).every((v) => v.flat().every(Number.isFinite));
}

function countersAddUp(f: Forecaster): void {
  const s = f.stats();
  expect(s.accepted + s.gaps + s.rejected, JSON.stringify(s)).toBe(s.pushed);
}

describe('bad samples', () => {
  const gaps: [string, unknown][] = [
    ['NaN', NaN],
    ['+Infinity', Infinity],
    ['-Infinity', -Infinity],
    ['null', null],
    ['undefined', undefined],
  ];
  for (const [name, value] of gaps) {
    it(`${name} is a gap: kept, not trained on, no error`, () => {
      const f = new Forecaster(SMALL);
      warm(f);
      const r = f.push(value);
      expect(r).toMatchObject({ accepted: 0, gaps: 1, rejected: 0 });
      expect(r.error).toBeUndefined();
      const fc = f.forecast();
      expect(fc.mean.every(Number.isFinite)).toBe(true);
      f.push(0.5);
      expect(weightsFinite(f)).toBe(true);
      countersAddUp(f);
    });
  }

  const rejected: [string, unknown][] = [
    ['a string', '12.5'],
    ['an object', { value: 1 }],
    ['a boolean', true],
  ];
  for (const [name, value] of rejected) {
    it(`${name} inside a batch is rejected with code bad-value; the rest is accepted`, () => {
      const f = new Forecaster(SMALL);
      warm(f);
      const r = f.push([0.1, value, 0.2]);
      expect(r).toMatchObject({ accepted: 2, gaps: 0, rejected: 1 });
      expect(r.error?.code).toBe('bad-value');
      expect(r.error?.message).toMatch(/not a number/);
      countersAddUp(f);
    });
  }

  it('a single string or object is one rejected sample; an empty batch is refused', () => {
    const f = new Forecaster(SMALL);
    expect(f.push('7').error?.code).toBe('bad-value');
    expect(f.push({ value: 1 })).toMatchObject({ rejected: 1, error: { code: 'bad-value' } });
    expect(() => f.push([])).toThrow(expect.objectContaining({ code: 'bad-shape' }));
    countersAddUp(f);
  });

  it('the wrong number of features is refused, whole, with code bad-shape', () => {
    const f = new Forecaster({ ...SMALL, features: 2 });
    expect(() => f.push([1, 2, 3])).toThrow(expect.objectContaining({ code: 'bad-shape' }));
    expect(() => f.push(1)).toThrow(/multiple of 2/);
    expect(f.push([1, 2, 3, 4]).accepted).toBe(2);
    countersAddUp(f);
  });

  it('times that do not match the values are refused, whole', () => {
    const f = new Forecaster(SMALL);
    expect(() => f.push([1, 2, 3], [1, 2])).toThrow(expect.objectContaining({ code: 'bad-shape' }));
    countersAddUp(f);
    expect(f.stats().rejected).toBe(3);
  });

  it('timestamps that go backwards or repeat are rejected, and the sample with them', () => {
    const f = new Forecaster(SMALL);
    warm(f, 50, 1000);
    const back = f.push(1, 1020);
    expect(back.rejected).toBe(1);
    expect(back.error).toMatchObject({ code: 'bad-time' });
    expect(back.error?.message).toMatch(/goes back/);
    const same = f.push(1, 1049);
    expect(same.error?.message).toMatch(/repeats/);
    expect(f.push(1, NaN).error?.code).toBe('bad-time');
    expect(f.push(1, '2024-01-01').error?.code).toBe('bad-time');
    expect(f.push(1, 1050).accepted).toBe(1);
    countersAddUp(f);
    expect(f.stats().rejected).toBe(4);
  });

  it('huge magnitudes (1e15) train and forecast without overflow', () => {
    const f = new Forecaster(SMALL);
    for (let i = 0; i < 200; i++) f.push(1e15 + 1e13 * Math.sin(i / 5));
    const fc = f.forecast();
    expect(fc.mean.every((v) => Number.isFinite(v) && Math.abs(v - 1e15) < 5e13)).toBe(true);
    expect(fc.upper.every(Number.isFinite)).toBe(true);
    expect(weightsFinite(f)).toBe(true);
    f.push(-1e15); // and a jump across 2e15
    expect(weightsFinite(f)).toBe(true);
  });

  it('values beyond ±1e100 are rejected with bad-value; forecasts stay finite', () => {
    const f = new Forecaster(SMALL);
    f.push(Array.from({ length: 80 }, (_, i) => Math.sin(i / 4)));
    const r = f.push([1e120, 0.5, -1e300]);
    expect(r.rejected).toBe(2);
    expect(r.accepted).toBe(1);
    expect(r.error?.code).toBe('bad-value');
    expect(f.forecast().mean.every(Number.isFinite)).toBe(true);
  });

  it('a constant series forecasts the constant, with a zero-width interval', () => {
    const f = new Forecaster(SMALL);
    for (let i = 0; i < 200; i++) f.push(42);
    const fc = f.forecast();
    expect(Array.from(fc.mean)).toEqual(new Array(6).fill(42));
    for (let k = 0; k < 6; k++) expect(fc.upper[k] - fc.lower[k]).toBeLessThan(1e-6);
    expect(weightsFinite(f)).toBe(true);
  });

  it('a long run of gaps and then data again', () => {
    const f = new Forecaster(SMALL);
    warm(f);
    f.push(new Float64Array(100).fill(NaN));
    warm(f, 50);
    expect(f.forecast().mean.every(Number.isFinite)).toBe(true);
    expect(weightsFinite(f)).toBe(true);
    expect(f.stats().gaps).toBe(100);
    countersAddUp(f);
  });

  it('bad options are refused with code bad-config naming the option', () => {
    const bad: [ForecasterOptions, RegExp][] = [
      [{ horizon: 0 }, /horizon/],
      [{ window: 1.5 }, /window/],
      [{ coverage: 1 }, /coverage/],
      [{ strategy: 'sideways' as 'direct' }, /strategy/],
      [{ budget: { stepsPerSample: -1 } }, /stepsPerSample/],
      [{ features: 2, targetIndex: 2 }, /targetIndex/],
      [{ learningRate: NaN }, /learningRate/],
      [{ hiden: 3 } as ForecasterOptions, /unknown option "hiden"/],
    ];
    for (const [o, msg] of bad) {
      expect(() => new Forecaster(o)).toThrow(
        expect.objectContaining({ code: 'bad-config', message: expect.stringMatching(msg) }),
      );
    }
  });
});
