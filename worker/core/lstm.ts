// LSTM with exactly torch.nn.LSTM's semantics: forward, and backward through time, batched.
//
// T = sequence length, B = batch (PyTorch's N), I = input size of a layer (inputSize for layer 0,
// D*P above it), H = hidden size, P = projSize or H (the size of h), G = 4H gate rows in
// PyTorch's order (i, f, g, o), L = layers, D = directions.
//
// For one layer and direction, with x_t that layer's input at time t:
//   z   = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh        // (G)
//   i = σ(z_i)   f = σ(z_f)   g = tanh(z_g)   o = σ(z_o)
//   c_t = f * c_{t-1} + i * g                          // (H)
//   m_t = o * tanh(c_t)                                // (H)
//   h_t = m_t, or W_hr m_t with projSize > 0           // (P)
// The reverse direction runs the same recurrence from t = T-1 down to 0; its "step s" is time
// T-1-s. A layer's output at time t is [h_forward_t | h_reverse_t]; in training, dropout with
// probability p multiplies every layer's output but the last by a mask scaled by 1/(1-p).
// The B sequences of a batch are independent; the kernels run them together so that every
// weight is read once per step for all of them.
//
// Parameters, per layer k and direction, in PyTorch's state_dict order and shapes:
//   weight_ih_l{k}{_reverse}  (G, I)   weight_hh_l{k}{_reverse}  (G, P)
//   bias_ih_l{k}{_reverse}    (G)      bias_hh_l{k}{_reverse}    (G)
//   weight_hr_l{k}{_reverse}  (P, H)   with projSize > 0 only
// Initialisation as PyTorch's: every parameter uniform in ±1/sqrt(H), in that order.
//
// The hot path (forwardBatch, backwardBatch, their B = 1 forms forwardSeq and backwardSeq, and
// stepForward) works on preallocated typed arrays and allocates nothing once the caches are as
// large as the largest T*B and B seen.

import { CoreError } from './errors';
import { type Nested } from './nested';
import { jsKernels, type Kernels } from './kernels';
import { ParamArena, type Floats } from './params';
import { Prng } from './prng';
import {
  applyDropoutMask,
  layoutOut,
  readSequence,
  readSequenceGrad,
  readState,
  sequenceOut,
  stateOut,
  transpose,
  transposeSeq,
  validateOptions,
  type RecurrentOptions,
  type Seq,
} from './recurrent';

export interface LSTMOptions extends RecurrentOptions {
  projSize?: number; // > 0: h = W_hr m of this size (torch.nn.LSTM's proj_size); default 0
}

/** Where a module keeps its parameters: a shared arena and a name prefix ('lstm.'). */
export interface ParamSlot {
  arena?: ParamArena;
  prefix?: string;
}

export interface LSTMState {
  h: Nested; // (D*L, P), or (D*L, B, P) batched
  c: Nested; // (D*L, H), or (D*L, B, H) batched
}

export interface LSTMGradients {
  input: Seq; // the input's shape
  h0: Seq; // (D*L, P), or (D*L, B, P)
  c0: Seq; // (D*L, H), or (D*L, B, H)
  params: Record<string, number[] | number[][]>;
}

// ---------------------------------------------------------------------------------------------
// Kernels for one layer and one direction over a batch. Outputs first, then inputs, then sizes.
// `w` holds the parameters, addressed by offsets pWih (G, I), pWhh (G, P), pBih (G), pBhh (G),
// pWhr (P, H); pBih < 0 means the layer has no bias, pWhr < 0 no projection (P = H).
// Sequence rows are addressed by strides: row (t, b) of x starts at t*xsT + b*xsB; the caches
// are time-major, row (s, b) at (s*B + b) * width.

/**
 * Forward through T steps. The caller puts h0 in hs[0 : B*P] and c0 in cs[0 : B*H].
 * Stores what backward needs: activated gates, every h and c, and tanh(c).
 */
