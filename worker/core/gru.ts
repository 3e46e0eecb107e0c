// GRU with exactly torch.nn.GRU's semantics: forward, and backward through time, batched.
//
// T = sequence length, B = batch (PyTorch's N), I = input size of a layer (inputSize for layer 0,
// D*H above it), H = hidden size, G = 3H gate rows in PyTorch's order (r, z, n), L = layers,
// D = directions.
//
// For one layer and direction, with x_t that layer's input at time t:
//   r   = σ(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)
//   z   = σ(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)
//   n   = tanh(W_in x_t + b_in + r * (W_hn h_{t-1} + b_hn))     // b_hn inside the product
//   h_t = (1 - z) * n + z * h_{t-1}
// Directions, layers, dropout and batches as in the LSTM (lstm.ts).
//
// Parameters, per layer k and direction, in PyTorch's state_dict order and shapes:
//   weight_ih_l{k}{_reverse}  (G, I)   weight_hh_l{k}{_reverse}  (G, H)
//   bias_ih_l{k}{_reverse}    (G)      bias_hh_l{k}{_reverse}    (G)
// Initialisation as PyTorch's: every parameter uniform in ±1/sqrt(H), in that order.

import { CoreError } from './errors';
import type { ParamSlot } from './lstm';
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

export type GRUOptions = RecurrentOptions;

export interface GRUGradients {
  input: Seq; // the input's shape
  h0: Seq; // (D*L, H), or (D*L, B, H)
  params: Record<string, number[] | number[][]>;
}

/**
 * Forward through T steps of one layer and direction. The caller puts h0 in hs[0 : B*H].
 * Stores what backward needs: the activated gates, every h, and W_hn h_prev + b_hn.
 */
export function gruLayerForward(
  gates: Floats, // (T, B, G) out: r, z, n after their activations
  ghn: Floats, // (T, B, H) out: W_hn h_prev + b_hn
  gh: Floats, // (B, G) scratch: W_hh h_prev
  hs: Floats, // (T+1, B, H) in: hs[0] = h0; out: hs[s+1] = h after step s
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
  T: number,
  B: number,
  I: number,
  H: number,
  reverse: boolean,
  k: Kernels = jsKernels,
): void {
  const G = 3 * H;
  const bias = pBih >= 0;
  for (let s = 0; s < T; s++) {
    const t = reverse ? T - 1 - s : s;
    const go = s * B * G;
    const ho = s * B * H;
    k.matvecBatch(gates, go, G, w, pWih, G, I, x, t * xsT, xsB, B, false); // W_ih x_t
    k.matvecBatch(gh, 0, G, w, pWhh, G, H, hs, ho, H, B, false); // W_hh h_prev
    for (let b = 0; b < B; b++) {
      const gb = go + b * G;
      const hb = b * G;
      const pb = ho + b * H;
      const yo = t * ysT + b * ysB + yOff;
      if (k.gruCell(gates, gb, gh, hb, w, pBih, pBhh, hs, pb, pb + B * H, ghn, pb, y, yo, H)) {
        continue;
      }
      for (let k = 0; k < H; k++) {
        let ar = gates[gb + k] + gh[hb + k];
        let az = gates[gb + H + k] + gh[hb + H + k];
        let an = gates[gb + 2 * H + k];
        let hn = gh[hb + 2 * H + k];
        if (bias) {
          ar += w[pBih + k] + w[pBhh + k];
          az += w[pBih + H + k] + w[pBhh + H + k];
          an += w[pBih + 2 * H + k];
          hn += w[pBhh + 2 * H + k];
        }
        const r = 1 / (1 + Math.exp(-ar));
        const z = 1 / (1 + Math.exp(-az));
        const n = Math.tanh(an + r * hn);
        gates[gb + k] = r;
        gates[gb + H + k] = z;
        gates[gb + 2 * H + k] = n;
        ghn[pb + k] = hn;
        const h = n + z * (hs[pb + k] - n); // (1 - z) n + z h_prev
        hs[pb + B * H + k] = h;
        y[yo + k] = h;
      }
    }
  }
}

