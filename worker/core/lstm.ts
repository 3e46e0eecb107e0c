// LSTM with exactly torch.nn.LSTM's semantics: forward, and backward through time.
//
// T = sequence length, I = input size of a layer (inputSize for layer 0, D*H above it),
// H = hidden size, G = 4H gate rows in PyTorch's order (i, f, g, o), L = layers, D = directions.
//
// For one layer and direction, with x_t that layer's input at time t:
//   z   = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh        // (G)
//   i = σ(z_i)   f = σ(z_f)   g = tanh(z_g)   o = σ(z_o)
//   c_t = f * c_{t-1} + i * g
//   h_t = o * tanh(c_t)
// The reverse direction runs the same recurrence from t = T-1 down to 0; its "step s" is time
// T-1-s. A layer's output at time t is [h_forward_t | h_reverse_t]; in training, dropout with
// probability p multiplies every layer's output but the last by a mask scaled by 1/(1-p).
//
// Parameters, per layer k and direction, in PyTorch's state_dict order and shapes:
//   weight_ih_l{k}{_reverse}  (G, I)   weight_hh_l{k}{_reverse}  (G, H)
//   bias_ih_l{k}{_reverse}    (G)      bias_hh_l{k}{_reverse}    (G)
// Initialisation as PyTorch's: every parameter uniform in ±1/sqrt(H), in that order.
//
// The hot path (forwardSeq, backwardSeq, stepForward) works on preallocated typed arrays and
// allocates nothing once the caches are as long as the longest sequence seen.

import { CoreError } from './errors';
import { readNested, shapeOf, toMatrix, type Nested } from './nested';
import { allocFloats, ParamArena, type DType, type Floats } from './params';
import { Prng } from './prng';

export interface LSTMOptions {
  inputSize: number;
  hiddenSize: number;
  numLayers?: number; // default 1
  bias?: boolean; // default true
  dropout?: number; // between layers, in training only; default 0
  bidirectional?: boolean; // default false
  seed?: number; // of the initialisation and the dropout masks; default 0
  dtype?: DType; // storage of parameters and caches; default 'float64' when the LSTM owns its arena
}

/** Where a module keeps its parameters: a shared arena and a name prefix ('lstm.'). */
export interface ParamSlot {
  arena?: ParamArena;
  prefix?: string;
}

export interface LSTMState {
  h: Nested; // (D*L, H)
  c: Nested; // (D*L, H)
}

export interface LSTMGradients {
  input: number[][]; // (T, inputSize)
  h0: number[][]; // (D*L, H)
  c0: number[][]; // (D*L, H)
  params: Record<string, number[] | number[][]>;
}

// ---------------------------------------------------------------------------------------------
// Kernels for one layer and one direction. Outputs first, then inputs, then sizes.
// `w` holds the parameters, addressed by offsets pWih (G, I), pWhh (G, H), pBih (G), pBhh (G);
// pBih < 0 means the layer has no bias. Every inner loop is a dot product over contiguous
// memory (the backward pass works on transposed copies to keep it so), four rows at a time.
// No helper here returns a number: V8 boxes a returned double when it does not inline the call,
// and the hot path must not allocate (test/core/alloc.test.ts).

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

/** dst (cols, rows) = transpose of src[off:] (rows, cols). */
export function transpose(dst: Floats, src: Floats, off: number, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) {
    const so = off + r * cols;
    for (let k = 0; k < cols; k++) dst[k * rows + r] = src[so + k];
  }
}

/**
 * Forward through T steps. The caller puts h0 in hs[0:H] and c0 in cs[0:H].
 * Stores what backward needs: activated gates, every h and c, and tanh(c).
 */
