// The WebAssembly SIMD kernels (worker/core/kernels.ts) against the JS kernels: the products at
// every remainder of rows, columns and vectors, with offsets and strides, both dtypes; the
// fallbacks; the float32 LSTM and GRU cells against their formulas; and an LSTM and a GRU whose
// every array is in the kernels' memory, step for step with the same models on the JS kernels.

import { describe, expect, it } from 'vitest';
import { GRU, LSTM, ParamArena, Prng, type Floats } from '../../worker/core';
import { jsKernels, simdKernels, type Kernels } from '../../worker/core/kernels';

// relative to the sum of |terms|: f64x2 differs from JS in summation order only; f32x4 sums in
// float32 where JS sums float32 numbers in float64
const TOL = { float64: 1e-14, float32: 1e-6 } as const;

function simd(bytes = 4 << 20): Kernels {
  const k = simdKernels(bytes);
  if (!k) throw new Error('no WebAssembly SIMD in this Node');
  return k;
}

function filled(k: Kernels, dtype: 'float32' | 'float64', n: number, prng: Prng): Floats {
  const a = k.alloc(dtype, n);
  for (let i = 0; i < n; i++) a[i] = prng.uniform(-1, 1);
  return a;
}

/** max over i of |a[i] - b[i]| / scale[i]. */
function worst(a: Floats, b: Floats, scale: Float64Array): number {
  let w = 0;
  for (let i = 0; i < a.length; i++) w = Math.max(w, Math.abs(a[i] - b[i]) / scale[i]);
  return w;
}

describe('the SIMD kernels compute what the JS kernels compute', () => {
  it('are available in Node (WebAssembly SIMD since Node 16)', () => {
    const k = simdKernels(1 << 16);
    expect(k?.name).toBe('wasm-simd');
  });

  for (const dtype of ['float64', 'float32'] as const) {
    it(`matvec and matvecBatch, ${dtype}: rows, columns and vectors 1-9, offsets, strides, accumulate`, () => {
      const k = simd();
      const prng = new Prng(3);
      let differs = 0; // results not bit-equal to JS's: the wasm path ran
      let cases = 0;
      for (const rows of [1, 2, 3, 4, 5, 8, 9]) {
        for (const cols of [1, 2, 3, 4, 5, 7, 8, 9, 33]) {
          for (const nB of [1, 2, 3, 4, 5, 9]) {
            for (const accumulate of [false, true]) {
              const [ao, xo, yo] = [3, 1, 2];
              const [xsB, ysB] = [cols + 2, rows + 1];
              const A = filled(k, dtype, ao + rows * cols, prng);
              const x = filled(k, dtype, xo + nB * xsB, prng);
              const y = filled(k, dtype, yo + nB * ysB, prng);
              const yJs = y.slice();
              const scale = new Float64Array(y.length).fill(1);
              for (let b = 0; b < nB; b++)
                for (let r = 0; r < rows; r++) {
                  let s = Math.abs(y[yo + b * ysB + r]);
                  for (let c = 0; c < cols; c++)
                    s += Math.abs(A[ao + r * cols + c] * x[xo + b * xsB + c]);
                  scale[yo + b * ysB + r] = s;
                }
              const yM = y.slice(); // matvec on vector 0
              const yMJs = y.slice();
              k.matvecBatch(y, yo, ysB, A, ao, rows, cols, x, xo, xsB, nB, accumulate);
              jsKernels.matvecBatch(yJs, yo, ysB, A, ao, rows, cols, x, xo, xsB, nB, accumulate);
              // the wasm path needs y in the memory: copy the JS-side y back in for matvec
              const yMem = k.alloc(dtype, yM.length);
              yMem.set(yM);
              k.matvec(yMem, yo, A, ao, rows, cols, x, xo, accumulate);
              jsKernels.matvec(yMJs, yo, A, ao, rows, cols, x, xo, accumulate);
              const label = `${rows}x${cols}, ${nB} vectors, accumulate ${accumulate}`;
              expect(worst(y, yJs, scale), `matvecBatch ${label}`).toBeLessThan(TOL[dtype]);
              expect(worst(yMem, yMJs, scale), `matvec ${label}`).toBeLessThan(TOL[dtype]);
              for (let i = 0; i < y.length; i++) if (y[i] !== yJs[i]) differs++;
              // what is outside the products' rows stays as it was
              expect(y[0]).toBe(yJs[0]);
              cases++;
            }
          }
        }
      }
      expect(cases).toBe(7 * 9 * 6 * 2);
      expect(differs, 'no result differs from JS in its last bits: did wasm run?').toBeGreaterThan(
        0,
      );
    });
  }

  it('run arrays outside their memory (or of two dtypes) on the JS kernels, exactly', () => {
    const k = simd();
    const prng = new Prng(4);
    const A = filled(jsKernels, 'float32', 12 * 7, prng);
    const x = filled(k, 'float32', 7 * 3, prng);
    const y = k.alloc('float32', 12 * 3);
    const yJs = new Float32Array(12 * 3);
    k.matvecBatch(y, 0, 12, A, 0, 12, 7, x, 0, 7, 3, false);
    jsKernels.matvecBatch(yJs, 0, 12, A, 0, 12, 7, x, 0, 7, 3, false);
    expect(Array.from(y)).toEqual(Array.from(yJs));
    const x64 = k.alloc('float64', 7);
    x64.set(x.subarray(0, 7));
    const A32 = k.alloc('float32', 12 * 7);
    A32.set(A);
    k.matvec(y, 0, A32, 0, 12, 7, x64, 0, false);
    jsKernels.matvec(yJs, 0, A32, 0, 12, 7, x64, 0, false);
    expect(Array.from(y)).toEqual(Array.from(yJs));
  });

  it('hand out zeroed, 16-byte aligned views until the memory is full, then plain arrays', () => {
    const k = simd(1 << 16);
    const a = k.alloc('float32', 3);
    const b = k.alloc('float64', 5);
    expect(a.buffer).toBe(b.buffer);
    expect(b.byteOffset % 16).toBe(0);
    expect(b.byteOffset).toBeGreaterThanOrEqual(a.byteOffset + 12);
    expect(Array.from(b)).toEqual([0, 0, 0, 0, 0]);
    expect(k.misses).toBe(0);
    const big = k.alloc('float64', 1 << 14); // 128 KB: more than the 64 KB memory
    expect(big.buffer).not.toBe(a.buffer);
    expect(big.length).toBe(1 << 14);
    expect(k.misses).toBe(1);
  });
});