/** Scratch of gruLayerBackward, sized for the largest layer and T*B. */
export interface GRUBackwardScratch {
  whhT: Floats; // (H, G)
  wihT: Floats; // (I, G)
  dnT: Floats; // (H, T*B) da's n rows transposed (its r, z rows are db's)
  dbT: Floats; // (G, T*B) db transposed
  hsT: Floats; // (H, T*B) h_prev of every step, transposed
  xT: Floats; // (I, T*B)
}

/**
 * Backward through the T steps of the last gruLayerForward with the same caches. dh (B, H)
 * holds d loss / d h_n of this direction on entry and d loss / d h0 on exit. Parameter
 * gradients and dx accumulate (+=).
 */
export function gruLayerBackward(
  dx: Floats, // same layout as x, +=
  dw: Floats, // +=
  da: Floats, // (T, B, G) scratch: d loss / d (W_ih x + b_ih), per gate
  db: Floats, // (T, B, G) scratch: d loss / d (W_hh h_prev + b_hh), per gate
  dh: Floats, // (B, H) in/out
  dy: Floats,
  ysT: number,
  ysB: number,
  yOff: number,
  gates: Floats,
  ghn: Floats,
  hs: Floats,
  x: Floats,
  xsT: number,
  xsB: number,
  w: Floats,
  pWih: number,
  pWhh: number,
  pBih: number,
  pBhh: number,
  T: number,
  B: number,
  I: number,
  H: number,
  reverse: boolean,
  scratch: GRUBackwardScratch,
  k: Kernels = jsKernels,
): void {
  const G = 3 * H;
  const N = T * B;
  const { whhT, wihT, dnT, dbT, hsT, xT } = scratch;
  transpose(whhT, w, pWhh, G, H);
  for (let s = T - 1; s >= 0; s--) {
    const t = reverse ? T - 1 - s : s;
    const go = s * B * G;
    const ho = s * B * H;
    for (let b = 0; b < B; b++) {
      const gb = go + b * G;
      const pb = ho + b * H;
      const yo = t * ysT + b * ysB + yOff;
      const n0 = s * B + b; // this row's column in dbT and dnT
      for (let k = 0; k < H; k++) {
        const r = gates[gb + k];
        const z = gates[gb + H + k];
        const n = gates[gb + 2 * H + k];
        const dhk = dh[b * H + k] + dy[yo + k];
        // forward: h = (1 - z) n + z h_prev; n = tanh(a_n + r * hn); r, z = σ(...)
        const dn = dhk * (1 - z) * (1 - n * n); // d (a_n + r * hn)
        const dzp = dhk * (hs[pb + k] - n) * z * (1 - z);
        const drp = dn * ghn[pb + k] * r * (1 - r);
        const dhn = dn * r;
        da[gb + k] = drp;
        da[gb + H + k] = dzp;
        da[gb + 2 * H + k] = dn;
        db[gb + k] = drp;
        db[gb + H + k] = dzp;
        db[gb + 2 * H + k] = dhn;
        // the same, transposed for the weight gradients below
        dbT[k * N + n0] = drp;
        dbT[(H + k) * N + n0] = dzp;
        dbT[(2 * H + k) * N + n0] = dhn;
        dnT[k * N + n0] = dn;
        dh[b * H + k] = dhk * z; // the direct path z h_prev
      }
    }
    // forward: gh = W_hh h_prev, so d h_prev += W_hh^T db
    k.matvecBatch(dh, 0, H, whhT, 0, H, G, db, go, G, B, true);
  }
  // forward: gi = W_ih x_t, so dx_t += W_ih^T da
  transpose(wihT, w, pWih, G, I);
  for (let s = 0; s < T; s++) {
    const t = reverse ? T - 1 - s : s;
    k.matvecBatch(dx, t * xsT, xsB, wihT, 0, I, G, da, s * B * G, G, B, true);
  }
  // dW_ih += da^T X, dW_hh += db^T H_prev, db_ih += Σ da, db_hh += Σ db, over the N rows: each
  // gate row's gradient is H_prev (or X) times that row of dbT, all G rows in one product.
  transpose(hsT, hs, 0, N, H);
  transposeSeq(xT, x, xsT, xsB, T, B, I, reverse);
  if (pBih >= 0) {
    for (let r = 0; r < G; r++) {
      const zo = r * N;
      let sb = 0;
      for (let n = 0; n < N; n++) sb += dbT[zo + n];
      dw[pBhh + r] += sb;
      if (r < 2 * H) dw[pBih + r] += sb;
    }
    for (let r = 0; r < H; r++) {
      let sa = 0;
      for (let n = 0; n < N; n++) sa += dnT[r * N + n];
      dw[pBih + 2 * H + r] += sa;
    }
  }
  k.matvecBatch(dw, pWih, I, xT, 0, I, N, dbT, 0, N, 2 * H, true); // r, z rows: da = db
  k.matvecBatch(dw, pWih + 2 * H * I, I, xT, 0, I, N, dnT, 0, N, H, true);
  k.matvecBatch(dw, pWhh, H, hsT, 0, H, N, dbT, 0, N, G, true);
}