export function lstmLayerForward(
  gates: Floats, // (T, G) out: i, f, g, o after their activations, per step
  hs: Floats, // (T+1, H) in: hs[0] = h0; out: hs[s+1] = h after step s
  cs: Floats, // (T+1, H) in: cs[0] = c0; out: cs[s+1] = c after step s
  tcs: Floats, // (T, H) out: tanh(c) after step s
  y: Floats, // out: y[t*yStride + yOff + k] = h at time t
  yStride: number,
  yOff: number,
  x: Floats, // (T, I) layer input, by time
  w: Floats,
  pWih: number,
  pWhh: number,
  pBih: number,
  pBhh: number,
  T: number,
  I: number,
  H: number,
  reverse: boolean,
): void {
  const G = 4 * H;
  for (let s = 0; s < T; s++) {
    const t = reverse ? T - 1 - s : s;
    const xo = t * I;
    const go = s * G;
    const ho = s * H; // h_{prev} and c_{prev} live at ho, this step's at ho + H
    matvec(gates, go, w, pWih, G, I, x, xo, false); // z = W_ih x_t
    matvec(gates, go, w, pWhh, G, H, hs, ho, true); // z += W_hh h_prev
    if (pBih >= 0) for (let r = 0; r < G; r++) gates[go + r] += w[pBih + r] + w[pBhh + r];
    const yo = t * yStride + yOff;
    for (let k = 0; k < H; k++) {
      const ig = 1 / (1 + Math.exp(-gates[go + k]));
      const fg = 1 / (1 + Math.exp(-gates[go + H + k]));
      const gg = Math.tanh(gates[go + 2 * H + k]);
      const og = 1 / (1 + Math.exp(-gates[go + 3 * H + k]));
      gates[go + k] = ig;
      gates[go + H + k] = fg;
      gates[go + 2 * H + k] = gg;
      gates[go + 3 * H + k] = og;
      const c = fg * cs[ho + k] + ig * gg;
      cs[ho + H + k] = c;
      const tc = Math.tanh(c);
      tcs[ho + k] = tc;
      const h = og * tc;
      hs[ho + H + k] = h;
      y[yo + k] = h;
    }
  }
}

/** Scratch of lstmLayerBackward, sized for the largest layer and sequence. */
export interface BackwardScratch {
  whhT: Floats; // (H, G) W_hh transposed
  wihT: Floats; // (I, G) W_ih transposed
  dzT: Floats; // (G, T) dz transposed
  hsT: Floats; // (H, T) h_prev of every step, transposed
  xT: Floats; // (I, T) the input of every step, transposed
}

/**
 * Backward through the T steps of the last lstmLayerForward with the same caches.
 * dh, dc hold d loss / d (h_n, c_n) of this direction on entry and d loss / d (h0, c0) on exit.
 * Parameter gradients and dx accumulate (+=).
 */