export function lstmLayerForward(
  gates: Floats, // (T, B, G) out: i, f, g, o after their activations, per step
  hs: Floats, // (T+1, B, P) in: hs[0] = h0; out: hs[s+1] = h after step s
  cs: Floats, // (T+1, B, H) in: cs[0] = c0; out: cs[s+1] = c after step s
  tcs: Floats, // (T, B, H) out: tanh(c) after step s
  ms: Floats, // (B, H) scratch: m = o * tanh(c) of a step (projection only)
  y: Floats, // out: y[t*ysT + b*ysB + yOff + k] = h at time t
  ysT: number,
  ysB: number,
  yOff: number,
  x: Floats, // layer input: row (t, b) at t*xsT + b*xsB
  xsT: number,
  xsB: number,
  w: Floats,
  pWih: number,
  pWhh: number,
  pBih: number,
  pBhh: number,
  pWhr: number,
  T: number,
  B: number,
  I: number,
  H: number,
  P: number,
  reverse: boolean,
  k: Kernels = jsKernels,
): void {
  const G = 4 * H;
  const proj = pWhr >= 0;
  for (let s = 0; s < T; s++) {
    const t = reverse ? T - 1 - s : s;
    const go = s * B * G;
    const ho = s * B * P; // h_{prev} rows at ho, this step's at ho + B*P
    const co = s * B * H;
    k.matvecBatch(gates, go, G, w, pWih, G, I, x, t * xsT, xsB, B, false); // z = W_ih x_t
    k.matvecBatch(gates, go, G, w, pWhh, G, P, hs, ho, P, B, true); // z += W_hh h_prev
    for (let b = 0; b < B; b++) {
      const gb = go + b * G;
      const cb = co + b * H;
      const hb = ho + (B + b) * P;
      const yo = t * ysT + b * ysB + yOff;
      const hOut = proj ? ms : hs;
      const ho2 = proj ? b * H : hb;
      if (k.lstmCell(gates, gb, w, pBih, pBhh, cs, cb, cb + B * H, tcs, cb, hOut, ho2, H)) {
        if (!proj) for (let j = 0; j < H; j++) y[yo + j] = hs[hb + j];
        continue;
      }
      if (pBih >= 0) for (let r = 0; r < G; r++) gates[gb + r] += w[pBih + r] + w[pBhh + r];
      for (let k = 0; k < H; k++) {
        const ig = 1 / (1 + Math.exp(-gates[gb + k]));
        const fg = 1 / (1 + Math.exp(-gates[gb + H + k]));
        const gg = Math.tanh(gates[gb + 2 * H + k]);
        const og = 1 / (1 + Math.exp(-gates[gb + 3 * H + k]));
        gates[gb + k] = ig;
        gates[gb + H + k] = fg;
        gates[gb + 2 * H + k] = gg;
        gates[gb + 3 * H + k] = og;
        const c = fg * cs[cb + k] + ig * gg;
        cs[cb + B * H + k] = c;
        const tc = Math.tanh(c);
        tcs[cb + k] = tc;
        const m = og * tc;
        if (proj) {
          ms[b * H + k] = m;
        } else {
          hs[hb + k] = m;
          y[yo + k] = m;
        }
      }
    }
    if (proj) {
      // h = W_hr m
      k.matvecBatch(hs, ho + B * P, P, w, pWhr, P, H, ms, 0, H, B, false);
      for (let b = 0; b < B; b++) {
        const hb = ho + (B + b) * P;
        const yo = t * ysT + b * ysB + yOff;
        for (let k = 0; k < P; k++) y[yo + k] = hs[hb + k];
      }
    }
  }
}

/** Scratch of lstmLayerBackward, sized for the largest layer, T*B and B. */
export interface BackwardScratch {
  whhT: Floats; // (P, G) W_hh transposed
  wihT: Floats; // (I, G) W_ih transposed
  whrT: Floats; // (H, P) W_hr transposed (projection only)
  dzT: Floats; // (G, T*B) dz transposed
  hsT: Floats; // (P, T*B) h_prev of every step, transposed
  xT: Floats; // (I, T*B) the input of every step, transposed
  dhs: Floats; // (T, B, P) d loss / d h of every step (projection only)
  dhsT: Floats; // (P, T*B) dhs transposed (projection only)
  mT: Floats; // (H, T*B) m of every step, transposed (projection only)
  dm: Floats; // (B, H) d loss / d m of a step (projection only)
}

/**
 * Backward through the T steps of the last lstmLayerForward with the same caches.
 * dh (B, P), dc (B, H) hold d loss / d (h_n, c_n) of this direction on entry and
 * d loss / d (h0, c0) on exit. Parameter gradients and dx accumulate (+=).
 */
