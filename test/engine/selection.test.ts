import { describe, expect, it } from 'vitest';
import { C, FILTER, HYBRID, NAIVE, SNAIVE, Selection } from '../../worker/engine/selection';

const H = 3;

/** Candidates (C, h): naive 0, seasonal naive NaN, the filter 1, the hybrid NaN. */
function candidates(): Float64Array {
  const cand = new Float64Array(C * H).fill(NaN);
  cand.fill(0, NAIVE * H, (NAIVE + 1) * H);
  cand.fill(1, FILTER * H, (FILTER + 1) * H);
  return cand;
}

/** A selection that has scored `n` outcomes per step: naive's error 1, the filter's `e`. */
function scored(n: number, e: number): Selection {
  const sel = new Selection(H);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < H; k++) {
      sel.record(NAIVE, k, 1);
      sel.record(FILTER, k, e);
    }
  }
  return sel;
}

function served(sel: Selection): number[] {
  const mean = new Float64Array(H);
  sel.serve(candidates(), mean);
  return [...mean];
}

describe('Selection', () => {
  it('serves naive until a candidate has a record, then weights it', () => {
    expect(served(new Selection(H))).toEqual([0, 0, 0]);
    expect(served(scored(3, 0.5))).toEqual([0, 0, 0]); // 3 outcomes: too few, however good
    const s = served(scored(20, 0.5)); // inverse 4th powers: 16 to 1
    for (const v of s) expect(v).toBeCloseTo(16 / 17, 12);
  });

  it('believes a wide margin after a few outcomes, a narrow one only after many', () => {
    // half naive's error after 4 outcomes: weighted (a short series cannot wait for 20)
    for (const v of served(scored(4, 0.5))) expect(v).toBeCloseTo(16 / 17, 12);
    // 10% better after 4 or 19 outcomes: not yet; after 20: weighted
    expect(served(scored(4, 0.9))).toEqual([0, 0, 0]);
    expect(served(scored(19, 0.9))).toEqual([0, 0, 0]);
    for (const v of served(scored(20, 0.9))) expect(v).toBeGreaterThan(0.5);
  });

  it('trusts a refitted candidate on its backtest outcomes, not on those of the model before', () => {
    const sel = scored(50, 0.9); // 10% better over 50 outcomes: trusted
    for (const v of served(sel)) expect(v).toBeGreaterThan(0.5);
    // a refit's backtest: 5 outcomes per step, the same errors; too few for a 10% margin
    const sums = new Float64Array(C * H);
    const counts = new Float64Array(C * H);
    sums.fill(5, NAIVE * H, (NAIVE + 1) * H);
    sums.fill(4.5, FILTER * H, (FILTER + 1) * H);
    counts.fill(5, NAIVE * H, (NAIVE + 1) * H);
    counts.fill(5, FILTER * H, (FILTER + 1) * H);
    sel.seed(sums, counts);
    expect(served(sel)).toEqual([0, 0, 0]);
    // live outcomes count on top: 5 + 15 = 20, enough
    for (let i = 0; i < 15; i++) for (let k = 0; k < H; k++) sel.record(FILTER, k, 0.9);
    for (const v of served(sel)) expect(v).toBeGreaterThan(0.5);
  });

  it('gives no weight to a candidate no better than naive', () => {
    expect(served(scored(50, 1))).toEqual([0, 0, 0]);
    expect(served(scored(50, 1.5))).toEqual([0, 0, 0]);
  });

  it('serves naive alone when naive has been exact', () => {
    const sel = new Selection(H);
    for (let i = 0; i < 30; i++) for (let k = 0; k < H; k++) sel.record(NAIVE, k, 0);
    expect(served(sel)).toEqual([0, 0, 0]);
  });

  it('skips candidates that are missing (NaN) from the served mean', () => {
    const sel = scored(30, 0.5);
    for (let i = 0; i < 30; i++) for (let k = 0; k < H; k++) sel.record(HYBRID, k, 0.1);
    const cand = candidates(); // the hybrid's forecast is NaN: it cannot be served
    const mean = new Float64Array(H);
    sel.serve(cand, mean);
    for (const v of mean) expect(v).toBeCloseTo(16 / 17, 12);
    expect(Number.isNaN(cand[SNAIVE * H])).toBe(true);
  });

  it('varies the weights smoothly over the horizon, also where trust changes from one step to the next', () => {
    // h = 12; 4 outcomes per step: naive's error grows with the step, the filter's stays 1, so
    // the filter has the wide margin that earns trust after so few outcomes only from step 9 on
    const h = 12;
    const sel = new Selection(h);
    for (let i = 0; i < 4; i++) {
      for (let k = 0; k < h; k++) {
        sel.record(NAIVE, k, 0.5 + 0.1 * k);
        sel.record(FILTER, k, 1);
      }
    }
    const cand = new Float64Array(C * h).fill(NaN);
    cand.fill(0, NAIVE * h, (NAIVE + 1) * h);
    cand.fill(1, FILTER * h, (FILTER + 1) * h);
    const w = sel.weights(cand);
    const share = Array.from(
      { length: h },
      (_, k) => w[FILTER * h + k] / (w[NAIVE * h + k] + w[FILTER * h + k]),
    );
    // naive where it is better, the filter where it is much better, and no step in between
    // (without the smoothing, the filter's share goes from 0 at step 8 to 0.73 at step 9)
    expect(share[0]).toBeLessThan(0.1);
    expect(share[h - 1]).toBeGreaterThan(0.5);
    for (let k = 1; k < h; k++) expect(Math.abs(share[k] - share[k - 1])).toBeLessThan(0.2);
    for (let k = 0; k < h; k++) expect(w[NAIVE * h + k] + w[FILTER * h + k]).toBeCloseTo(1, 12);
  });

  it('weights a candidate far better than naive at the near steps though worse at the far ones', () => {
    // 40 outcomes per step: naive's error 1 at every step, the filter's 0.4 at step 1 growing to
    // 1.72 at step 12, more than naive's over all steps together; it is served at the near steps
    const h = 12;
    const sel = new Selection(h);
    for (let i = 0; i < 40; i++) {
      for (let k = 0; k < h; k++) {
        sel.record(NAIVE, k, 1);
        sel.record(FILTER, k, 0.4 + 0.12 * k);
      }
    }
    const cand = new Float64Array(C * h).fill(NaN);
    cand.fill(0, NAIVE * h, (NAIVE + 1) * h);
    cand.fill(1, FILTER * h, (FILTER + 1) * h);
    const w = sel.weights(cand);
    // (before the per-step gate: 0 at every step; the far steps keep a little through the smoothing)
    expect(w[FILTER * h]).toBeGreaterThan(0.75);
    expect(w[FILTER * h + 3]).toBeGreaterThan(0.5);
    expect(w[FILTER * h + h - 1]).toBeLessThan(0.15);
  });
});