interface DirectionCache {
  gates: Floats; // (T, B, G)
  ghn: Floats; // (T, B, H)
  da: Floats; // (T, B, G)
  db: Floats; // (T, B, G)
  hs: Floats; // (T+1, B, H)
}

export class GRU {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly bias: boolean;
  readonly batchFirst: boolean;
  readonly dropout: number;
  readonly bidirectional: boolean;
  readonly numDirections: number;
  /** The size of h (hiddenSize: a GRU has no projection). */
  readonly outSize: number;
  readonly arena: ParamArena;
  readonly prefix: string;
  readonly paramNames: readonly string[];
  training = true;

  /** (T, B, D*H) the top layer's output of the last forward pass, time-major. */
  get output(): Floats {
    return this.outs[this.numLayers - 1];
  }
  /** (D*L, B, H) h after the last forward pass. */
  get hn(): Floats {
    return this.hnBuf;
  }
  /** d loss / d input after the last backward pass, in the input's layout. */
  get dinput(): Floats {
    return this.dins[0];
  }
  /** (D*L, B, H) d loss / d h0 after the last backward pass. */
  get dh0(): Floats {
    return this.dh0Buf;
  }

  private readonly prng: Prng;
  /** The arena's kernels: they run the products and allocate every cache. */
  private readonly k: Kernels;
  private readonly offsets: Int32Array; // per (layer, direction): pWih, pWhh, pBih, pBhh
  private capRows = 0;
  private capB = 0;
  private caches: DirectionCache[] = [];
  private outs: Floats[] = [];
  private dropped: Floats[] = [];
  private masks: Floats[] = [];
  private dins: Floats[] = [];
  private scratch!: GRUBackwardScratch;
  private hnBuf!: Floats;
  private dh0Buf!: Floats;
  private dh!: Floats; // (B, H)
  private gh!: Floats; // (B, G)
  private readonly stepA: Floats; // (G) scratch of stepForward
  private readonly stepH: Floats; // (G)
  private lastT = 0;
  private lastB = 0;
  private lastX: Floats | null = null;
  private lastXsT = 0;
  private lastXsB = 0;
  private lastDropout = false;
  private lastBatched = false;

  constructor(options: GRUOptions, slot: ParamSlot = {}) {
    if (options !== null && typeof options === 'object' && 'projSize' in options) {
      throw new CoreError('bad-config', 'GRU: projSize is an LSTM option (torch.nn.GRU has none)');
    }
    const o = validateOptions('GRU', options);
    this.inputSize = o.inputSize;
    this.hiddenSize = o.hiddenSize;
    this.numLayers = o.numLayers;
    this.bias = o.bias;
    this.batchFirst = o.batchFirst;
    this.dropout = o.dropout;
    this.bidirectional = o.bidirectional;
    this.numDirections = o.bidirectional ? 2 : 1;
    this.outSize = o.hiddenSize;
    this.arena = slot.arena ?? new ParamArena(o.dtype ?? 'float64');
    this.k = this.arena.kernels ?? jsKernels;
    this.prefix = slot.prefix ?? '';
    this.prng = new Prng(o.seed);

    const { hiddenSize: H, numLayers: L, numDirections: D } = this;
    const G = 3 * H;
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
    this.stepA = this.k.alloc(this.arena.dtype, G);
    this.stepH = this.k.alloc(this.arena.dtype, G);
    this.ensureCapacity(1, 1);
  }

