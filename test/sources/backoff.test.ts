// The retry delays of live sources: exponential, capped, with ±jitter.

import { describe, expect, it } from 'vitest';
import { backoffDelay, DEFAULT_BACKOFF } from '../../src/sources';
import { Prng } from '../../worker/core';

/** mulberry32: a seeded uniform [0, 1) generator. */
/** Uniform [0, 1) numbers from the core's seeded generator. */
function seeded(seed: number): () => number {
  const prng = new Prng(seed);
  return () => prng.next();
}

describe('backoffDelay', () => {
  it('doubles from 500 ms to the 30 s cap by default, without jitter at u = 0.5', () => {
    const delays = [1, 2, 3, 4, 5, 6, 7, 8, 20].map((n) =>
      backoffDelay(n, DEFAULT_BACKOFF, () => 0.5),
    );
    expect(delays).toEqual([500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  });

  it('spreads each delay over ±30% by default, the cap included', () => {
    expect(backoffDelay(1, DEFAULT_BACKOFF, () => 0)).toBe(350);
    expect(backoffDelay(1, DEFAULT_BACKOFF, () => 0.999999)).toBe(650);
    expect(backoffDelay(30, DEFAULT_BACKOFF, () => 0)).toBe(21000);
    expect(backoffDelay(30, DEFAULT_BACKOFF, () => 0.999999)).toBe(39000);
  });

  it('grows at every retry below the cap, whatever the random numbers', () => {
    const random = seeded(7);
    for (let run = 0; run < 200; run++) {
      let previous = 0;
      for (let n = 1; n <= 6; n++) {
        const delay = backoffDelay(n, DEFAULT_BACKOFF, random);
        const base = 500 * 2 ** (n - 1);
        expect(delay).toBeGreaterThanOrEqual(base * 0.7);
        expect(delay).toBeLessThanOrEqual(base * 1.3);
        expect(delay, `retry ${n} after ${previous} ms`).toBeGreaterThan(previous);
        previous = delay;
      }
    }
  });

  it('follows the options', () => {
    const b = { initialMs: 10, maxMs: 50, factor: 3, jitter: 0 };
    expect([1, 2, 3, 4].map((n) => backoffDelay(n, b, Math.random))).toEqual([10, 30, 50, 50]);
  });
});
