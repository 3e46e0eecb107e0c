// What the LSTM and the GRU share: torch.nn.RNNBase's constructor arguments and their checks,
// the batched matrix-vector kernel both cells' gate products run on, dropout between layers,
// and the convenience layer's conversions between PyTorch's shapes and our flat buffers.
//
// T = sequence length, B = batch (PyTorch's N), I = input size, C = a row's width.
// Flat sequences are time-major (T, B, C) unless said otherwise; PyTorch's batch_first layout
// is (B, T, C). A state is (D*L, B, C), as PyTorch's h_0 and c_0.

import { CoreError } from './errors';
import { readNested, shapeOf, toMatrix, type Nested } from './nested';
import { allocFloats, type DType, type Floats } from './params';

export interface RecurrentOptions {
  inputSize: number;
  hiddenSize: number;
  numLayers?: number; // default 1
  bias?: boolean; // default true
  batchFirst?: boolean; // (B, T, I) inputs and outputs instead of (T, B, I); default false
  dropout?: number; // between layers, in training only; default 0
  bidirectional?: boolean; // default false
  seed?: number; // of the initialisation and the dropout masks; default 0
  dtype?: DType; // storage of parameters and caches; default 'float64' when the model owns its arena
}

export type ValidOptions = Required<Omit<RecurrentOptions, 'dtype'>> & { dtype?: DType };

export function validateOptions(what: string, o: RecurrentOptions): ValidOptions {
  if (o === null || typeof o !== 'object')
    throw new CoreError('bad-config', `${what}: options must be an object`);
  const int = (name: string, v: unknown, min: number): number => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
      throw new CoreError(
        'bad-config',
        `${what}: ${name} must be an integer >= ${min}, found ${String(v)}`,
      );
    }
    return v;
  };
  const bool = (name: string, v: unknown, def: boolean): boolean => {
    if (v === undefined) return def;
    if (typeof v !== 'boolean')
      throw new CoreError('bad-config', `${what}: ${name} must be a boolean, found ${String(v)}`);
    return v;
  };
  const dropout = o.dropout ?? 0;
  if (typeof dropout !== 'number' || !(dropout >= 0 && dropout < 1)) {
    throw new CoreError(
      'bad-config',
      `${what}: dropout must be a number in [0, 1), found ${String(dropout)}`,
    );
  }
  const seed = o.seed ?? 0;
  if (typeof seed !== 'number' || !Number.isFinite(seed)) {
    throw new CoreError(
      'bad-config',
      `${what}: seed must be a finite number, found ${String(seed)}`,
    );
  }
  return {
    inputSize: int('inputSize', o.inputSize, 1),
    hiddenSize: int('hiddenSize', o.hiddenSize, 1),
    numLayers: int('numLayers', o.numLayers ?? 1, 1),
    bias: bool('bias', o.bias, true),
    batchFirst: bool('batchFirst', o.batchFirst, false),
    dropout,
    bidirectional: bool('bidirectional', o.bidirectional, false),
    seed,
    dtype: o.dtype,
  };
}

// ---------------------------------------------------------------------------------------------
// Kernels. Outputs first, then inputs, then sizes. No helper here returns a number: V8 boxes a
// returned double when it does not inline the call, and the hot path must not allocate.

/**
 * y[yo + r] (+)= Σ_k A[ao + r*cols + k] * x[xo + k] for r < rows: a row-major matrix times a
 * vector, four rows at a time so each x[k] is loaded once for four products.
 */