  /** Grows the caches to hold B sequences of length T (allocates only for a new maximum). */
  ensureCapacity(T: number, B = 1): void {
    if (T * B <= this.capRows && B <= this.capB) return;
    const rows = Math.max(T * B, this.capRows * 2);
    const capB = Math.max(B, this.capB);
    const dt = this.arena.dtype;
    const { hiddenSize: H, numLayers: L, numDirections: D } = this;
    const G = 3 * H;
    this.caches = [];
    for (let i = 0; i < L * D; i++) {
      this.caches.push({
        gates: this.k.alloc(dt, rows * G),
        ghn: this.k.alloc(dt, rows * H),
        da: this.k.alloc(dt, rows * G),
        db: this.k.alloc(dt, rows * G),
        hs: this.k.alloc(dt, (rows + capB) * H),
      });
    }
    this.outs = [];
    this.dropped = [];
    this.masks = [];
    this.dins = [];
    for (let l = 0; l < L; l++) {
      this.outs.push(this.k.alloc(dt, rows * D * H));
      this.dins.push(this.k.alloc(dt, rows * (l === 0 ? this.inputSize : D * H)));
      const needs = l > 0 && this.dropout > 0;
      this.dropped.push(this.k.alloc(dt, needs ? rows * D * H : 0));
      this.masks.push(this.k.alloc(dt, needs ? rows * D * H : 0));
    }
    const maxI = Math.max(this.inputSize, L > 1 ? D * H : 0);
    this.scratch = {
      whhT: this.k.alloc(dt, H * G),
      wihT: this.k.alloc(dt, maxI * G),
      dnT: this.k.alloc(dt, H * rows),
      dbT: this.k.alloc(dt, G * rows),
      hsT: this.k.alloc(dt, H * rows),
      xT: this.k.alloc(dt, maxI * rows),
    };
    this.hnBuf = this.k.alloc(dt, L * D * capB * H);
    this.dh0Buf = this.k.alloc(dt, L * D * capB * H);
    this.dh = this.k.alloc(dt, capB * H);
    this.gh = this.k.alloc(dt, capB * G);
    this.capRows = rows;
    this.capB = capB;
  }

  /** forwardBatch with B = 1: x (T, inputSize), h0 (D*L, H) or null for zeros. */
  forwardSeq(x: Floats, T: number, h0: Floats | null, training = this.training): void {
    this.forwardBatch(x, T, 1, h0, training, false);
  }

  /**
   * Forward over B sequences x of length T, (T, B, inputSize), or (B, T, inputSize) when
   * batchFirst, from h0 ((D*L, B, H), or null for zeros). Results: this.output (T, B, D*H)
   * time-major, this.hn. Keeps x by reference for backwardBatch.
   */
  forwardBatch(
    x: Floats,
    T: number,
    B: number,
    h0: Floats | null,
    training = this.training,
    batchFirst = this.batchFirst,
  ): void {
    this.ensureCapacity(T, B);
    const { hiddenSize: H, numLayers: L, numDirections: D } = this;
    const w = this.arena.data;
    const drop = training && this.dropout > 0 && L > 1;
    let input = x;
    let xsT = batchFirst ? this.inputSize : B * this.inputSize;
    let xsB = batchFirst ? T * this.inputSize : this.inputSize;
    this.lastXsT = xsT;
    this.lastXsB = xsB;
    for (let l = 0; l < L; l++) {
      const I = l === 0 ? this.inputSize : D * H;
      if (l > 0) {
        input = this.outs[l - 1];
        if (drop) {
          const n = T * B * D * H;
          this.prng.fillUniform(this.masks[l], n);
          applyDropoutMask(this.dropped[l], this.masks[l], input, n, this);
          input = this.dropped[l];
        }
        xsT = B * D * H;
        xsB = D * H;
      }
      for (let d = 0; d < D; d++) {
        const ld = l * D + d;
        const cache = this.caches[ld];
        for (let i = 0; i < B * H; i++) cache.hs[i] = h0 ? h0[ld * B * H + i] : 0;
        const p = ld * 4;
        gruLayerForward(
          cache.gates,
          cache.ghn,
          this.gh,
          cache.hs,
          this.outs[l],
          B * D * H,
          D * H,
          d * H,
          input,
          xsT,
          xsB,
          w,
          this.offsets[p],
          this.offsets[p + 1],
          this.offsets[p + 2],
          this.offsets[p + 3],
          T,
          B,
          I,
          H,
          d === 1,
          this.k,
        );
        for (let i = 0; i < B * H; i++) this.hnBuf[ld * B * H + i] = cache.hs[T * B * H + i];
      }
    }
    this.lastT = T;
    this.lastB = B;
    this.lastX = x;
    this.lastDropout = drop;
  }