export function lstmLayerBackward(
  dx: Floats, // same layout as x, +=
  dw: Floats, // same layout as w, +=
  dz: Floats, // (T, B, G) scratch: d loss / d z per step
  dh: Floats, // (B, P) in/out
  dc: Floats, // (B, H) in/out
  dy: Floats, // in: dy[t*ysT + b*ysB + yOff + k] = d loss / d y at time t
  ysT: number,
  ysB: number,
  yOff: number,
  gates: Floats,
  hs: Floats,
  cs: Floats,
  tcs: Floats,
  x: Floats,
  xsT: number,
  xsB: number,
  w: Floats,
  pWih: number,
  pWhh: number,
  pBih: number,
  pBhh: number,
  pWhr: number,
  T: number,
  B: number,
  I: number,
  H: number,
  P: number,
  reverse: boolean,
  scratch: BackwardScratch,
  k: Kernels = jsKernels,
): void {
  const G = 4 * H;
  const N = T * B;
  const proj = pWhr >= 0;
  const { whhT, wihT, whrT, dzT, hsT, xT, dhs, dhsT, mT, dm } = scratch;
  transpose(whhT, w, pWhh, G, P);
  if (proj) transpose(whrT, w, pWhr, P, H);
  for (let s = T - 1; s >= 0; s--) {
    const t = reverse ? T - 1 - s : s;
    const go = s * B * G;
    const co = s * B * H;
    if (proj) {
      // forward: h = W_hr m, so d m = W_hr^T d h
      for (let b = 0; b < B; b++) {
        const yo = t * ysT + b * ysB + yOff;
        const ro = (s * B + b) * P;
        for (let k = 0; k < P; k++) dhs[ro + k] = dh[b * P + k] + dy[yo + k];
      }
      k.matvecBatch(dm, 0, H, whrT, 0, H, P, dhs, s * B * P, P, B, false);
    }
    for (let b = 0; b < B; b++) {
      const gb = go + b * G;
      const cb = co + b * H;
      const yo = t * ysT + b * ysB + yOff;
      for (let k = 0; k < H; k++) {
        const ig = gates[gb + k];
        const fg = gates[gb + H + k];
        const gg = gates[gb + 2 * H + k];
        const og = gates[gb + 3 * H + k];
        const tc = tcs[cb + k];
        const dmk = proj ? dm[b * H + k] : dh[b * H + k] + dy[yo + k];
        // forward: m = o * tanh(c); c = f * c_prev + i * g
        const dck = dc[b * H + k] + dmk * og * (1 - tc * tc);
        dz[gb + k] = dck * gg * ig * (1 - ig); // through i = σ(z_i)
        dz[gb + H + k] = dck * cs[cb + k] * fg * (1 - fg); // through f = σ(z_f)
        dz[gb + 2 * H + k] = dck * ig * (1 - gg * gg); // through g = tanh(z_g)
        dz[gb + 3 * H + k] = dmk * tc * og * (1 - og); // through o = σ(z_o)
        dc[b * H + k] = dck * fg; // d c_prev
      }
    }
    // forward: z += W_hh h_prev, so d h_prev = W_hh^T dz
    k.matvecBatch(dh, 0, P, whhT, 0, P, G, dz, go, G, B, false);
  }
  // forward: z_s += W_ih x_t, so dx_t += W_ih^T dz_s
  transpose(wihT, w, pWih, G, I);
  for (let s = 0; s < T; s++) {
    const t = reverse ? T - 1 - s : s;
    k.matvecBatch(dx, t * xsT, xsB, wihT, 0, I, G, dz, s * B * G, G, B, true);
  }
  // Weight gradients over all steps and sequences at once, as dot products over the N = T*B
  // rows: dW_ih += dz^T X, dW_hh += dz^T H_prev, db_ih = db_hh += Σ_n dz.
  transpose(dzT, dz, 0, N, G);
  transpose(hsT, hs, 0, N, P); // rows 0..N-1 of hs are the h_prev of steps 0..T-1
  transposeSeq(xT, x, xsT, xsB, T, B, I, reverse);
  for (let r = 0; r < G; r++) {
    const zo = r * N;
    if (pBih >= 0) {
      let sum = 0;
      for (let n = 0; n < N; n++) sum += dzT[zo + n];
      dw[pBih + r] += sum;
      dw[pBhh + r] += sum;
    }
    k.matvec(dw, pWih + r * I, xT, 0, I, N, dzT, zo, true);
    k.matvec(dw, pWhh + r * P, hsT, 0, P, N, dzT, zo, true);
  }
  if (proj) {
    // forward: h = W_hr m, so dW_hr += dh^T M over the N rows
    transpose(dhsT, dhs, 0, N, P);
    for (let n = 0; n < N; n++)
      for (let j = 0; j < H; j++) mT[j * N + n] = gates[n * G + 3 * H + j] * tcs[n * H + j];
    for (let p = 0; p < P; p++) k.matvec(dw, pWhr + p * H, mT, 0, H, N, dhsT, p * N, true);
  }
}

