// The network's side of the hybrid: what it sees, what it learns, and how it is trained.
//
// W = window, I = features (the target's channel first, then the others), h = horizon.
// For the window ending at sample t, with the filter's level l_t, unit u (Smoother.scale) and
// the seasonal index s_i in force for sample i:
//   channel 0        clip((z_i - s_i - l_t) / u)         z = log y or y, as the filter works
//   channels 1..F-1  the other features, clip((v - running mean) / running mean abs deviation)
// 'direct' learns, for k = 1..h, clip((z_{t+k} - filter's k-step forecast from t) / u): the
// correction to the filter (an L1 loss, the scored error is absolute). 'recursive' learns the
// next sample's channel 0, fed back h times. clip = ±CLIP. A model trained offline with these
// inputs and targets predicts the same here.

import { Prng } from '../core';
import { ANOMALY, GAP, SampleBuffer } from './buffer';
import type { ResolvedOptions } from './config';
import { Network } from './network';
import type { Smoother } from './smoothing';

export const CLIP = 20;
const DOWNWEIGHT = 0.2;

export class Trainer {
  readonly net: Network;
  readonly rng: Prng;
  private readonly o: ResolvedOptions;
  private readonly F: number;
  private readonly W: number;
  private readonly h: number;
  /** (F) running mean and mean absolute deviation of every feature (the target's unused). */
  readonly fMean: Float64Array;
  readonly fDev: Float64Array;
  readonly out: Float64Array; // (h) the network's prediction, normalised
  lossAvg = NaN;
  private rateT0 = NaN;
  private rateSteps = 0;
  rate = 0;

  constructor(o: ResolvedOptions) {
    this.o = o;
    this.F = o.features;
    this.W = o.window;
    this.h = o.horizon;
    this.net = new Network({
      inputSize: o.features,
      hiddenSize: o.hiddenSize,
      numLayers: o.numLayers,
      dropout: o.dropout,
      window: o.window,
      horizon: o.horizon,
      strategy: o.strategy,
      optimizer: o.optimizer,
      learningRate: o.learningRate,
      seed: o.seed,
      batch: o.replay + 1,
      cell: o.cell,
      kernels: o.kernels,
    });
    this.rng = new Prng((o.seed ^ 0x5eed) >>> 0);
    this.fMean = new Float64Array(this.F);
    this.fDev = new Float64Array(this.F);
    this.out = new Float64Array(this.h);
  }

  updateFeatures(row: Float64Array, first: boolean): void {
    for (let f = 0; f < this.F; f++) {
      const v = row[f];
      if (first) {
        this.fMean[f] = v;
        this.fDev[f] = 0;
      } else {
        this.fMean[f] += 0.01 * (v - this.fMean[f]);
        this.fDev[f] += 0.01 * (Math.abs(v - this.fMean[f]) - this.fDev[f]);
      }
    }
  }

  /** The first window end t that training and the hybrid may use. */
  first(buf: SampleBuffer, sm: Smoother): number {
    return Math.max(buf.oldest, sm.oldest) + this.W - 1 + sm.p.m;
  }

  /**
   * One optimiser step on the newest window and `replay` windows drawn from [lo, newest];
   * returns false if there is nothing to learn yet.
   */
  step(buf: SampleBuffer, sm: Smoother, lo: number): boolean {
    const latest = buf.count - 1;
    const first = this.first(buf, sm);
    if (latest - 1 < first || Number.isNaN(sm.unit)) return false;
    lo = Math.max(first, lo);
    const replay = this.o.replay;
    const net = this.net;
    // the newest window and `replay` drawn ones, through the network together (batched)
    for (let b = 0; b <= replay; b++) {
      const t = b === 0 ? latest - 1 : lo + this.rng.int(latest - lo);
      this.fillWindow(buf, sm, t);
      this.fillTargets(buf, sm, t);
      net.stage(b);
    }
    if (net.accumulateBatch(replay + 1) === 0) {
      net.arena.zeroGrad();
      return false;
    }
    let loss = 0;
    let windows = 0;
    for (let b = 0; b <= replay; b++) {
      const l = net.losses[b];
      if (Number.isNaN(l)) continue;
      loss += l;
      windows++;
    }
    net.step();
    const l = loss / windows;
    if (Number.isFinite(l))
      this.lossAvg = Number.isNaN(this.lossAvg) ? l : this.lossAvg + 0.05 * (l - this.lossAvg);
    this.countRate();
    return true;
  }