describe('the SIMD LSTM cell (float32) computes what the JS cell computes', () => {
  it('H = 4, 8, 12, with and without biases, pre-activations from -100 to 100, NaN kept', () => {
    const k = simd();
    const prng = new Prng(6);
    for (const H of [4, 8, 12]) {
      for (const bias of [true, false]) {
        const z = k.alloc('float32', 4 * H);
        const w = k.alloc('float32', 8 * H);
        const c = k.alloc('float32', 2 * H);
        const tc = k.alloc('float32', H);
        const h = k.alloc('float32', H);
        for (let i = 0; i < 4 * H; i++)
          z[i] = i % 7 === 0 ? 100 * prng.uniform(-1, 1) : 6 * prng.uniform(-1, 1);
        for (let i = 0; i < 8 * H; i++) w[i] = prng.uniform(-1, 1);
        for (let i = 0; i < H; i++) c[i] = 3 * prng.uniform(-1, 1);
        z[1] = NaN;
        const zIn = Float64Array.from(z);
        expect(k.lstmCell(z, 0, w, bias ? 0 : -1, 4 * H, c, 0, H, tc, 0, h, 0, H)).toBe(true);
        const sig = (v: number) => 1 / (1 + Math.exp(-v));
        let worst = 0;
        for (let j = 0; j < H; j++) {
          const pre = (g: number) =>
            zIn[g * H + j] + (bias ? w[g * H + j] + w[4 * H + g * H + j] : 0);
          const [i, f, g, o] = [sig(pre(0)), sig(pre(1)), Math.tanh(pre(2)), sig(pre(3))];
          const cNew = f * c[j] + i * g;
          const want = [i, f, g, o, cNew, Math.tanh(cNew), o * Math.tanh(cNew)];
          const got = [z[j], z[H + j], z[2 * H + j], z[3 * H + j], c[H + j], tc[j], h[j]];
          for (let q = 0; q < want.length; q++) {
            if (Number.isNaN(want[q])) expect(got[q], `H ${H}, unit ${j}, value ${q}`).toBeNaN();
            else
              worst = Math.max(worst, Math.abs(got[q] - want[q]) / Math.max(1, Math.abs(want[q])));
          }
        }
        expect(worst, `H ${H}, bias ${bias}: worst relative error ${worst}`).toBeLessThan(1e-6);
      }
    }
    // what the JS kernels and other shapes leave to the caller
    const zJs = new Float32Array(16);
    expect(jsKernels.lstmCell(zJs, 0, zJs, -1, -1, zJs, 0, 0, zJs, 0, zJs, 0, 4)).toBe(false);
    const z = k.alloc('float32', 20);
    expect(k.lstmCell(z, 0, z, -1, -1, z, 0, 0, z, 0, z, 0, 5), 'H = 5').toBe(false);
    const z64 = k.alloc('float64', 16);
    expect(k.lstmCell(z64, 0, z64, -1, -1, z64, 0, 0, z64, 0, z64, 0, 4), 'float64').toBe(false);
  });
});