export function matvec(
  y: Floats,
  yo: number,
  A: Floats,
  ao: number,
  rows: number,
  cols: number,
  x: Floats,
  xo: number,
  accumulate: boolean,
): void {
  let r = 0;
  for (; r + 3 < rows; r += 4) {
    const o0 = ao + r * cols;
    const o1 = o0 + cols;
    const o2 = o1 + cols;
    const o3 = o2 + cols;
    let a0 = 0;
    let a1 = 0;
    let a2 = 0;
    let a3 = 0;
    for (let k = 0; k < cols; k++) {
      const xk = x[xo + k];
      a0 += A[o0 + k] * xk;
      a1 += A[o1 + k] * xk;
      a2 += A[o2 + k] * xk;
      a3 += A[o3 + k] * xk;
    }
    if (accumulate) {
      y[yo + r] += a0;
      y[yo + r + 1] += a1;
      y[yo + r + 2] += a2;
      y[yo + r + 3] += a3;
    } else {
      y[yo + r] = a0;
      y[yo + r + 1] = a1;
      y[yo + r + 2] = a2;
      y[yo + r + 3] = a3;
    }
  }
  for (; r < rows; r++) {
    const o = ao + r * cols;
    let a = 0;
    for (let k = 0; k < cols; k++) a += A[o + k] * x[xo + k];
    y[yo + r] = accumulate ? y[yo + r] + a : a;
  }
}

/**
 * The same product for nB vectors at once: y[yo + b*ysB + r] (+)= Σ_k A[r, k] x[xo + b*xsB + k].
 * Four vectors and two rows at a time (then two vectors and four rows, then matvec): each loaded
 * weight serves four products, where matvec per vector loads five numbers for four products.
 * npm run bench:windows, accumulateBatch(4) over 4 accumulate calls: 1.26-1.34x with four
 * vectors at a time, 1.07-1.11x with two (alternating runs, load ~8 on 2 cores).
 */
export function matvecBatch(
  y: Floats,
  yo: number,
  ysB: number,
  A: Floats,
  ao: number,
  rows: number,
  cols: number,
  x: Floats,
  xo: number,
  xsB: number,
  nB: number,
  accumulate: boolean,
): void {
  let b = 0;
  for (; b + 3 < nB; b += 4) {
    const x0 = xo + b * xsB;
    const x1 = x0 + xsB;
    const x2 = x1 + xsB;
    const x3 = x2 + xsB;
    const y0 = yo + b * ysB;
    const y1 = y0 + ysB;
    const y2 = y1 + ysB;
    const y3 = y2 + ysB;
    let r = 0;
    for (; r + 1 < rows; r += 2) {
      const o0 = ao + r * cols;
      const o1 = o0 + cols;
      let a0 = 0;
      let a1 = 0;
      let a2 = 0;
      let a3 = 0;
      let c0 = 0;
      let c1 = 0;
      let c2 = 0;
      let c3 = 0;
      for (let k = 0; k < cols; k++) {
        const w0 = A[o0 + k];
        const w1 = A[o1 + k];
        const u0 = x[x0 + k];
        const u1 = x[x1 + k];
        const u2 = x[x2 + k];
        const u3 = x[x3 + k];
        a0 += w0 * u0;
        a1 += w0 * u1;
        a2 += w0 * u2;
        a3 += w0 * u3;
        c0 += w1 * u0;
        c1 += w1 * u1;
        c2 += w1 * u2;
        c3 += w1 * u3;
      }
      if (accumulate) {
        y[y0 + r] += a0;
        y[y1 + r] += a1;
        y[y2 + r] += a2;
        y[y3 + r] += a3;
        y[y0 + r + 1] += c0;
        y[y1 + r + 1] += c1;
        y[y2 + r + 1] += c2;
        y[y3 + r + 1] += c3;
      } else {
        y[y0 + r] = a0;
        y[y1 + r] = a1;
        y[y2 + r] = a2;
        y[y3 + r] = a3;
        y[y0 + r + 1] = c0;
        y[y1 + r + 1] = c1;
        y[y2 + r + 1] = c2;
        y[y3 + r + 1] = c3;
      }
    }
    for (; r < rows; r++) {
      const o = ao + r * cols;
      let a0 = 0;
      let a1 = 0;
      let a2 = 0;
      let a3 = 0;
      for (let k = 0; k < cols; k++) {
        const wk = A[o + k];
        a0 += wk * x[x0 + k];
        a1 += wk * x[x1 + k];
        a2 += wk * x[x2 + k];
        a3 += wk * x[x3 + k];
      }
      y[y0 + r] = accumulate ? y[y0 + r] + a0 : a0;
      y[y1 + r] = accumulate ? y[y1 + r] + a1 : a1;
      y[y2 + r] = accumulate ? y[y2 + r] + a2 : a2;
      y[y3 + r] = accumulate ? y[y3 + r] + a3 : a3;
    }
  }
  for (; b + 1 < nB; b += 2) {
    const x0 = xo + b * xsB;
    const x1 = x0 + xsB;
    const y0 = yo + b * ysB;
    const y1 = y0 + ysB;
    let r = 0;
    for (; r + 3 < rows; r += 4) {
      const o0 = ao + r * cols;
      const o1 = o0 + cols;
      const o2 = o1 + cols;
      const o3 = o2 + cols;
      let a0 = 0;
      let a1 = 0;
      let a2 = 0;
      let a3 = 0;
      let b0 = 0;
      let b1 = 0;
      let b2 = 0;
      let b3 = 0;
      for (let k = 0; k < cols; k++) {
        const u = x[x0 + k];
        const v = x[x1 + k];
        const w0 = A[o0 + k];
        const w1 = A[o1 + k];
        const w2 = A[o2 + k];
        const w3 = A[o3 + k];
        a0 += w0 * u;
        a1 += w1 * u;
        a2 += w2 * u;
        a3 += w3 * u;
        b0 += w0 * v;
        b1 += w1 * v;
        b2 += w2 * v;
        b3 += w3 * v;
      }
      if (accumulate) {
        y[y0 + r] += a0;
        y[y0 + r + 1] += a1;
        y[y0 + r + 2] += a2;
        y[y0 + r + 3] += a3;
        y[y1 + r] += b0;
        y[y1 + r + 1] += b1;
        y[y1 + r + 2] += b2;
        y[y1 + r + 3] += b3;
      } else {
        y[y0 + r] = a0;
        y[y0 + r + 1] = a1;
        y[y0 + r + 2] = a2;
        y[y0 + r + 3] = a3;
        y[y1 + r] = b0;
        y[y1 + r + 1] = b1;
        y[y1 + r + 2] = b2;
        y[y1 + r + 3] = b3;
      }
    }
    for (; r < rows; r++) {
      const o = ao + r * cols;
      let a = 0;
      let c = 0;
      for (let k = 0; k < cols; k++) {
        const wk = A[o + k];
        a += wk * x[x0 + k];
        c += wk * x[x1 + k];
      }
      y[y0 + r] = accumulate ? y[y0 + r] + a : a;
      y[y1 + r] = accumulate ? y[y1 + r] + c : c;
    }
  }
  if (b < nB) matvec(y, yo + b * ysB, A, ao, rows, cols, x, xo + b * xsB, accumulate);
}