  /** net.x = the normalised window ending at sample t. */
  fillWindow(buf: SampleBuffer, sm: Smoother, t: number): void {
    const { F, W } = this;
    const ti = this.o.targetIndex;
    const x = this.net.x;
    const u = sm.scale;
    const lt = sm.level(t);
    const oldest = Math.max(buf.oldest, sm.oldest);
    for (let j = 0; j < W; j++) {
      const i = Math.max(oldest, t - W + 1 + j);
      const o = j * F;
      x[o] = clip((sm.z(buf.y(i, ti)) - sm.seasonal(i - 1, i) - lt) / u);
      let c = 1;
      for (let f = 0; f < F; f++) {
        if (f === ti) continue;
        x[o + c++] = clip((buf.values[buf.slot(i) * F + f] - this.fMean[f]) / (this.fDev[f] || 1));
      }
    }
  }

  private fillTargets(buf: SampleBuffer, sm: Smoother, t: number): void {
    const W = this.W;
    const u = sm.scale;
    const lt = sm.level(t);
    const latest = buf.count - 1;
    const direct = this.o.strategy === 'direct';
    const n = this.net.outputs;
    const a = this.o.anomalies;
    const anomalyWeight = a === 'skip' ? 0 : a === 'downweight' ? DOWNWEIGHT : 1;
    for (let k = 0; k < n; k++) {
      const i = direct ? t + 1 + k : t - W + 2 + k; // the sample this output predicts
      let w = 0;
      let target = 0;
      if (i <= latest && i >= buf.oldest) {
        const s = buf.slot(i);
        const fl = buf.flags[s];
        if (!(fl & GAP)) {
          w = fl & ANOMALY ? anomalyWeight : 1;
          const z = sm.z(buf.target[s]);
          target = direct
            ? clip((z - sm.forecast(t, k + 1)) / u)
            : clip((z - sm.seasonal(i - 1, i) - lt) / u);
          if (!Number.isFinite(target)) w = 0;
        }
      }
      this.net.target[k] = target;
      this.net.weight[k] = w;
    }
  }

  /**
   * The hybrid's forecast (h, y units) from the window ending at sample t into out, or false if
   * the window is not available.
   */
  forecast(buf: SampleBuffer, sm: Smoother, t: number, out: Float64Array, off: number): boolean {
    if (t < this.first(buf, sm) || Number.isNaN(sm.unit)) return false;
    const h = this.h;
    this.fillWindow(buf, sm, t);
    this.net.predict(this.out, this.nextInput);
    const u = sm.scale;
    const direct = this.o.strategy === 'direct';
    const lt = sm.level(t);
    for (let k = 0; k < h; k++) {
      const z = direct
        ? sm.forecast(t, k + 1) + u * this.out[k]
        : lt + u * this.out[k] + sm.seasonal(t, t + k + 1);
      out[off + k] = sm.y(z);
    }
    return true;
  }

  /** The input row for recursive step k + 1 after predicting pred: the other features held. */
  private readonly nextInput = (_k: number, pred: number, row: Float32Array): void => {
    const { F, W } = this;
    const x = this.net.x;
    for (let f = 1; f < F; f++) row[f] = x[(W - 1) * F + f];
    row[0] = pred;
  };

  private countRate(): void {
    const t = performance.now();
    if (Number.isNaN(this.rateT0)) {
      this.rateT0 = t;
      this.rateSteps = this.net.steps;
    } else if (t - this.rateT0 >= 1000) {
      this.rate = ((this.net.steps - this.rateSteps) * 1000) / (t - this.rateT0);
      this.rateT0 = t;
      this.rateSteps = this.net.steps;
    }
  }
}

export function clip(v: number): number {
  return v > CLIP ? CLIP : v < -CLIP ? -CLIP : v;
}
