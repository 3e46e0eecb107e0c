// The network the forecaster trains: LSTM(I, H, L) and a Linear head, in one parameter arena,
// with the optimiser and the divergence guard. It knows windows of normalised numbers only;
// what they mean is the forecaster's business.
//
// W = window, I = input size, H = hidden, L = layers, h = horizon.
// 'direct':    the head maps the last hidden state to h outputs (one per horizon step).
// 'recursive': the head maps every hidden state to 1 output, the next step's value.

import {
  Adam,
  AdamW,
  clipGrads,
  GRU,
  Linear,
  LSTM,
  ParamArena,
  SGD,
  type Floats,
  type Optimizer,
} from '../core';
import { jsKernels, simdKernels, type Kernels } from '../core/kernels';

export interface NetworkOptions {
  inputSize: number;
  hiddenSize: number;
  numLayers: number;
  dropout: number;
  window: number;
  horizon: number;
  strategy: 'direct' | 'recursive';
  optimizer: 'adam' | 'adamw' | 'sgd';
  learningRate: number;
  seed: number;
  /** The recurrent cell: torch.nn.LSTM or torch.nn.GRU semantics; default 'lstm'. */
  cell?: 'lstm' | 'gru';
  /** Windows accumulateBatch takes at most (the size of xb, targets, weights); default 4. */
  batch?: number;
  /** 'auto': WebAssembly SIMD where it runs, else JS; 'js': the JS kernels. Default 'auto'. */
  kernels?: 'auto' | 'js';
}

/**
 * Bytes of kernel memory that hold everything the network's products read and write: the
 * parameters and gradients (the arena grows by doubling while the model is built, 4x), the
 * recurrent caches for the W*B rows of a batched step (per layer at most 6 gate-wide and 4
 * input- or hidden-wide arrays a row, counted once more for the backward's transposes) and the
 * network's own inputs. A bound with room to spare, not a count: test/engine/network.test.ts
 * checks that nothing falls outside it (kernels.misses) over a range of shapes.
 */
export function kernelBytes(o: NetworkOptions): number {
  const { inputSize: I, hiddenSize: H, numLayers: L, window: W } = o;
  const B = o.batch ?? 4;
  const G = 4 * H;
  const wide = Math.max(I, H);
  const params = L * G * (wide + H + 2) + (H + 1) * Math.max(o.horizon, 1);
  const rows = W * B + B + 2;
  const floats = 4 * params + (L + 1) * rows * (6 * G + 4 * wide) + 4 * G * wide + 2 * rows * I;
  return 4 * floats + 65536;
}

/** How often (in good steps) the last known-good weights are saved for the divergence guard. */
const SAVE_EVERY = 25;
const MAX_GRAD_NORM = 1.0;

export type StepOutcome = 'ok' | 'skipped' | 'restored';

export class Network {
  readonly o: NetworkOptions;
  readonly arena: ParamArena;
  /** What runs the products: 'wasm-simd', or 'js' where WebAssembly SIMD is missing or refused. */
  readonly kernels: Kernels;
  /** The recurrent network (a GRU with cell 'gru'); its parameters are named 'lstm.*' either way. */
  readonly lstm: LSTM | GRU;
  readonly head: Linear;
  readonly opt: Optimizer;
  /** Outputs per window: h ('direct') or W ('recursive'). */
  readonly outputs: number;
  /** (W, I) the window being trained on or predicted from; the caller fills it. */
  readonly x: Float32Array;
  /** (outputs) targets and their weights (0 = unknown or not to be learnt). */
  readonly target: Float64Array;
  readonly weight: Float64Array;
  /** The most windows accumulateBatch takes at once. */
  readonly batch: number;
  /** (batch, W, I) the windows of one batched step, batch-first; stage(b) or the caller fills it. */
  readonly xb: Float32Array;
  /** (batch, outputs) their targets and weights, as target and weight for one window. */
  readonly targets: Float64Array;
  readonly weights: Float64Array;
  /** (batch) the weighted L1 loss of each window of the last accumulateBatch, NaN if none. */
  readonly losses: Float64Array;
  steps = 0;
  divergences = 0;