describe('the SIMD GRU cell (float32) computes what the JS cell computes', () => {
  const sig = (v: number) => 1 / (1 + Math.exp(-v));

  it('H = 4, 8, 12, with and without biases, pre-activations from -100 to 100, NaN kept', () => {
    const k = simd();
    const prng = new Prng(7);
    for (const H of [4, 8, 12]) {
      for (const bias of [true, false]) {
        const gi = k.alloc('float32', 3 * H);
        const gh = k.alloc('float32', 3 * H);
        const w = k.alloc('float32', 6 * H);
        const hs = k.alloc('float32', 2 * H);
        const ghn = k.alloc('float32', H);
        const y = k.alloc('float32', H + 2);
        for (let i = 0; i < 3 * H; i++) {
          gi[i] = i % 7 === 0 ? 100 * prng.uniform(-1, 1) : 6 * prng.uniform(-1, 1);
          gh[i] = i % 5 === 0 ? 100 * prng.uniform(-1, 1) : 6 * prng.uniform(-1, 1);
        }
        for (let i = 0; i < 6 * H; i++) w[i] = prng.uniform(-1, 1);
        for (let i = 0; i < H; i++) hs[i] = prng.uniform(-1, 1);
        gi[1] = NaN; // unit 1: r is NaN, so are n and h
        const giIn = Float64Array.from(gi);
        const ghIn = Float64Array.from(gh);
        const pBih = bias ? 0 : -1;
        expect(k.gruCell(gi, 0, gh, 0, w, pBih, 3 * H, hs, 0, H, ghn, 0, y, 2, H)).toBe(true);
        let worst = 0;
        for (let j = 0; j < H; j++) {
          const b = (o: number, g: number) => (bias ? w[o + g * H + j] : 0);
          const r = sig(giIn[j] + ghIn[j] + b(0, 0) + b(3 * H, 0));
          const z = sig(giIn[H + j] + ghIn[H + j] + b(0, 1) + b(3 * H, 1));
          const hn = ghIn[2 * H + j] + b(3 * H, 2);
          const n = Math.tanh(giIn[2 * H + j] + b(0, 2) + r * hn);
          const h = (1 - z) * n + z * hs[j];
          const want = [r, z, n, hn, h, h];
          const got = [gi[j], gi[H + j], gi[2 * H + j], ghn[j], hs[H + j], y[2 + j]];
          for (let q = 0; q < want.length; q++) {
            const at = `H ${H}, bias ${bias}, unit ${j}, value ${q}`;
            if (Number.isNaN(want[q])) expect(got[q], at).toBeNaN();
            else
              worst = Math.max(worst, Math.abs(got[q] - want[q]) / Math.max(1, Math.abs(want[q])));
          }
        }
        expect(worst, `H ${H}, bias ${bias}: worst relative error ${worst}`).toBeLessThan(1e-6);
        expect(y[0], 'y before yo untouched').toBe(0);
      }
    }
    // what the JS kernels and other shapes leave to the caller
    const a = new Float32Array(12);
    expect(jsKernels.gruCell(a, 0, a, 0, a, -1, -1, a, 0, 0, a, 0, a, 0, 4)).toBe(false);
    const g = k.alloc('float32', 15);
    expect(k.gruCell(g, 0, g, 0, g, -1, -1, g, 0, 0, g, 0, g, 0, 5), 'H = 5').toBe(false);
    const g64 = k.alloc('float64', 12);
    expect(k.gruCell(g64, 0, g64, 0, g64, -1, -1, g64, 0, 0, g64, 0, g64, 0, 4), 'f64').toBe(false);
    expect(k.gruCell(g, 0, g, 0, g, -1, -1, a, 0, 0, g, 0, g, 0, 4), 'h outside').toBe(false);
  });

  it('in place, as stepForward runs it: ghn over gh n rows, the new h over the old', () => {
    const k = simd();
    const prng = new Prng(9);
    const H = 8;
    const gi = filled(k, 'float32', 3 * H, prng);
    const gh = filled(k, 'float32', 3 * H, prng);
    const w = filled(k, 'float32', 6 * H, prng);
    const h = filled(k, 'float32', H, prng);
    const [gi2, gh2, h2] = [
      k.alloc('float32', 3 * H),
      k.alloc('float32', 3 * H),
      k.alloc('float32', 2 * H),
    ];
    gi2.set(gi);
    gh2.set(gh);
    h2.set(h);
    const ghn = k.alloc('float32', H);
    const y = k.alloc('float32', H);
    expect(k.gruCell(gi, 0, gh, 0, w, 0, 3 * H, h, 0, 0, gh, 2 * H, h, 0, H)).toBe(true);
    expect(k.gruCell(gi2, 0, gh2, 0, w, 0, 3 * H, h2, 0, H, ghn, 0, y, 0, H)).toBe(true);
    expect(Array.from(h)).toEqual(Array.from(h2.subarray(H)));
    expect(Array.from(gh.subarray(2 * H))).toEqual(Array.from(ghn));
    expect(Array.from(gi)).toEqual(Array.from(gi2));
  });
});