export function lstmLayerBackward(
  dx: Floats, // (T, I) out, +=
  dw: Floats, // same layout as w, +=
  dz: Floats, // (T, G) scratch: d loss / d z per step
  dh: Floats, // (H) in/out
  dc: Floats, // (H) in/out
  dy: Floats, // in: dy[t*yStride + yOff + k] = d loss / d y at time t
  yStride: number,
  yOff: number,
  gates: Floats,
  hs: Floats,
  cs: Floats,
  tcs: Floats,
  x: Floats,
  w: Floats,
  pWih: number,
  pWhh: number,
  pBih: number,
  pBhh: number,
  T: number,
  I: number,
  H: number,
  reverse: boolean,
  scratch: BackwardScratch,
): void {
  const G = 4 * H;
  const { whhT, wihT, dzT, hsT, xT } = scratch;
  transpose(whhT, w, pWhh, G, H);
  for (let s = T - 1; s >= 0; s--) {
    const t = reverse ? T - 1 - s : s;
    const go = s * G;
    const ho = s * H;
    const yo = t * yStride + yOff;
    for (let k = 0; k < H; k++) {
      const ig = gates[go + k];
      const fg = gates[go + H + k];
      const gg = gates[go + 2 * H + k];
      const og = gates[go + 3 * H + k];
      const tc = tcs[ho + k];
      const dhk = dh[k] + dy[yo + k];
      // forward: h = o * tanh(c); c = f * c_prev + i * g
      const dck = dc[k] + dhk * og * (1 - tc * tc);
      dz[go + k] = dck * gg * ig * (1 - ig); // through i = σ(z_i)
      dz[go + H + k] = dck * cs[ho + k] * fg * (1 - fg); // through f = σ(z_f)
      dz[go + 2 * H + k] = dck * ig * (1 - gg * gg); // through g = tanh(z_g)
      dz[go + 3 * H + k] = dhk * tc * og * (1 - og); // through o = σ(z_o)
      dc[k] = dck * fg; // d c_prev
    }
    // forward: z += W_hh h_prev, so d h_prev = W_hh^T dz
    matvec(dh, 0, whhT, 0, H, G, dz, go, false);
  }
  // forward: z_s += W_ih x_t, so dx_t += W_ih^T dz_s
  transpose(wihT, w, pWih, G, I);
  for (let s = 0; s < T; s++) {
    const xo = (reverse ? T - 1 - s : s) * I;
    matvec(dx, xo, wihT, 0, I, G, dz, s * G, true);
  }
  // Weight gradients over all steps at once, as dot products over time:
  // dW_ih += dz^T X, dW_hh += dz^T H_prev, db_ih = db_hh += Σ_s dz.
  transpose(dzT, dz, 0, T, G);
  transpose(hsT, hs, 0, T, H); // rows 0..T-1 of hs are the h_prev of steps 0..T-1
  for (let s = 0; s < T; s++) {
    const xo = (reverse ? T - 1 - s : s) * I;
    for (let j = 0; j < I; j++) xT[j * T + s] = x[xo + j];
  }
  for (let r = 0; r < G; r++) {
    const zo = r * T;
    if (pBih >= 0) {
      let sum = 0;
      for (let s = 0; s < T; s++) sum += dzT[zo + s];
      dw[pBih + r] += sum;
      dw[pBhh + r] += sum;
    }
    matvec(dw, pWih + r * I, xT, 0, I, T, dzT, zo, true);
    matvec(dw, pWhh + r * H, hsT, 0, H, T, dzT, zo, true);
  }
}

// ---------------------------------------------------------------------------------------------

interface DirectionCache {
  gates: Floats; // (T, G)
  dz: Floats; // (T, G)
  hs: Floats; // (T+1, H)
  cs: Floats; // (T+1, H)
  tcs: Floats; // (T, H)
}

export class LSTM {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly bias: boolean;
  readonly dropout: number;
  readonly bidirectional: boolean;
  readonly numDirections: number;
  readonly arena: ParamArena;
  readonly prefix: string;
  /** state_dict names without the prefix, in order. */
  readonly paramNames: readonly string[];
  /** Dropout is applied in forward() and forwardSeq() only while training, as in PyTorch. */
  training = true;

  /** (T, D*H) the top layer's output of the last forwardSeq, in its first T*D*H entries. */
  get output(): Floats {
    return this.outs[this.numLayers - 1];
  }
  /** (D*L, H) h and c after the last forwardSeq. */
  readonly hn: Floats;
  readonly cn: Floats;
  /** (T, inputSize) d loss / d input after the last backwardSeq. */
  get dinput(): Floats {
    return this.dins[0];
  }
  /** (D*L, H) d loss / d (h0, c0) after the last backwardSeq. */
  readonly dh0: Floats;
  readonly dc0: Floats;

  private readonly prng: Prng;
  private readonly offsets: Int32Array; // per (layer, direction): pWih, pWhh, pBih, pBhh
  private capacity = 0;
  private caches: DirectionCache[] = [];
  private outs: Floats[] = []; // per layer (T, D*H)
  private dropped: Floats[] = []; // per layer l > 0: (T, D*H) its input after dropout
  private masks: Floats[] = []; // per layer l > 0: (T, D*H) mask / (1 - p)
  private dins: Floats[] = []; // per layer: (T, I_l) d loss / d its input
  private scratch: BackwardScratch;
  private readonly dh: Floats; // (H) scratch
  private readonly dc: Floats;
  private readonly stepZ: Floats; // (G) scratch of stepForward
  private lastT = 0;
  private lastX: Floats | null = null;
  private lastDropout = false;