  private readonly pred: Float32Array; // (outputs)
  private readonly dpred: Float32Array; // (outputs)
  private readonly dOut: Float32Array; // (W, H) d loss / d LSTM output
  private readonly dLast: Float32Array; // (H)
  private readonly h: Float32Array; // (L, H) state for rolling forward
  private readonly c: Float32Array;
  private readonly y: Float32Array; // (I) one input row
  private readonly dpredB: Float32Array; // (W, batch) or (batch, outputs): d loss / d pred
  private readonly dOutB: Float32Array; // (W, batch, H) d loss / d LSTM output, time-major
  private readonly good: Float32Array[]; // last known-good params and moments
  private goodT = 0;

  constructor(o: NetworkOptions) {
    this.o = o;
    const { inputSize: I, hiddenSize: H, numLayers: L, window: W } = o;
    this.kernels = o.kernels === 'js' ? jsKernels : (simdKernels(kernelBytes(o)) ?? jsKernels);
    this.arena = new ParamArena('float32', this.kernels);
    // what the products read: in the kernels' memory
    const f32 = (n: number) => this.kernels.alloc('float32', n) as Float32Array;
    const rnnOptions = {
      inputSize: I,
      hiddenSize: H,
      numLayers: L,
      dropout: o.dropout,
      seed: o.seed,
    };
    const slot = { arena: this.arena, prefix: 'lstm.' };
    this.lstm = o.cell === 'gru' ? new GRU(rnnOptions, slot) : new LSTM(rnnOptions, slot);
    this.outputs = o.strategy === 'direct' ? o.horizon : W;
    const out = o.strategy === 'direct' ? o.horizon : 1;
    this.head = new Linear(
      { inFeatures: H, outFeatures: out, seed: o.seed + 1 },
      { arena: this.arena, prefix: 'head.' },
    );
    this.opt =
      o.optimizer === 'sgd'
        ? new SGD(this.arena, { lr: o.learningRate, momentum: 0.9 })
        : o.optimizer === 'adamw'
          ? new AdamW(this.arena, { lr: o.learningRate })
          : new Adam(this.arena, { lr: o.learningRate });
    this.x = f32(W * I);
    this.target = new Float64Array(this.outputs);
    this.weight = new Float64Array(this.outputs);
    this.pred = new Float32Array(Math.max(this.outputs, o.horizon) * (o.batch ?? 4));
    this.dpred = new Float32Array(this.outputs);
    this.dOut = new Float32Array(W * H);
    this.dLast = new Float32Array(H);
    this.h = f32(L * H);
    this.c = f32(L * H);
    this.y = f32(I);
    this.batch = o.batch ?? 4;
    const B = this.batch;
    this.xb = f32(B * W * I);
    this.targets = new Float64Array(B * this.outputs);
    this.weights = new Float64Array(B * this.outputs);
    this.losses = new Float64Array(B);
    this.dpredB = new Float32Array(B * this.outputs);
    this.dOutB = new Float32Array(W * B * H);
    this.lstm.ensureCapacity(W, B);
    this.head.ensureCapacity(W * B);
    this.good = [
      new Float32Array(this.arena.size),
      ...this.opt.moments.map((m) => new Float32Array(m.length)),
    ];
    this.saveGood();
  }