// ---------------------------------------------------------------------------------------------

interface DirectionCache {
  gates: Floats; // (T, B, G)
  dz: Floats; // (T, B, G)
  hs: Floats; // (T+1, B, P)
  cs: Floats; // (T+1, B, H)
  tcs: Floats; // (T, B, H)
}

export class LSTM {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly bias: boolean;
  readonly batchFirst: boolean;
  readonly dropout: number;
  readonly bidirectional: boolean;
  readonly projSize: number;
  readonly numDirections: number;
  /** The size of h: projSize, or hiddenSize without projection. */
  readonly outSize: number;
  readonly arena: ParamArena;
  readonly prefix: string;
  /** state_dict names without the prefix, in order. */
  readonly paramNames: readonly string[];
  /** Dropout is applied in forward() and forwardBatch() only while training, as in PyTorch. */
  training = true;

  /** (T, B, D*P) the top layer's output of the last forward pass, time-major, at its start. */
  get output(): Floats {
    return this.outs[this.numLayers - 1];
  }
  /** (D*L, B, P) h and (D*L, B, H) c after the last forward pass. */
  get hn(): Floats {
    return this.hnBuf;
  }
  get cn(): Floats {
    return this.cnBuf;
  }
  /** d loss / d input after the last backward pass, in the input's layout. */
  get dinput(): Floats {
    return this.dins[0];
  }
  /** (D*L, B, P) and (D*L, B, H) d loss / d (h0, c0) after the last backward pass. */
  get dh0(): Floats {
    return this.dh0Buf;
  }
  get dc0(): Floats {
    return this.dc0Buf;
  }

  private readonly prng: Prng;
  /** The arena's kernels: they run the products and allocate every cache. */
  private readonly k: Kernels;
  private readonly offsets: Int32Array; // per (layer, direction): pWih, pWhh, pBih, pBhh, pWhr
  private capRows = 0; // T*B the caches hold
  private capB = 0;
  private caches: DirectionCache[] = [];
  private outs: Floats[] = []; // per layer (T, B, D*P)
  private dropped: Floats[] = []; // per layer l > 0: (T, B, D*P) its input after dropout
  private masks: Floats[] = []; // per layer l > 0: (T, B, D*P) mask / (1 - p)
  private dins: Floats[] = []; // per layer: d loss / d its input, in its input's layout
  private scratch!: BackwardScratch;
  private hnBuf!: Floats;
  private cnBuf!: Floats;
  private dh0Buf!: Floats;
  private dc0Buf!: Floats;
  private dh!: Floats; // (B, P) scratch
  private dc!: Floats; // (B, H)
  private ms!: Floats; // (B, H)
  private readonly stepZ: Floats; // (G) scratch of stepForward
  private readonly stepM: Floats; // (H)
  private readonly stepT: Floats; // (H) tanh(c) of the SIMD cell
  private lastT = 0;
  private lastB = 0;
  private lastX: Floats | null = null;
  private lastXsT = 0;
  private lastXsB = 0;
  private lastDropout = false;
  private lastBatched = false; // of the convenience forward()