  constructor(options: LSTMOptions, slot: ParamSlot = {}) {
    const o = validateOptions(options);
    this.inputSize = o.inputSize;
    this.hiddenSize = o.hiddenSize;
    this.numLayers = o.numLayers;
    this.bias = o.bias;
    this.dropout = o.dropout;
    this.bidirectional = o.bidirectional;
    this.numDirections = o.bidirectional ? 2 : 1;
    this.arena = slot.arena ?? new ParamArena(o.dtype ?? 'float64');
    this.prefix = slot.prefix ?? '';
    this.prng = new Prng(o.seed);

    const { hiddenSize: H, numLayers: L, numDirections: D } = this;
    const G = 4 * H;
    const names: string[] = [];
    this.offsets = new Int32Array(L * D * 4);
    for (let l = 0; l < L; l++) {
      const I = l === 0 ? this.inputSize : D * H;
      for (let d = 0; d < D; d++) {
        const sfx = `_l${l}${d === 1 ? '_reverse' : ''}`;
        const add = (name: string, shape: number[]): number => {
          names.push(name);
          return this.arena.add(this.prefix + name, shape);
        };
        const base = (l * D + d) * 4;
        this.offsets[base] = add(`weight_ih${sfx}`, [G, I]);
        this.offsets[base + 1] = add(`weight_hh${sfx}`, [G, H]);
        this.offsets[base + 2] = this.bias ? add(`bias_ih${sfx}`, [G]) : -1;
        this.offsets[base + 3] = this.bias ? add(`bias_hh${sfx}`, [G]) : -1;
      }
    }
    this.paramNames = names;
    const k = 1 / Math.sqrt(H);
    for (const name of names) {
      const e = this.arena.entry(this.prefix + name);
      for (let i = 0; i < e.size; i++) this.arena.data[e.offset + i] = this.prng.uniform(-k, k);
    }
    const dt = this.arena.dtype;
    this.hn = allocFloats(dt, L * D * H);
    this.cn = allocFloats(dt, L * D * H);
    this.dh0 = allocFloats(dt, L * D * H);
    this.dc0 = allocFloats(dt, L * D * H);
    this.dh = allocFloats(dt, H);
    this.dc = allocFloats(dt, H);
    this.stepZ = allocFloats(dt, G);
    this.scratch = { whhT: this.dh, wihT: this.dh, dzT: this.dh, hsT: this.dh, xT: this.dh };
    this.ensureCapacity(1);
  }

  /** Grows the caches to hold sequences of length T (allocates only when T is a new maximum). */
  ensureCapacity(T: number): void {
    if (T <= this.capacity) return;
    const cap = Math.max(T, this.capacity * 2);
    const dt = this.arena.dtype;
    const { hiddenSize: H, numLayers: L, numDirections: D } = this;
    const G = 4 * H;
    this.caches = [];
    for (let i = 0; i < L * D; i++) {
      this.caches.push({
        gates: allocFloats(dt, cap * G),
        dz: allocFloats(dt, cap * G),
        hs: allocFloats(dt, (cap + 1) * H),
        cs: allocFloats(dt, (cap + 1) * H),
        tcs: allocFloats(dt, cap * H),
      });
    }
    this.outs = [];
    this.dropped = [];
    this.masks = [];
    this.dins = [];
    for (let l = 0; l < L; l++) {
      this.outs.push(allocFloats(dt, cap * D * H));
      this.dins.push(allocFloats(dt, cap * (l === 0 ? this.inputSize : D * H)));
      const needs = l > 0 && this.dropout > 0;
      this.dropped.push(allocFloats(dt, needs ? cap * D * H : 0));
      this.masks.push(allocFloats(dt, needs ? cap * D * H : 0));
    }
    const maxI = Math.max(this.inputSize, L > 1 ? D * H : 0);
    this.scratch = {
      whhT: allocFloats(dt, H * G),
      wihT: allocFloats(dt, maxI * G),
      dzT: allocFloats(dt, G * cap),
      hsT: allocFloats(dt, H * cap),
      xT: allocFloats(dt, maxI * cap),
    };
    this.capacity = cap;
  }