  /** backwardBatch with B = 1: dy (T, D*H), dhn (D*L, H). */
  backwardSeq(dy: Floats, T: number, dhn: Floats | null = null): void {
    this.backwardBatch(dy, T, 1, dhn);
  }

  /**
   * Backward through the last forwardBatch: dy (T, B, D*H) time-major, dhn (D*L, B, H) or null.
   * Parameter gradients accumulate; this.dinput and this.dh0 are overwritten.
   */
  backwardBatch(dy: Floats, T: number, B: number, dhn: Floats | null = null): void {
    if (T !== this.lastT || B !== this.lastB || this.lastX === null) {
      throw new CoreError(
        'bad-call',
        `backward over ${T} steps of ${B}, but the last forward ran ${this.lastT} of ${this.lastB}`,
      );
    }
    const { hiddenSize: H, numLayers: L, numDirections: D } = this;
    const w = this.arena.data;
    const dw = this.arena.grad;
    const dh = this.dh;
    let dUp = dy;
    for (let l = L - 1; l >= 0; l--) {
      const I = l === 0 ? this.inputSize : D * H;
      const input = l === 0 ? this.lastX : this.lastDropout ? this.dropped[l] : this.outs[l - 1];
      const xsT = l === 0 ? this.lastXsT : B * D * H;
      const xsB = l === 0 ? this.lastXsB : D * H;
      const din = this.dins[l];
      din.fill(0, 0, T * B * I);
      for (let d = 0; d < D; d++) {
        const ld = l * D + d;
        const cache = this.caches[ld];
        for (let i = 0; i < B * H; i++) dh[i] = dhn ? dhn[ld * B * H + i] : 0;
        const p = ld * 4;
        gruLayerBackward(
          din,
          dw,
          cache.da,
          cache.db,
          dh,
          dUp,
          B * D * H,
          D * H,
          d * H,
          cache.gates,
          cache.ghn,
          cache.hs,
          input,
          xsT,
          xsB,
          w,
          this.offsets[p],
          this.offsets[p + 1],
          this.offsets[p + 2],
          this.offsets[p + 3],
          T,
          B,
          I,
          H,
          d === 1,
          this.scratch,
          this.k,
        );
        for (let i = 0; i < B * H; i++) this.dh0Buf[ld * B * H + i] = dh[i];
      }
      if (l > 0 && this.lastDropout) {
        const mask = this.masks[l];
        for (let i = 0; i < T * B * D * H; i++) din[i] *= mask[i];
      }
      dUp = din;
    }
  }