  constructor(options: LSTMOptions, slot: ParamSlot = {}) {
    const o = validateOptions('LSTM', options);
    const projSize = options.projSize ?? 0;
    if (typeof projSize !== 'number' || !Number.isInteger(projSize) || projSize < 0) {
      throw new CoreError(
        'bad-config',
        `LSTM: projSize must be an integer >= 0, found ${String(projSize)}`,
      );
    }
    if (projSize >= o.hiddenSize) {
      throw new CoreError(
        'bad-config',
        `LSTM: projSize must be smaller than hiddenSize (${o.hiddenSize}), found ${projSize}`,
      );
    }
    this.inputSize = o.inputSize;
    this.hiddenSize = o.hiddenSize;
    this.numLayers = o.numLayers;
    this.bias = o.bias;
    this.batchFirst = o.batchFirst;
    this.dropout = o.dropout;
    this.bidirectional = o.bidirectional;
    this.projSize = projSize;
    this.numDirections = o.bidirectional ? 2 : 1;
    this.outSize = projSize > 0 ? projSize : o.hiddenSize;
    this.arena = slot.arena ?? new ParamArena(o.dtype ?? 'float64');
    this.k = this.arena.kernels ?? jsKernels;
    this.prefix = slot.prefix ?? '';
    this.prng = new Prng(o.seed);

    const { hiddenSize: H, numLayers: L, numDirections: D, outSize: P } = this;
    const G = 4 * H;
    const names: string[] = [];
    this.offsets = new Int32Array(L * D * 5);
    for (let l = 0; l < L; l++) {
      const I = l === 0 ? this.inputSize : D * P;
      for (let d = 0; d < D; d++) {
        const sfx = `_l${l}${d === 1 ? '_reverse' : ''}`;
        const add = (name: string, shape: number[]): number => {
          names.push(name);
          return this.arena.add(this.prefix + name, shape);
        };
        const base = (l * D + d) * 5;
        this.offsets[base] = add(`weight_ih${sfx}`, [G, I]);
        this.offsets[base + 1] = add(`weight_hh${sfx}`, [G, P]);
        this.offsets[base + 2] = this.bias ? add(`bias_ih${sfx}`, [G]) : -1;
        this.offsets[base + 3] = this.bias ? add(`bias_hh${sfx}`, [G]) : -1;
        this.offsets[base + 4] = projSize > 0 ? add(`weight_hr${sfx}`, [P, H]) : -1;
      }
    }
    this.paramNames = names;
    const k = 1 / Math.sqrt(H);
    for (const name of names) {
      const e = this.arena.entry(this.prefix + name);
      for (let i = 0; i < e.size; i++) this.arena.data[e.offset + i] = this.prng.uniform(-k, k);
    }
    const dt = this.arena.dtype;
    this.stepZ = this.k.alloc(dt, G);
    this.stepM = this.k.alloc(dt, H);
    this.stepT = this.k.alloc(dt, H);
    this.ensureCapacity(1, 1);
  }

  /** Grows the caches to hold B sequences of length T (allocates only for a new maximum). */
  ensureCapacity(T: number, B = 1): void {
    if (T * B <= this.capRows && B <= this.capB) return;
    const rows = Math.max(T * B, this.capRows * 2);
    const capB = Math.max(B, this.capB);
    const dt = this.arena.dtype;
    const { hiddenSize: H, numLayers: L, numDirections: D, outSize: P } = this;
    const G = 4 * H;
    const proj = this.projSize > 0;
    this.caches = [];
    for (let i = 0; i < L * D; i++) {
      this.caches.push({
        gates: this.k.alloc(dt, rows * G),
        dz: this.k.alloc(dt, rows * G),
        hs: this.k.alloc(dt, (rows + capB) * P),
        cs: this.k.alloc(dt, (rows + capB) * H),
        tcs: this.k.alloc(dt, rows * H),
      });
    }
    this.outs = [];
    this.dropped = [];
    this.masks = [];
    this.dins = [];
    for (let l = 0; l < L; l++) {
      this.outs.push(this.k.alloc(dt, rows * D * P));
      this.dins.push(this.k.alloc(dt, rows * (l === 0 ? this.inputSize : D * P)));
      const needs = l > 0 && this.dropout > 0;
      this.dropped.push(this.k.alloc(dt, needs ? rows * D * P : 0));
      this.masks.push(this.k.alloc(dt, needs ? rows * D * P : 0));
    }
    const maxI = Math.max(this.inputSize, L > 1 ? D * P : 0);
    this.scratch = {
      whhT: this.k.alloc(dt, P * G),
      wihT: this.k.alloc(dt, maxI * G),
      whrT: this.k.alloc(dt, proj ? H * P : 0),
      dzT: this.k.alloc(dt, G * rows),
      hsT: this.k.alloc(dt, P * rows),
      xT: this.k.alloc(dt, maxI * rows),
      dhs: this.k.alloc(dt, proj ? rows * P : 0),
      dhsT: this.k.alloc(dt, proj ? rows * P : 0),
      mT: this.k.alloc(dt, proj ? rows * H : 0),
      dm: this.k.alloc(dt, proj ? capB * H : 0),
    };
    this.hnBuf = this.k.alloc(dt, L * D * capB * P);
    this.cnBuf = this.k.alloc(dt, L * D * capB * H);
    this.dh0Buf = this.k.alloc(dt, L * D * capB * P);
    this.dc0Buf = this.k.alloc(dt, L * D * capB * H);
    this.dh = this.k.alloc(dt, capB * P);
    this.dc = this.k.alloc(dt, capB * H);
    this.ms = this.k.alloc(dt, capB * H);
    this.capRows = rows;
    this.capB = capB;
  }