/** dst (cols, rows) = transpose of src[off:] (rows, cols). */
export function transpose(dst: Floats, src: Floats, off: number, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) {
    const so = off + r * cols;
    for (let k = 0; k < cols; k++) dst[k * rows + r] = src[so + k];
  }
}

/**
 * xT (C, T*B) = the rows of a sequence x, by step s = 0..T-1 (time T-1-s when reverse) and then
 * batch: xT[j*T*B + s*B + b] = x[t*xsT + b*xsB + j]. Backward passes take weight gradients as
 * dot products over all T*B rows at once.
 */
export function transposeSeq(
  xT: Floats,
  x: Floats,
  xsT: number,
  xsB: number,
  T: number,
  B: number,
  C: number,
  reverse: boolean,
): void {
  const N = T * B;
  for (let s = 0; s < T; s++) {
    const t = reverse ? T - 1 - s : s;
    for (let b = 0; b < B; b++) {
      const xo = t * xsT + b * xsB;
      const n = s * B + b;
      for (let j = 0; j < C; j++) xT[j * N + n] = x[xo + j];
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Dropout between layers: out * mask, the mask drawn per forward and scaled by 1 / (1 - p).

// The probability is read from the model: a double passed to a call V8 does not inline is boxed,
// and this runs once per layer and training step.
export function applyDropoutMask(
  dropped: Floats,
  mask: Floats, // in: uniform draws; out: 0 or 1 / (1 - p)
  out: Floats,
  n: number,
  model: { readonly dropout: number },
): void {
  const keep = 1 - model.dropout;
  const scale = 1 / keep;
  for (let i = 0; i < n; i++) {
    const m = mask[i] < keep ? scale : 0;
    mask[i] = m;
    dropped[i] = out[i] * m;
  }
}

// ---------------------------------------------------------------------------------------------
// The convenience layer's conversions (not the hot path: these allocate).

export type Seq = number[][] | number[][][];

/** A sequence input in PyTorch's shapes: (T, I) unbatched, (T, B, I) or (B, T, I) batched. */
export interface SeqInput {
  x: Floats; // in the input's own layout, flat
  T: number;
  B: number;
  batched: boolean;
}

export function readSequence(
  what: string,
  input: Nested,
  I: number,
  batchFirst: boolean,
  dtype: DType,
): SeqInput {
  const shape = shapeOf(input);
  const dims = shape?.length ?? 0;
  if (dims === 2 || dims === 3) {
    const s = shape as number[];
    const batched = dims === 3;
    const T = batched && batchFirst ? s[1] : s[0];
    const B = batched ? (batchFirst ? s[0] : s[1]) : 1;
    if (T >= 1 && B >= 1) {
      const x = allocFloats(dtype, T * B * I);
      const expected = !batched ? [T, I] : batchFirst ? [B, T, I] : [T, B, I];
      readNested(`${what}: input`, input, expected, x);
      return { x, T, B, batched };
    }
  }
  const want = batchFirst ? `[batch, seq, ${I}]` : `[seq, batch, ${I}]`;
  throw new CoreError(
    'bad-shape',
    `${what}: input expected shape [seq, ${I}] or ${want} with seq >= 1 and batch >= 1, found ${shape ? `shape [${shape.join(', ')}]` : typeof input}`,
  );
}

/** A state (D*L, B, C) given as (D*L, C) when unbatched. */
export function readState(
  what: string,
  v: Nested,
  rows: number,
  B: number,
  C: number,
  batched: boolean,
  dtype: DType,
): Floats {
  const out = allocFloats(dtype, rows * B * C);
  readNested(what, v, batched ? [rows, B, C] : [rows, C], out);
  return out;
}

/** A gradient of a sequence output, given in the output's shape, as time-major (T, B, C). */
export function readSequenceGrad(
  what: string,
  v: Nested,
  T: number,
  B: number,
  C: number,
  batched: boolean,
  batchFirst: boolean,
  dtype: DType,
): Floats {
  const out = allocFloats(dtype, T * B * C);
  if (!batched || !batchFirst) {
    readNested(what, v, batched ? [T, B, C] : [T, C], out);
    return out;
  }
  const bt = allocFloats(dtype, T * B * C);
  readNested(what, v, [B, T, C], bt);
  for (let b = 0; b < B; b++)
    for (let t = 0; t < T; t++)
      for (let j = 0; j < C; j++) out[(t * B + b) * C + j] = bt[(b * T + t) * C + j];
  return out;
}

/** A time-major (T, B, C) sequence in PyTorch's output shape. */
export function sequenceOut(
  y: Floats,
  T: number,
  B: number,
  C: number,
  batched: boolean,
  batchFirst: boolean,
): Seq {
  if (!batched) return toMatrix(y, 0, T, C);
  if (!batchFirst) return Array.from({ length: T }, (_, t) => toMatrix(y, t * B * C, B, C));
  return Array.from({ length: B }, (_, b) =>
    Array.from({ length: T }, (_, t) => {
      const row = new Array<number>(C);
      for (let j = 0; j < C; j++) row[j] = y[(t * B + b) * C + j];
      return row;
    }),
  );
}

/** A flat sequence already in the input's layout ((T, I), (T, B, I) or (B, T, I)), nested. */
export function layoutOut(x: Floats, d0: number, d1: number, C: number, batched: boolean): Seq {
  if (!batched) return toMatrix(x, 0, d0, C);
  return Array.from({ length: d0 }, (_, i) => toMatrix(x, i * d1 * C, d1, C));
}

/** A state (rows, B, C), as (rows, C) when unbatched. */
export function stateOut(s: Floats, rows: number, B: number, C: number, batched: boolean): Seq {
  return layoutOut(s, rows, B, C, batched);
}
