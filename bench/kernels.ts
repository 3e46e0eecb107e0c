// Child process: a machine bound for the training step, measured with plain JS.
//
//   tsx bench/kernels.ts --hidden 32 --layers 1 [--runs 7 --min-time 0.3 ...]
//
// The step's arithmetic is dominated by three families of kernels, here written as the
// plainest tight loops over Float32Array at the step's real shapes (G = 4H gate rows, each
// layer's input size I = 1 for layer 0 and H above it, W = 32 time steps):
//   fwd     per layer and step: z = M v, M (G, I+H), v = [x_t ; h_{t-1}]   (one dot per row)
//           and the head's y_t = w . h_t
//   bwdT    per layer and step: dv = M^T dz, M (G, I+H)                    (one axpy per row)
//           and the head's dh_t = dy_t w
//   rank1   per layer and step: dM += dz v^T, M (G, I+H)                   (one axpy per row)
//           and the head's dw += dy_t h_t
// Each family is timed on its own; the bound is 1 / (the sum of the three times). It leaves out
// everything else the step does (gate nonlinearities, loss, clipping, Adam, copies), so a real
// step cannot reach it; "fraction of the bound" says how close ours comes to the cost of its
// unavoidable matrix work done the obvious way.

import {
  emit,
  measureRate,
  numArg,
  parseArgs,
  runMain,
  timingFromArgs,
  W,
  type Timing,
} from './common';

/** z[zo + r] = b[r] + Σ_j m[r*n + j] v[vo + j], r < rows. */
function matvec(
  z: Float32Array,
  zo: number,
  m: Float32Array,
  b: Float32Array,
  v: Float32Array,
  vo: number,
  rows: number,
  n: number,
): void {
  for (let r = 0; r < rows; r++) {
    let acc = b[r];
    const mo = r * n;
    for (let j = 0; j < n; j++) acc += m[mo + j] * v[vo + j];
    z[zo + r] = acc;
  }
}

/** dv[0:n] = Σ_r dz[dzo + r] m[r*n : r*n + n]. */
function matvecT(
  dv: Float32Array,
  m: Float32Array,
  dz: Float32Array,
  dzo: number,
  rows: number,
  n: number,
): void {
  for (let j = 0; j < n; j++) dv[j] = 0;
  for (let r = 0; r < rows; r++) {
    const a = dz[dzo + r];
    const mo = r * n;
    for (let j = 0; j < n; j++) dv[j] += a * m[mo + j];
  }
}

/** dm[r*n + j] += dz[dzo + r] v[vo + j]. */
function rank1(
  dm: Float32Array,
  dz: Float32Array,
  dzo: number,
  v: Float32Array,
  vo: number,
  rows: number,
  n: number,
): void {
  for (let r = 0; r < rows; r++) {
    const a = dz[dzo + r];
    const mo = r * n;
    for (let j = 0; j < n; j++) dm[mo + j] += a * v[vo + j];
  }
}

interface Layer {
  n: number; // I + H
  m: Float32Array; // (G, n) weights
  b: Float32Array; // (G)
  dm: Float32Array; // (G, n) weight gradient
  v: Float32Array; // (W, n) the [x_t ; h_{t-1}] of every step
  z: Float32Array; // (W, G)
  dz: Float32Array; // (W, G)
  dv: Float32Array; // (n)
}

function fill(a: Float32Array, scale: number, seed: number): Float32Array {
  let s = seed;
  for (let i = 0; i < a.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = ((s / 4294967296) * 2 - 1) * scale;
  }
  return a;
}

function kernelBound(H: number, L: number, timing: Timing): Record<string, number> {
  const G = 4 * H;
  const layers: Layer[] = [];
  for (let l = 0; l < L; l++) {
    const n = (l === 0 ? 1 : H) + H;
    layers.push({
      n,
      m: fill(new Float32Array(G * n), 1 / Math.sqrt(H), 1 + l),
      b: fill(new Float32Array(G), 1 / Math.sqrt(H), 11 + l),
      dm: new Float32Array(G * n),
      v: fill(new Float32Array(W * n), 0.5, 21 + l),
      z: new Float32Array(W * G),
      dz: fill(new Float32Array(W * G), 0.01, 31 + l),
      dv: new Float32Array(n),
    });
  }
  // The head: Linear(H, 1) on every step's top h.
  const hw = fill(new Float32Array(H), 1 / Math.sqrt(H), 41);
  const hb = new Float32Array(W); // the bias, once per row of this (W, H) x (H) product
  const hdw = new Float32Array(H);
  const hh = fill(new Float32Array(W * H), 0.5, 42);
  const hy = new Float32Array(W);
  const hdy = fill(new Float32Array(W), 0.01, 43);
  const hdh = new Float32Array(W * H);

  const fwd = (): void => {
    for (const p of layers) {
      for (let t = 0; t < W; t++) matvec(p.z, t * G, p.m, p.b, p.v, t * p.n, G, p.n);
    }
    matvec(hy, 0, hh, hb, hw, 0, W, H); // y_t = h_t . w for all t: the same dot loops
  };
  const bwdT = (): void => {
    for (const p of layers) {
      for (let t = 0; t < W; t++) matvecT(p.dv, p.m, p.dz, t * G, G, p.n);
    }
    rank1(hdh, hdy, 0, hw, 0, W, H); // dh_t = dy_t w: W axpys of length H
  };
  const r1 = (): void => {
    for (const p of layers) {
      for (let t = 0; t < W; t++) rank1(p.dm, p.dz, t * G, p.v, t * p.n, G, p.n);
    }
    for (let t = 0; t < W; t++) rank1(hdw, hdy, t, hh, t * H, 1, H);
  };
  // Keep the gradients bounded over millions of accumulations.
  const r1reset = (): void => {
    for (const p of layers) p.dm.fill(0);
    hdw.fill(0);
  };

  const tFwd = 1 / measureRate(fwd, timing).perSec;
  const tBwdT = 1 / measureRate(bwdT, timing).perSec;
  let k = 0;
  const tRank1 =
    1 /
    measureRate(() => {
      if (++k === 4096) {
        k = 0;
        r1reset();
      }
      r1();
    }, timing).perSec;
  const total = tFwd + tBwdT + tRank1;
  let flops = 0;
  for (const p of layers) flops += 3 * 2 * W * G * p.n;
  flops += 3 * 2 * W * H;
  return {
    stepsPerSec: 1 / total,
    usFwd: tFwd * 1e6,
    usBwdT: tBwdT * 1e6,
    usRank1: tRank1 * 1e6,
    gflops: flops / total / 1e9,
  };
}

runMain(() => {
  const args = parseArgs(process.argv.slice(2));
  const H = numArg(args, 'hidden');
  const L = numArg(args, 'layers');
  // Each family is fast; a shorter run per family keeps the three within one step's budget.
  const t = timingFromArgs(args);
  const timing = { ...t, minTime: t.minTime / 2, warmup: t.warmup / 2 };
  emit({ impl: 'bound', hidden: H, layers: L, ...kernelBound(H, L, timing) });
});