  /**
   * Forward over x (T, inputSize) from (h0, c0) ((D*L, P) and (D*L, H), or null for zeros):
   * forwardBatch with B = 1.
   */
  forwardSeq(
    x: Floats,
    T: number,
    h0: Floats | null,
    c0: Floats | null,
    training = this.training,
  ): void {
    this.forwardBatch(x, T, 1, h0, c0, training, false);
  }

  /**
   * Forward over B sequences x of length T, (T, B, inputSize), or (B, T, inputSize) when
   * batchFirst, from (h0, c0) ((D*L, B, P) and (D*L, B, H), or null for zeros).
   * Results: this.output (T, B, D*P) time-major whatever the input's layout, this.hn, this.cn.
   * Keeps x by reference for backwardBatch: do not change it in between.
   */
  forwardBatch(
    x: Floats,
    T: number,
    B: number,
    h0: Floats | null,
    c0: Floats | null,
    training = this.training,
    batchFirst = this.batchFirst,
  ): void {
    this.ensureCapacity(T, B);
    const { hiddenSize: H, numLayers: L, numDirections: D, outSize: P } = this;
    const w = this.arena.data;
    const drop = training && this.dropout > 0 && L > 1;
    let input = x;
    let xsT = batchFirst ? this.inputSize : B * this.inputSize;
    let xsB = batchFirst ? T * this.inputSize : this.inputSize;
    this.lastXsT = xsT;
    this.lastXsB = xsB;
    for (let l = 0; l < L; l++) {
      const I = l === 0 ? this.inputSize : D * P;
      if (l > 0) {
        input = this.outs[l - 1];
        if (drop) {
          const n = T * B * D * P;
          this.prng.fillUniform(this.masks[l], n);
          applyDropoutMask(this.dropped[l], this.masks[l], input, n, this);
          input = this.dropped[l];
        }
        xsT = B * D * P;
        xsB = D * P;
      }
      for (let d = 0; d < D; d++) {
        const ld = l * D + d;
        const cache = this.caches[ld];
        for (let i = 0; i < B * P; i++) cache.hs[i] = h0 ? h0[ld * B * P + i] : 0;
        for (let i = 0; i < B * H; i++) cache.cs[i] = c0 ? c0[ld * B * H + i] : 0;
        const p = ld * 5;
        lstmLayerForward(
          cache.gates,
          cache.hs,
          cache.cs,
          cache.tcs,
          this.ms,
          this.outs[l],
          B * D * P,
          D * P,
          d * P,
          input,
          xsT,
          xsB,
          w,
          this.offsets[p],
          this.offsets[p + 1],
          this.offsets[p + 2],
          this.offsets[p + 3],
          this.offsets[p + 4],
          T,
          B,
          I,
          H,
          P,
          d === 1,
          this.k,
        );
        for (let i = 0; i < B * P; i++) this.hnBuf[ld * B * P + i] = cache.hs[T * B * P + i];
        for (let i = 0; i < B * H; i++) this.cnBuf[ld * B * H + i] = cache.cs[T * B * H + i];
      }
    }
    this.lastT = T;
    this.lastB = B;
    this.lastX = x;
    this.lastDropout = drop;
  }

  /** backwardBatch with B = 1: dy (T, D*P), dhn (D*L, P), dcn (D*L, H). */
  backwardSeq(dy: Floats, T: number, dhn: Floats | null = null, dcn: Floats | null = null): void {
    this.backwardBatch(dy, T, 1, dhn, dcn);
  }

