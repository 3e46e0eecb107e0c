// Which code runs the products that dominate a training step and a forecast (matvec and
// matvecBatch: the gate products, their transposes and the weight-gradient dot products):
// the scalar JS of recurrent.ts, or WebAssembly SIMD (scripts/wasm/kernels-wat.ts; f64x2 lanes
// for float64 models, f32x4 for float32 ones).
//
// WebAssembly reads only its own memory, so a model that runs on the SIMD kernels keeps its
// arrays there: its ParamArena is made with the kernels, and the models take every cache from
// kernels.alloc, which carves views out of one fixed memory (16-byte aligned, never freed).
// The memory never grows (growing would detach every view handed out); an array that does not
// fit comes from plain JS, and a product whose arrays are not all views of the memory, of one
// dtype, runs on the JS kernels. Results are the same either way up to summation order.

import { kernelsWasm } from './kernels-wasm.gen';
import { allocFloats, type DType, type Floats } from './params';
import { matvec, matvecBatch } from './recurrent';

export type KernelsName = 'js' | 'wasm-simd';

export interface Kernels {
  readonly name: KernelsName;
  /** A zeroed array of n numbers the kernels run fast on. */
  alloc(dtype: DType, n: number): Floats;
  /** Arrays alloc could not place where the kernels run fast (0 for the JS kernels). */
  readonly misses: number;
  /** y[yo + r] (+)= Σ_k A[ao + r*cols + k] * x[xo + k], as recurrent.ts's matvec. */
  matvec: typeof matvec;
  /** y[yo + b*ysB + r] (+)= Σ_k A[ao + r*cols + k] x[xo + b*xsB + k], as matvecBatch. */
  matvecBatch: typeof matvecBatch;
  /**
   * The pointwise LSTM cell of one step and one sequence (lstm.ts's lstmLayerForward says what
   * it computes), if these kernels have it for these arrays; false: the caller computes it.
   * z[zo : zo+4H] gate pre-activations in, activated gates out; biases w[pBih], w[pBhh] added
   * first unless pBih < 0; c[c1o + j] = the new c from c[c0o + j]; tc[tco + j] = tanh(c);
   * h[ho + j] = o * tanh(c).
   */
  lstmCell(
    z: Floats,
    zo: number,
    w: Floats,
    pBih: number,
    pBhh: number,
    c: Floats,
    c0o: number,
    c1o: number,
    tc: Floats,
    tco: number,
    h: Floats,
    ho: number,
    H: number,
  ): boolean;
  /**
   * The pointwise GRU cell of one step and one sequence (gru.ts's gruLayerForward says what it
   * computes), if these kernels have it for these arrays; false: the caller computes it.
   * gi[gio : gio+3H] W_ih x in, activated gates r, z, n out; gh[gho : gho+3H] W_hh h_prev in;
   * biases w[pBih], w[pBhh] added unless pBih < 0; ghn[ghno + j] = W_hn h_prev + b_hn;
   * hs[hno + j] = y[yo + j] = the new h from hs[hpo + j]. ghn may be gh's n rows and hno may be
   * hpo (each is read before it is written).
   */
  gruCell(
    gi: Floats,
    gio: number,
    gh: Floats,
    gho: number,
    w: Floats,
    pBih: number,
    pBhh: number,
    hs: Floats,
    hpo: number,
    hno: number,
    ghn: Floats,
    ghno: number,
    y: Floats,
    yo: number,
    H: number,
  ): boolean;
}

/** The scalar JS kernels: everywhere, and the fallback. */
export const jsKernels: Kernels = Object.freeze({
  name: 'js',
  alloc: allocFloats,
  misses: 0,
  matvec,
  matvecBatch,
  lstmCell: () => false,
  gruCell: () => false,
});

type MatvecWasm = (
  y: number,
  a: number,
  rows: number,
  cols: number,
  x: number,
  acc: number,
) => void;
type MatvecBatchWasm = (
  y: number,
  ysB: number,
  a: number,
  rows: number,
  cols: number,
  x: number,
  xsB: number,
  nB: number,
  acc: number,
) => void;

/** The module's exports (a module may carry the kernels of one type only). */
interface KernelExports {
  matvec_f64?: MatvecWasm;
  matvec_f32?: MatvecWasm;
  matvecBatch_f64?: MatvecBatchWasm;
  matvecBatch_f32?: MatvecBatchWasm;
  lstmCell_f32?: (
    z: number,
    bih: number,
    bhh: number,
    bias: number,
    c0: number,
    c1: number,
    tc: number,
    h: number,
    H: number,
  ) => void;
  gruCell_f32?: (
    gi: number,
    gh: number,
    bih: number,
    bhh: number,
    bias: number,
    h0: number,
    ghn: number,
    h1: number,
    y: number,
    H: number,
  ) => void;
}

const PAGE = 65536;

class SimdKernels implements Kernels {
  readonly name = 'wasm-simd';
  misses = 0;
  private readonly buf: ArrayBuffer;
  private readonly ex: KernelExports;
  private top = 0;

  constructor(ex: KernelExports, memory: WebAssembly.Memory) {
    this.ex = ex;
    this.buf = memory.buffer;
  }

  alloc(dtype: DType, n: number): Floats {
    const e = dtype === 'float32' ? 4 : 8;
    const at = (this.top + 15) & ~15;
    if (at + n * e > this.buf.byteLength) {
      this.misses++;
      return allocFloats(dtype, n);
    }
    this.top = at + n * e;
    return dtype === 'float32'
      ? new Float32Array(this.buf, at, n)
      : new Float64Array(this.buf, at, n);
  }