  /**
   * Forward over x (T, inputSize) from (h0, c0) (each (D*L, H), or null for zeros).
   * Results: this.output (T, D*H), this.hn, this.cn. Keeps x by reference for backwardSeq:
   * do not change it in between.
   */
  forwardSeq(
    x: Floats,
    T: number,
    h0: Floats | null,
    c0: Floats | null,
    training = this.training,
  ): void {
    this.ensureCapacity(T);
    const { hiddenSize: H, numLayers: L, numDirections: D } = this;
    const w = this.arena.data;
    const drop = training && this.dropout > 0 && L > 1;
    let input = x;
    for (let l = 0; l < L; l++) {
      const I = l === 0 ? this.inputSize : D * H;
      if (l > 0) {
        input = this.outs[l - 1];
        if (drop) input = this.applyDropout(l, T);
      }
      for (let d = 0; d < D; d++) {
        const ld = l * D + d;
        const cache = this.caches[ld];
        for (let k = 0; k < H; k++) {
          cache.hs[k] = h0 ? h0[ld * H + k] : 0;
          cache.cs[k] = c0 ? c0[ld * H + k] : 0;
        }
        const p = ld * 4;
        lstmLayerForward(
          cache.gates,
          cache.hs,
          cache.cs,
          cache.tcs,
          this.outs[l],
          D * H,
          d * H,
          input,
          w,
          this.offsets[p],
          this.offsets[p + 1],
          this.offsets[p + 2],
          this.offsets[p + 3],
          T,
          I,
          H,
          d === 1,
        );
        for (let k = 0; k < H; k++) {
          this.hn[ld * H + k] = cache.hs[T * H + k];
          this.cn[ld * H + k] = cache.cs[T * H + k];
        }
      }
    }
    this.lastT = T;
    this.lastX = x;
    this.lastDropout = drop;
  }

  /**
   * Backward through the last forwardSeq. dy (T, D*H) is d loss / d output; dhn, dcn
   * (D*L, H, or null for zeros) are d loss / d (h_n, c_n). Parameter gradients accumulate into
   * the arena's grad; this.dinput, this.dh0 and this.dc0 are overwritten.
   */
  backwardSeq(dy: Floats, T: number, dhn: Floats | null = null, dcn: Floats | null = null): void {
    if (T !== this.lastT || this.lastX === null) {
      throw new CoreError(
        'bad-call',
        `backwardSeq over ${T} steps, but the last forwardSeq ran ${this.lastT}`,
      );
    }
    const { hiddenSize: H, numLayers: L, numDirections: D } = this;
    const w = this.arena.data;
    const dw = this.arena.grad;
    const { dh, dc } = this;
    let dUp = dy;
    for (let l = L - 1; l >= 0; l--) {
      const I = l === 0 ? this.inputSize : D * H;
      const input = l === 0 ? this.lastX : this.lastDropout ? this.dropped[l] : this.outs[l - 1];
      const din = this.dins[l];
      din.fill(0, 0, T * I);
      for (let d = 0; d < D; d++) {
        const ld = l * D + d;
        const cache = this.caches[ld];
        for (let k = 0; k < H; k++) {
          dh[k] = dhn ? dhn[ld * H + k] : 0;
          dc[k] = dcn ? dcn[ld * H + k] : 0;
        }
        const p = ld * 4;
        lstmLayerBackward(
          din,
          dw,
          cache.dz,
          dh,
          dc,
          dUp,
          D * H,
          d * H,
          cache.gates,
          cache.hs,
          cache.cs,
          cache.tcs,
          input,
          w,
          this.offsets[p],
          this.offsets[p + 1],
          this.offsets[p + 2],
          this.offsets[p + 3],
          T,
          I,
          H,
          d === 1,
          this.scratch,
        );
        for (let k = 0; k < H; k++) {
          this.dh0[ld * H + k] = dh[k];
          this.dc0[ld * H + k] = dc[k];
        }
      }
      if (l > 0 && this.lastDropout) {
        // forward: dropped = out * mask
        const mask = this.masks[l];
        for (let i = 0; i < T * D * H; i++) din[i] *= mask[i];
      }
      dUp = din;
    }
  }