  /**
   * Backward through the last forwardBatch. dy (T, B, D*P), time-major, is d loss / d output;
   * dhn (D*L, B, P) and dcn (D*L, B, H), or null for zeros, are d loss / d (h_n, c_n).
   * Parameter gradients accumulate into the arena's grad; this.dinput (in the input's layout),
   * this.dh0 and this.dc0 are overwritten.
   */
  backwardBatch(
    dy: Floats,
    T: number,
    B: number,
    dhn: Floats | null = null,
    dcn: Floats | null = null,
  ): void {
    if (T !== this.lastT || B !== this.lastB || this.lastX === null) {
      throw new CoreError(
        'bad-call',
        `backward over ${T} steps of ${B}, but the last forward ran ${this.lastT} of ${this.lastB}`,
      );
    }
    const { hiddenSize: H, numLayers: L, numDirections: D, outSize: P } = this;
    const w = this.arena.data;
    const dw = this.arena.grad;
    const { dh, dc } = this;
    let dUp = dy;
    for (let l = L - 1; l >= 0; l--) {
      const I = l === 0 ? this.inputSize : D * P;
      const input = l === 0 ? this.lastX : this.lastDropout ? this.dropped[l] : this.outs[l - 1];
      const xsT = l === 0 ? this.lastXsT : B * D * P;
      const xsB = l === 0 ? this.lastXsB : D * P;
      const din = this.dins[l];
      din.fill(0, 0, T * B * I);
      for (let d = 0; d < D; d++) {
        const ld = l * D + d;
        const cache = this.caches[ld];
        for (let i = 0; i < B * P; i++) dh[i] = dhn ? dhn[ld * B * P + i] : 0;
        for (let i = 0; i < B * H; i++) dc[i] = dcn ? dcn[ld * B * H + i] : 0;
        const p = ld * 5;
        lstmLayerBackward(
          din,
          dw,
          cache.dz,
          dh,
          dc,
          dUp,
          B * D * P,
          D * P,
          d * P,
          cache.gates,
          cache.hs,
          cache.cs,
          cache.tcs,
          input,
          xsT,
          xsB,
          w,
          this.offsets[p],
          this.offsets[p + 1],
          this.offsets[p + 2],
          this.offsets[p + 3],
          this.offsets[p + 4],
          T,
          B,
          I,
          H,
          P,
          d === 1,
          this.scratch,
          this.k,
        );
        for (let i = 0; i < B * P; i++) this.dh0Buf[ld * B * P + i] = dh[i];
        for (let i = 0; i < B * H; i++) this.dc0Buf[ld * B * H + i] = dc[i];
      }
      if (l > 0 && this.lastDropout) {
        // forward: dropped = out * mask
        const mask = this.masks[l];
        for (let i = 0; i < T * B * D * P; i++) din[i] *= mask[i];
      }
      dUp = din;
    }
  }

