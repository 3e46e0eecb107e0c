// Comparison helpers for numeric tests: a failure says which entry differed, and by how much.

import { expect } from 'vitest';

type Deep = number | ArrayLike<number> | readonly Deep[];

function flatten(v: Deep, out: number[] = []): number[] {
  if (typeof v === 'number') out.push(v);
  else for (let i = 0; i < v.length; i++) flatten((v as ArrayLike<Deep>)[i], out);
  return out;
}

/** Largest |actual - expected| over two arrays of the same shape, and where it is. */
export function maxAbsDiff(actual: Deep, expected: Deep): { diff: number; at: number } {
  const a = flatten(actual);
  const e = flatten(expected);
  expect(a.length, 'number of entries').toBe(e.length);
  let diff = 0;
  let at = -1;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - e[i]);
    if (!(d <= diff)) {
      diff = d;
      at = i;
    }
  }
  return { diff, at };
}

/** Asserts every entry is within `tol` (absolute) and prints the largest difference on failure. */
export function expectClose(actual: Deep, expected: Deep, tol: number, label: string): number {
  const { diff, at } = maxAbsDiff(actual, expected);
  const a = flatten(actual)[at];
  const e = flatten(expected)[at];
  expect(
    diff,
    `${label}: max |diff| ${diff.toExponential(3)} at flat index ${at} (got ${a}, expected ${e}), tolerance ${tol}`,
  ).toBeLessThanOrEqual(tol);
  return diff;
}