  /**
   * One step of a unidirectional GRU in evaluation mode, in place: h (L, H) holds the state
   * before the step and after it. x[xOff : xOff + inputSize] is the input. Allocates nothing.
   */
  stepForward(x: Floats, xOff: number, h: Floats): void {
    if (this.bidirectional)
      throw new CoreError('bad-call', 'stepForward needs a unidirectional GRU');
    const { hiddenSize: H, numLayers: L } = this;
    const G = 3 * H;
    const k = this.k;
    const w = this.arena.data;
    const a = this.stepA;
    const g = this.stepH;
    for (let l = 0; l < L; l++) {
      const I = l === 0 ? this.inputSize : H;
      const inp = l === 0 ? x : h;
      const io = l === 0 ? xOff : (l - 1) * H;
      const ho = l * H;
      const pBih = this.offsets[l * 4 + 2];
      const pBhh = this.offsets[l * 4 + 3];
      k.matvec(a, 0, w, this.offsets[l * 4], G, I, inp, io, false);
      k.matvec(g, 0, w, this.offsets[l * 4 + 1], G, H, h, ho, false);
      // h in place; ghn over g's n rows (the step keeps no cache)
      if (k.gruCell(a, 0, g, 0, w, pBih, pBhh, h, ho, ho, g, 2 * H, h, ho, H)) continue;
      if (pBih >= 0) {
        for (let r = 0; r < G; r++) {
          a[r] += w[pBih + r];
          g[r] += w[pBhh + r];
        }
      }
      for (let k = 0; k < H; k++) {
        const r = 1 / (1 + Math.exp(-(a[k] + g[k])));
        const z = 1 / (1 + Math.exp(-(a[H + k] + g[H + k])));
        const n = Math.tanh(a[2 * H + k] + r * g[2 * H + k]);
        h[ho + k] = n + z * (h[ho + k] - n);
      }
    }
  }

  rngState(): number[] {
    return this.prng.getState();
  }

  setRngState(state: readonly number[]): void {
    this.prng.setState(state);
  }

  reseed(seed: number): void {
    this.prng.seed(seed);
  }

  // -------------------------------------------------------------------------------------------
  // The convenience layer, in PyTorch's shapes (as the LSTM's). Not for the hot path.

  train(mode = true): this {
    this.training = mode;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  paramShape(name: string): readonly number[] {
    return this.arena.entry(this.prefix + name).shape;
  }

  stateDict(): Record<string, number[] | number[][]> {
    return this.arena.nested(this.prefix, this.paramNames, this.arena.data);
  }

  loadStateDict(sd: Record<string, unknown>): void {
    this.arena.load(this.prefix, this.paramNames, sd, 'GRU.loadStateDict');
  }

  /** output in the input's shape with D*H features; h (D*L, [B,] H). */
  forward(input: Nested, h0?: Nested): { output: Seq; h: Seq } {
    const { inputSize: I, hiddenSize: H, numLayers: L, numDirections: D } = this;
    const dt = this.arena.dtype;
    const { x, T, B, batched } = readSequence('GRU.forward', input, I, this.batchFirst, dt);
    const h = h0 === undefined ? null : readState('GRU.forward: h0', h0, D * L, B, H, batched, dt);
    this.forwardBatch(x, T, B, h, this.training, batched && this.batchFirst);
    this.lastBatched = batched;
    return {
      output: sequenceOut(this.output, T, B, D * H, batched, this.batchFirst),
      h: stateOut(this.hn, D * L, B, H, batched),
    };
  }

  /**
   * Gradients of sum(output * dOutput) + sum(h_n * dH) through the last forward(): of the input,
   * of h0 (zeros if none was given) and of every parameter, of this call alone.
   */
  backward(upstream: { output: Nested; h?: Nested }): GRUGradients {
    const { inputSize: I, hiddenSize: H, numLayers: L, numDirections: D } = this;
    const T = this.lastT;
    const B = this.lastB;
    const batched = this.lastBatched;
    if (this.lastX === null) throw new CoreError('bad-call', 'GRU.backward called before forward');
    const dt = this.arena.dtype;
    const bf = this.batchFirst;
    const dy = readSequenceGrad(
      'GRU.backward: output',
      upstream.output,
      T,
      B,
      D * H,
      batched,
      bf,
      dt,
    );
    const dhn =
      upstream.h === undefined
        ? null
        : readState('GRU.backward: h', upstream.h, D * L, B, H, batched, dt);
    this.arena.zeroGradOf(this.prefix, this.paramNames);
    this.backwardBatch(dy, T, B, dhn);
    return {
      input:
        batched && bf
          ? layoutOut(this.dinput, B, T, I, true)
          : layoutOut(this.dinput, T, B, I, batched),
      h0: stateOut(this.dh0, D * L, B, H, batched),
      params: this.arena.nested(this.prefix, this.paramNames, this.arena.grad),
    };
  }
}