  /**
   * One step of a unidirectional LSTM in evaluation mode, in place: h (L, P) and c (L, H) hold
   * the state before the step and after it; the top layer's new h is h[(L-1)*P : L*P].
   * x[xOff : xOff + inputSize] is the input. This is how a live state advances and how an
   * autoregressive forecast rolls forward; it allocates nothing.
   */
  stepForward(x: Floats, xOff: number, h: Floats, c: Floats): void {
    if (this.bidirectional)
      throw new CoreError('bad-call', 'stepForward needs a unidirectional LSTM');
    const { hiddenSize: H, numLayers: L, outSize: P } = this;
    const G = 4 * H;
    const k = this.k;
    const w = this.arena.data;
    const z = this.stepZ;
    const m = this.stepM;
    for (let l = 0; l < L; l++) {
      const I = l === 0 ? this.inputSize : P;
      const inp = l === 0 ? x : h;
      const io = l === 0 ? xOff : (l - 1) * P;
      const ho = l * P;
      const co = l * H;
      const pWih = this.offsets[l * 5];
      const pWhh = this.offsets[l * 5 + 1];
      const pBih = this.offsets[l * 5 + 2];
      const pBhh = this.offsets[l * 5 + 3];
      const pWhr = this.offsets[l * 5 + 4];
      k.matvec(z, 0, w, pWih, G, I, inp, io, false);
      k.matvec(z, 0, w, pWhh, G, P, h, ho, true);
      const hOut = pWhr >= 0 ? m : h;
      const hOff = pWhr >= 0 ? 0 : ho;
      if (!k.lstmCell(z, 0, w, pBih, pBhh, c, co, co, this.stepT, 0, hOut, hOff, H)) {
        if (pBih >= 0) for (let r = 0; r < G; r++) z[r] += w[pBih + r] + w[pBhh + r];
        for (let k = 0; k < H; k++) {
          const ig = 1 / (1 + Math.exp(-z[k]));
          const fg = 1 / (1 + Math.exp(-z[H + k]));
          const og = 1 / (1 + Math.exp(-z[3 * H + k]));
          const cv = fg * c[co + k] + ig * Math.tanh(z[2 * H + k]);
          c[co + k] = cv;
          if (pWhr >= 0) m[k] = og * Math.tanh(cv);
          else h[ho + k] = og * Math.tanh(cv);
        }
      }
      if (pWhr >= 0) k.matvec(h, ho, w, pWhr, P, H, m, 0, false);
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

  // -------------------------------------------------------------------------------------------
  // The convenience layer, in PyTorch's shapes: (T, I) unbatched, (T, B, I) batched or
  // (B, T, I) batched with batchFirst; states (D*L, [B,] P) and (D*L, [B,] H). Not for the hot
  // path.

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

  /** output in the input's shape with D*P features; h (D*L, [B,] P), c (D*L, [B,] H). */
  forward(input: Nested, state?: LSTMState): { output: Seq; h: Seq; c: Seq } {
    const { inputSize: I, hiddenSize: H, numLayers: L, numDirections: D, outSize: P } = this;
    const dt = this.arena.dtype;
    const { x, T, B, batched } = readSequence('LSTM.forward', input, I, this.batchFirst, dt);
    let h0: Floats | null = null;
    let c0: Floats | null = null;
    if (state) {
      h0 = readState('LSTM.forward: state.h', state.h, D * L, B, P, batched, dt);
      c0 = readState('LSTM.forward: state.c', state.c, D * L, B, H, batched, dt);
    }
    this.forwardBatch(x, T, B, h0, c0, this.training, batched && this.batchFirst);
    this.lastBatched = batched;
    return {
      output: sequenceOut(this.output, T, B, D * P, batched, this.batchFirst),
      h: stateOut(this.hn, D * L, B, P, batched),
      c: stateOut(this.cn, D * L, B, H, batched),
    };
  }

  /**
   * Gradients of sum(output * dOutput) + sum(h_n * dH) + sum(c_n * dC) through the last
   * forward(), upstream gradients in the shapes forward() returned: of the input, of the
   * initial state (zeros if none was given) and of every parameter. Returns the gradients of
   * this call alone (the LSTM's grads are zeroed first).
   */
  backward(upstream: { output: Nested; h?: Nested; c?: Nested }): LSTMGradients {
    const { inputSize: I, hiddenSize: H, numLayers: L, numDirections: D, outSize: P } = this;
    const T = this.lastT;
    const B = this.lastB;
    const batched = this.lastBatched;
    if (this.lastX === null) throw new CoreError('bad-call', 'LSTM.backward called before forward');
    const dt = this.arena.dtype;
    const bf = this.batchFirst;
    const dy = readSequenceGrad(
      'LSTM.backward: output',
      upstream.output,
      T,
      B,
      D * P,
      batched,
      bf,
      dt,
    );
    const dhn =
      upstream.h === undefined
        ? null
        : readState('LSTM.backward: h', upstream.h, D * L, B, P, batched, dt);
    const dcn =
      upstream.c === undefined
        ? null
        : readState('LSTM.backward: c', upstream.c, D * L, B, H, batched, dt);
    this.arena.zeroGradOf(this.prefix, this.paramNames);
    this.backwardBatch(dy, T, B, dhn, dcn);
    const params = this.arena.nested(this.prefix, this.paramNames, this.arena.grad);
    return {
      input:
        batched && bf
          ? layoutOut(this.dinput, B, T, I, true)
          : layoutOut(this.dinput, T, B, I, batched),
      h0: stateOut(this.dh0, D * L, B, P, batched),
      c0: stateOut(this.dc0, D * L, B, H, batched),
      params,
    };
  }
}