  /**
   * One step of a unidirectional LSTM in evaluation mode, in place: h and c (L, H) hold the
   * state before the step and after it; the top layer's new h is h[(L-1)*H : L*H].
   * x[xOff : xOff + inputSize] is the input. This is how a live state advances and how an
   * autoregressive forecast rolls forward; it allocates nothing.
   */
  stepForward(x: Floats, xOff: number, h: Floats, c: Floats): void {
    if (this.bidirectional)
      throw new CoreError('bad-call', 'stepForward needs a unidirectional LSTM');
    const { hiddenSize: H, numLayers: L } = this;
    const G = 4 * H;
    const w = this.arena.data;
    const z = this.stepZ;
    for (let l = 0; l < L; l++) {
      const I = l === 0 ? this.inputSize : H;
      const inp = l === 0 ? x : h;
      const io = l === 0 ? xOff : (l - 1) * H;
      const ho = l * H;
      const pWih = this.offsets[l * 4];
      const pWhh = this.offsets[l * 4 + 1];
      const pBih = this.offsets[l * 4 + 2];
      const pBhh = this.offsets[l * 4 + 3];
      matvec(z, 0, w, pWih, G, I, inp, io, false);
      matvec(z, 0, w, pWhh, G, H, h, ho, true);
      if (pBih >= 0) for (let r = 0; r < G; r++) z[r] += w[pBih + r] + w[pBhh + r];
      for (let k = 0; k < H; k++) {
        const ig = 1 / (1 + Math.exp(-z[k]));
        const fg = 1 / (1 + Math.exp(-z[H + k]));
        const og = 1 / (1 + Math.exp(-z[3 * H + k]));
        const cv = fg * c[ho + k] + ig * Math.tanh(z[2 * H + k]);
        c[ho + k] = cv;
        h[ho + k] = og * Math.tanh(cv);
      }
    }
  }

  /** The dropout generator's state, to snapshot and restore a model exactly. */
  rngState(): number[] {
    return this.prng.getState();
  }

  setRngState(state: readonly number[]): void {
    this.prng.setState(state);
  }

  /** Reseeds the generator of dropout masks (the initialisation has already been drawn). */
  reseed(seed: number): void {
    this.prng.seed(seed);
  }

  private applyDropout(l: number, T: number): Floats {
    const n = T * this.numDirections * this.hiddenSize;
    const out = this.outs[l - 1];
    const mask = this.masks[l];
    const dropped = this.dropped[l];
    const keep = 1 - this.dropout;
    const scale = 1 / keep;
    this.prng.fillUniform(mask, n);
    for (let i = 0; i < n; i++) {
      const m = mask[i] < keep ? scale : 0;
      mask[i] = m;
      dropped[i] = out[i] * m;
    }
    return dropped;
  }

  // -------------------------------------------------------------------------------------------
  // The convenience layer, in PyTorch's unbatched shapes. Not for the hot path.