describe('a GRU on the SIMD kernels (float32) forecasts as on the JS kernels', () => {
  for (const bias of [true, false]) {
    it(`stepForward, 3 layers, H = 8, bias ${bias}: 50 steps, and as its own forward`, () => {
      const k = simd();
      const opts = { inputSize: 2, hiddenSize: 8, numLayers: 3, bias, seed: 11 };
      const js = new GRU({ ...opts, dtype: 'float32' });
      const sm = new GRU(opts, { arena: new ParamArena('float32', k) });
      const prng = new Prng(12);
      const T = 50;
      const x = filled(k, 'float32', T * 2, prng);
      const hJs = new Float32Array(3 * 8);
      const hSm = k.alloc('float32', 3 * 8);
      let worst = 0;
      for (let t = 0; t < T; t++) {
        js.stepForward(x, 2 * t, hJs);
        sm.stepForward(x, 2 * t, hSm);
        for (let i = 0; i < hJs.length; i++) worst = Math.max(worst, Math.abs(hJs[i] - hSm[i]));
      }
      expect(worst, `states differ by ${worst}`).toBeLessThan(1e-5);
      sm.forwardSeq(x, T, null, false);
      let self = 0;
      for (let i = 0; i < hSm.length; i++) self = Math.max(self, Math.abs(sm.hn[i] - hSm[i]));
      expect(self, `stepped and forward h_n differ by ${self}`).toBeLessThan(1e-6);
      expect(k.misses).toBe(0);
    });
  }
});

describe('an LSTM and a GRU on the SIMD kernels train as on the JS kernels', () => {
  for (const dtype of ['float64', 'float32'] as const) {
    // the GRU at H = 6 runs its cell in JS (not a multiple of 4), at H = 8 in the SIMD cell
    for (const [kind, hidden] of [
      ['lstm', 8],
      ['gru', 6],
      ['gru', 8],
    ] as const) {
      it(`${kind} H = ${hidden}, ${dtype}: 2 layers, B = 4 and 3, T = 7, hot path, 5 SGD steps`, () => {
        const k = simd(16 << 20);
        const opts = {
          inputSize: 3,
          hiddenSize: hidden,
          numLayers: 2,
          seed: 5,
          dtype,
        };
        const make = (kern: Kernels | undefined) => {
          const arena = new ParamArena(dtype, kern);
          return kind === 'lstm' ? new LSTM(opts, { arena }) : new GRU(opts, { arena });
        };
        const a = make(undefined);
        const b = make(k);
        const prng = new Prng(8);
        const T = 7;
        let worstOut = 0;
        let worstGrad = 0;
        for (let step = 0; step < 5; step++) {
          const B = step % 2 === 0 ? 4 : 3;
          const xa = filled(jsKernels, dtype, T * B * 3, prng);
          const xb = k.alloc(dtype, xa.length);
          xb.set(xa);
          const dy = filled(jsKernels, dtype, T * B * opts.hiddenSize, prng);
          for (const [m, x] of [
            [a, xa],
            [b, xb],
          ] as const) {
            if (m instanceof LSTM) m.forwardBatch(x, T, B, null, null, true, false);
            else m.forwardBatch(x, T, B, null, true, false);
            m.arena.zeroGrad();
            if (m instanceof LSTM) m.backwardBatch(dy, T, B, null, null);
            else m.backwardBatch(dy, T, B, null);
          }
          for (let i = 0; i < T * B * opts.hiddenSize; i++)
            worstOut = Math.max(worstOut, Math.abs(a.output[i] - b.output[i]));
          for (let i = 0; i < a.arena.size; i++)
            worstGrad = Math.max(worstGrad, Math.abs(a.arena.grad[i] - b.arena.grad[i]));
          // the same SGD step on both
          for (const m of [a, b])
            for (let i = 0; i < m.arena.size; i++) m.arena.data[i] -= 0.1 * m.arena.grad[i];
        }
        const tol = dtype === 'float64' ? 1e-12 : 1e-4;
        expect(worstOut, `outputs differ by ${worstOut}`).toBeLessThan(tol);
        expect(worstGrad, `gradients differ by ${worstGrad}`).toBeLessThan(tol);
        expect(k.misses).toBe(0);
      });
    }
  }
});