  /** Bytes per element when y, A and x are views of the memory of one dtype, else 0. */
  private width(y: Floats, A: Floats, x: Floats): number {
    const e = y.BYTES_PER_ELEMENT;
    const buf = this.buf;
    const ok = y.buffer === buf && A.buffer === buf && x.buffer === buf;
    return ok && A.BYTES_PER_ELEMENT === e && x.BYTES_PER_ELEMENT === e ? e : 0;
  }

  readonly matvec: Kernels['matvec'] = (y, yo, A, ao, rows, cols, x, xo, accumulate) => {
    const e = this.width(y, A, x);
    const f = e === 4 ? this.ex.matvec_f32 : e === 8 ? this.ex.matvec_f64 : undefined;
    if (f) {
      const acc = accumulate ? 1 : 0;
      f(y.byteOffset + e * yo, A.byteOffset + e * ao, rows, cols, x.byteOffset + e * xo, acc);
    } else matvec(y, yo, A, ao, rows, cols, x, xo, accumulate);
  };

  readonly matvecBatch: Kernels['matvecBatch'] = (
    y,
    yo,
    ysB,
    A,
    ao,
    rows,
    cols,
    x,
    xo,
    xsB,
    nB,
    accumulate,
  ) => {
    const e = this.width(y, A, x);
    const f = e === 4 ? this.ex.matvecBatch_f32 : e === 8 ? this.ex.matvecBatch_f64 : undefined;
    if (f) {
      const yp = y.byteOffset + e * yo;
      const xp = x.byteOffset + e * xo;
      f(yp, ysB, A.byteOffset + e * ao, rows, cols, xp, xsB, nB, accumulate ? 1 : 0);
    } else matvecBatch(y, yo, ysB, A, ao, rows, cols, x, xo, xsB, nB, accumulate);
  };

  /** float32 only (float64 models keep Math.exp and PyTorch parity), H a multiple of 4. */
  readonly lstmCell: Kernels['lstmCell'] = (
    z,
    zo,
    w,
    pBih,
    pBhh,
    c,
    c0o,
    c1o,
    tc,
    tco,
    h,
    ho,
    H,
  ) => {
    const f = this.ex.lstmCell_f32;
    const buf = this.buf;
    if (!f || (H & 3) !== 0 || !(z instanceof Float32Array) || z.buffer !== buf) return false;
    if (w.buffer !== buf || c.buffer !== buf || tc.buffer !== buf || h.buffer !== buf) return false;
    if (!(w instanceof Float32Array && c instanceof Float32Array)) return false;
    if (!(tc instanceof Float32Array && h instanceof Float32Array)) return false;
    const bias = pBih >= 0 ? 1 : 0;
    const wo = w.byteOffset;
    f(
      z.byteOffset + 4 * zo,
      wo + 4 * pBih,
      wo + 4 * pBhh,
      bias,
      c.byteOffset + 4 * c0o,
      c.byteOffset + 4 * c1o,
      tc.byteOffset + 4 * tco,
      h.byteOffset + 4 * ho,
      H,
    );
    return true;
  };

  /** float32 only, H a multiple of 4, as lstmCell. */
  readonly gruCell: Kernels['gruCell'] = (
    gi,
    gio,
    gh,
    gho,
    w,
    pBih,
    pBhh,
    hs,
    hpo,
    hno,
    ghn,
    ghno,
    y,
    yo,
    H,
  ) => {
    const f = this.ex.gruCell_f32;
    const buf = this.buf;
    if (!f || (H & 3) !== 0 || !(gi instanceof Float32Array) || gi.buffer !== buf) return false;
    if (gh.buffer !== buf || w.buffer !== buf || hs.buffer !== buf) return false;
    if (ghn.buffer !== buf || y.buffer !== buf) return false;
    if (!(gh instanceof Float32Array && w instanceof Float32Array)) return false;
    if (!(hs instanceof Float32Array && ghn instanceof Float32Array && y instanceof Float32Array))
      return false;
    const wo = w.byteOffset;
    f(
      gi.byteOffset + 4 * gio,
      gh.byteOffset + 4 * gho,
      wo + 4 * pBih,
      wo + 4 * pBhh,
      pBih >= 0 ? 1 : 0,
      hs.byteOffset + 4 * hpo,
      ghn.byteOffset + 4 * ghno,
      hs.byteOffset + 4 * hno,
      y.byteOffset + 4 * yo,
      H,
    );
    return true;
  };
}

/**
 * SIMD kernels with a memory of `bytes` for the model's arrays, or null where WebAssembly or
 * its SIMD is missing or refused (a Content-Security-Policy without 'wasm-unsafe-eval'), and in
 * the build without WebAssembly (the strict-CSP build: kernelsWasm is empty there, so nothing
 * is ever compiled and no policy is violated). Each call compiles the module anew (4 KB, well
 * under a millisecond) and owns its memory: two models share nothing.
 */
export function simdKernels(bytes: number): Kernels | null {
  if (!kernelsWasm || typeof WebAssembly !== 'object') return null;
  const code = Uint8Array.from(atob(kernelsWasm), (ch) => ch.charCodeAt(0));
  if (!WebAssembly.validate(code)) return null; // no SIMD here
  try {
    const memory = new WebAssembly.Memory({ initial: Math.ceil(bytes / PAGE) });
    const instance = new WebAssembly.Instance(new WebAssembly.Module(code), { env: { memory } });
    return new SimdKernels(instance.exports as KernelExports, memory);
  } catch {
    return null; // compilation refused
  }
}