  train(mode = true): this {
    this.training = mode;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Shape of a parameter, by its state_dict name. */
  paramShape(name: string): readonly number[] {
    return this.arena.entry(this.prefix + name).shape;
  }

  stateDict(): Record<string, number[] | number[][]> {
    return this.arena.nested(this.prefix, this.paramNames, this.arena.data);
  }

  /**
   * Loads PyTorch-named, PyTorch-shaped parameters. Refuses a missing or extra key, a wrong
   * shape or a non-finite number with a CoreError, and then leaves the model exactly as it was.
   */
  loadStateDict(sd: Record<string, unknown>): void {
    this.arena.load(this.prefix, this.paramNames, sd, 'LSTM.loadStateDict');
  }

  forward(input: Nested, state?: LSTMState): { output: number[][]; h: number[][]; c: number[][] } {
    const { inputSize: I, hiddenSize: H, numLayers: L, numDirections: D } = this;
    const shape = shapeOf(input);
    const T = shape && shape.length === 2 ? shape[0] : 0;
    if (T < 1) {
      throw new CoreError(
        'bad-shape',
        `LSTM.forward: input expected shape [seq, ${I}] with seq >= 1, found ${shape ? `shape [${shape.join(', ')}]` : typeof input}`,
      );
    }
    const dt = this.arena.dtype;
    const x = allocFloats(dt, T * I);
    readNested('LSTM.forward: input', input, [T, I], x);
    let h0: Floats | null = null;
    let c0: Floats | null = null;
    if (state) {
      h0 = allocFloats(dt, D * L * H);
      c0 = allocFloats(dt, D * L * H);
      readNested('LSTM.forward: state.h', state.h, [D * L, H], h0);
      readNested('LSTM.forward: state.c', state.c, [D * L, H], c0);
    }
    this.forwardSeq(x, T, h0, c0);
    return {
      output: toMatrix(this.output, 0, T, D * H),
      h: toMatrix(this.hn, 0, D * L, H),
      c: toMatrix(this.cn, 0, D * L, H),
    };
  }

  /**
   * Gradients of sum(output * dOutput) + sum(h_n * dH) + sum(c_n * dC) through the last
   * forward(): of the input, of the initial state (zeros if none was given) and of every
   * parameter. Returns the gradients of this call alone (the LSTM's grads are zeroed first).
   */
  backward(upstream: { output: Nested; h?: Nested; c?: Nested }): LSTMGradients {
    const { inputSize: I, hiddenSize: H, numLayers: L, numDirections: D } = this;
    const T = this.lastT;
    if (this.lastX === null) throw new CoreError('bad-call', 'LSTM.backward called before forward');
    const dt = this.arena.dtype;
    const dy = allocFloats(dt, T * D * H);
    readNested('LSTM.backward: output', upstream.output, [T, D * H], dy);
    let dhn: Floats | null = null;
    let dcn: Floats | null = null;
    if (upstream.h !== undefined) {
      dhn = allocFloats(dt, D * L * H);
      readNested('LSTM.backward: h', upstream.h, [D * L, H], dhn);
    }
    if (upstream.c !== undefined) {
      dcn = allocFloats(dt, D * L * H);
      readNested('LSTM.backward: c', upstream.c, [D * L, H], dcn);
    }
    this.arena.zeroGradOf(this.prefix, this.paramNames);
    this.backwardSeq(dy, T, dhn, dcn);
    const params = this.arena.nested(this.prefix, this.paramNames, this.arena.grad);
    return {
      input: toMatrix(this.dinput, 0, T, I),
      h0: toMatrix(this.dh0, 0, D * L, H),
      c0: toMatrix(this.dc0, 0, D * L, H),
      params,
    };
  }
}

function validateOptions(o: LSTMOptions): Required<Omit<LSTMOptions, 'dtype'>> & { dtype?: DType } {
  if (o === null || typeof o !== 'object')
    throw new CoreError('bad-config', 'LSTM: options must be an object');
  const int = (name: string, v: unknown, min: number): number => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
      throw new CoreError(
        'bad-config',
        `LSTM: ${name} must be an integer >= ${min}, found ${String(v)}`,
      );
    }
    return v;
  };
  const bool = (name: string, v: unknown, def: boolean): boolean => {
    if (v === undefined) return def;
    if (typeof v !== 'boolean')
      throw new CoreError('bad-config', `LSTM: ${name} must be a boolean, found ${String(v)}`);
    return v;
  };
  const dropout = o.dropout ?? 0;
  if (typeof dropout !== 'number' || !(dropout >= 0 && dropout < 1)) {
    throw new CoreError(
      'bad-config',
      `LSTM: dropout must be a number in [0, 1), found ${String(dropout)}`,
    );
  }
  const seed = o.seed ?? 0;
  if (typeof seed !== 'number' || !Number.isFinite(seed)) {
    throw new CoreError('bad-config', `LSTM: seed must be a finite number, found ${String(seed)}`);
  }
  return {
    inputSize: int('inputSize', o.inputSize, 1),
    hiddenSize: int('hiddenSize', o.hiddenSize, 1),
    numLayers: int('numLayers', o.numLayers ?? 1, 1),
    bias: bool('bias', o.bias, true),
    dropout,
    bidirectional: bool('bidirectional', o.bidirectional, false),
    seed,
    dtype: o.dtype,
  };
}
