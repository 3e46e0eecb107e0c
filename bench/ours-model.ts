// Our training step and forecast (LSTM(1, H, L) + Linear(H, 1); bench/common.ts says what the
// step is) on a given set of kernels, for bench/ours.ts in Node and the kernels page in Chromium.
// With cell 'gru', the same step and forecast with a GRU(1, H, L) in the LSTM's place.

import { Adam, clipGradNorm, GRU, Linear, LSTM, mseLoss, ParamArena } from '../worker/core';
import type { DType, Kernels } from '../worker/core';
import { HORIZON, LR, makeSeries, MAX_NORM, SERIES_LENGTH, W, Windows } from './common';
import type { StepModel } from './step';

export interface OursModel extends StepModel {
  /** Parameters of the LSTM and the head. */
  readonly params: number;
  readonly kernels: Kernels;
}

export type BenchCell = 'lstm' | 'gru';

export function oursModel(
  dtype: DType,
  H: number,
  L: number,
  kernels: Kernels,
  cell: BenchCell = 'lstm',
): OursModel {
  const arena = new ParamArena(dtype, kernels);
  const allocFloats = (n: number) => kernels.alloc(dtype, n);
  const options = { inputSize: 1, hiddenSize: H, numLayers: L, seed: 1 };
  const slot = { arena, prefix: 'lstm.' };
  const lstm = cell === 'gru' ? new GRU(options, slot) : new LSTM(options, slot);
  const head = new Linear({ inFeatures: H, outFeatures: 1, seed: 2 }, { arena, prefix: 'head.' });
  const opt = new Adam(arena, { lr: LR });
  const x = allocFloats(W);
  const target = allocFloats(W);
  const dpred = allocFloats(W);
  const series = makeSeries(SERIES_LENGTH);
  const windows = new Windows(series);

  const step = (): number => {
    windows.next(x, target);
    arena.zeroGrad();
    if (lstm instanceof GRU) lstm.forwardSeq(x, W, null, true);
    else lstm.forwardSeq(x, W, null, null, true);
    head.forwardSeq(lstm.output, W);
    const loss = mseLoss(head.output, target, W, dpred);
    head.backwardSeq(dpred, W);
    lstm.backwardSeq(head.dinput, W);
    clipGradNorm(arena, MAX_NORM);
    opt.step();
    return loss;
  };

  // A warm state: the live state after stepping through a window from zeros.
  const h0 = allocFloats(L * H);
  const c0 = allocFloats(L * H);
  const y = allocFloats(1);
  for (let i = 0; i < W; i++) {
    y[0] = series[100 + i];
    if (lstm instanceof GRU) lstm.stepForward(y, 0, h0);
    else lstm.stepForward(y, 0, h0, c0);
  }
  const last = series[100 + W - 1];
  const h = allocFloats(L * H);
  const c = allocFloats(L * H);
  const out = allocFloats(HORIZON);
  const top = (L - 1) * H;
  const forecastOnce = (): void => {
    h.set(h0);
    c.set(c0);
    let v = last;
    for (let k = 0; k < HORIZON; k++) {
      y[0] = v;
      if (lstm instanceof GRU) lstm.stepForward(y, 0, h);
      else lstm.stepForward(y, 0, h, c);
      head.forwardRow(y, 0, h, top);
      v = y[0];
      out[k] = v;
    }
  };

  return { step, forecastOnce, params: arena.size, kernels };
}