  /**
   * Forward and backward over the window in x against target/weight, accumulating gradients
   * scaled by `scale` (1 / batch size). Returns the weighted L1 loss of this window, or NaN if
   * it had nothing to learn.
   */
  accumulate(scale: number): number {
    const { window: W, hiddenSize: H } = this.o;
    const n = this.outputs;
    let wsum = 0;
    for (let i = 0; i < n; i++) wsum += this.weight[i];
    if (!(wsum > 0)) return NaN;
    const lstm = this.lstm;
    this.forward(this.x, W, 1, true, false);
    if (this.o.strategy === 'direct') this.head.forwardRow(this.pred, 0, lstm.output, (W - 1) * H);
    else this.head.forwardSeq(lstm.output, W);
    const pred = this.o.strategy === 'direct' ? this.pred : this.head.output;
    let loss = 0;
    for (let i = 0; i < n; i++) {
      const w = this.weight[i] / wsum;
      const d = pred[i] - this.target[i];
      loss += w * Math.abs(d); // L1: the median is what MAE rewards
      this.dpred[i] = (d > 0 ? w : d < 0 ? -w : 0) * scale;
    }
    if (this.o.strategy === 'direct') {
      this.dOut.fill(0);
      this.head.backwardRow(this.dLast, 0, this.dpred, 0, lstm.output, (W - 1) * H);
      this.dOut.set(this.dLast, (W - 1) * H);
      this.backward(this.dOut, W, 1);
    } else {
      this.head.backwardSeq(this.dpred, W);
      this.backward(this.head.dinput, W, 1);
    }
    return loss;
  }

  /** Copies the window in x and its target/weight into slot b of xb, targets and weights. */
  stage(b: number): void {
    const n = this.outputs;
    this.xb.set(this.x, b * this.x.length);
    for (let i = 0; i < n; i++) {
      this.targets[b * n + i] = this.target[i];
      this.weights[b * n + i] = this.weight[i];
    }
  }

  /**
   * The batched accumulate: the first n windows of xb against targets/weights, forward and
   * backward together (each weight read once per step for all of them), each window's
   * gradients scaled by `scale` (default 1/n: the mean over the windows) as accumulate(scale)
   * would; leave scale out on the hot path (a double passed to a call V8 does not inline is
   * boxed). The same gradients as n calls of
   * accumulate (up to float32 summation order; dropout masks are drawn differently). Writes
   * each window's loss into losses[b] (NaN if it had nothing to learn) and returns how many
   * windows had something to learn.
   */
  accumulateBatch(n: number, scale = 1 / n): number {
    const { window: W, hiddenSize: H } = this.o;
    const O = this.outputs;
    const lstm = this.lstm;
    const direct = this.o.strategy === 'direct';
    this.forward(this.xb, W, n, true, true);
    // the lstm output is time-major (W, n, H): window b's step t is row t*n + b
    if (direct) {
      for (let b = 0; b < n; b++)
        this.head.forwardRow(this.pred, b * O, lstm.output, ((W - 1) * n + b) * H);
    } else this.head.forwardSeq(lstm.output, W * n);
    const pred = direct ? this.pred : this.head.output;
    let learnt = 0;
    for (let b = 0; b < n; b++) {
      let wsum = 0;
      for (let i = 0; i < O; i++) wsum += this.weights[b * O + i];
      let loss = 0;
      for (let i = 0; i < O; i++) {
        const p = direct ? pred[b * O + i] : pred[i * n + b];
        const w = wsum > 0 ? this.weights[b * O + i] / wsum : 0;
        const d = p - this.targets[b * O + i];
        loss += w * Math.abs(d);
        this.dpredB[direct ? b * O + i : i * n + b] = (d > 0 ? w : d < 0 ? -w : 0) * scale;
      }
      this.losses[b] = wsum > 0 ? loss : NaN;
      if (wsum > 0) learnt++;
    }
    if (direct) {
      this.dOutB.fill(0, 0, W * n * H);
      for (let b = 0; b < n; b++) {
        const off = ((W - 1) * n + b) * H;
        this.head.backwardRow(this.dOutB, off, this.dpredB, b * O, lstm.output, off);
      }
      this.backward(this.dOutB, W, n);
    } else {
      this.head.backwardSeq(this.dpredB, W * n);
      this.backward(this.head.dinput, W, n);
    }
    return learnt;
  }

  /**
   * Clips and applies the accumulated gradients, then zeroes them. A non-finite gradient norm
   * skips the step; non-finite weights after it restore the last good weights and moments and
   * halve the learning rate. Nothing non-finite ever stays in the weights.
   */
  step(): StepOutcome {
    clipGrads(this.arena, MAX_GRAD_NORM);
    if (!Number.isFinite(this.arena.gradNorm)) {
      this.arena.zeroGrad();
      this.divergences++;
      return 'skipped';
    }
    this.opt.step();
    this.arena.zeroGrad();
    const p = this.arena.data;
    let finite = true;
    for (let i = 0; i < p.length; i++) {
      if (!Number.isFinite(p[i])) {
        finite = false;
        break;
      }
    }
    if (!finite) {
      this.restoreGood();
      this.opt.lr *= 0.5;
      this.divergences++;
      return 'restored';
    }
    this.steps++;
    if (this.steps % SAVE_EVERY === 0) this.saveGood();
    return 'ok';
  }

  /**
   * Predicts from the window in x (evaluation mode) into out[0:h], in normalised units.
   * 'recursive' rolls forward h steps from the state at the window's end, asking nextInput to
   * fill the input row for step k from the prediction for it.
   */
  predict(
    out: Float64Array,
    nextInput: (k: number, pred: number, row: Float32Array) => void,
  ): void {
    const { window: W, hiddenSize: H, numLayers: L, horizon } = this.o;
    const lstm = this.lstm;
    this.forward(this.x, W, 1, false, false);
    if (this.o.strategy === 'direct') {
      this.head.forwardRow(this.pred, 0, lstm.output, (W - 1) * H);
      for (let k = 0; k < horizon; k++) out[k] = this.pred[k];
      return;
    }
    // A copy of the state at the end of the window; the live state is left as it is.
    this.h.set(lstm.hn.subarray(0, L * H));
    if (lstm instanceof LSTM) this.c.set(lstm.cn.subarray(0, L * H));
    this.head.forwardRow(this.pred, 0, lstm.output, (W - 1) * H);
    for (let k = 0; k < horizon; k++) {
      const p = this.pred[0];
      out[k] = p;
      if (k === horizon - 1) break;
      nextInput(k, p, this.y);
      if (lstm instanceof LSTM) lstm.stepForward(this.y, 0, this.h, this.c);
      else lstm.stepForward(this.y, 0, this.h);
      this.head.forwardRow(this.pred, 0, this.h, (L - 1) * H);
    }
  }

  private forward(x: Floats, T: number, B: number, training: boolean, bf: boolean): void {
    const rnn = this.lstm;
    if (rnn instanceof LSTM) rnn.forwardBatch(x, T, B, null, null, training, bf);
    else rnn.forwardBatch(x, T, B, null, training, bf);
  }

  private backward(dy: Floats, T: number, B: number): void {
    const rnn = this.lstm;
    if (rnn instanceof LSTM) rnn.backwardBatch(dy, T, B, null, null);
    else rnn.backwardBatch(dy, T, B, null);
  }

  /** The last known-good params and moments (for snapshots). */
  goodState(): { arrays: Float32Array[]; t: number } {
    return { arrays: this.good, t: this.goodT };
  }

  setGoodState(arrays: readonly Float32Array[], t: number): void {
    arrays.forEach((a, i) => this.good[i].set(a));
    this.goodT = t;
  }

  /** After loading foreign weights: fresh optimiser moments, and these weights are the good ones. */
  resetOptimizerAfterImport(): void {
    for (const m of this.opt.moments) m.fill(0);
    this.opt.t = 0;
    this.saveGood();
  }

  private saveGood(): void {
    this.good[0].set(this.arena.data);
    this.opt.moments.forEach((m, i) => this.good[i + 1].set(m));
    this.goodT = this.opt.t;
  }

  private restoreGood(): void {
    (this.arena.data as Float32Array).set(this.good[0]);
    this.opt.moments.forEach((m, i) => (m as Floats).set(this.good[i + 1]));
    this.opt.t = this.goodT;
  }
}
