// Trains the numeric core on a sine wave: from each window of W samples, predict every next sample.
// W = window length (time steps), H = hidden size.
import * as Comlink from 'comlink';
import { Adam, clipGradNorm, Linear, LSTM, mseLoss, ParamArena } from '../worker/core';

const W = 32;
const H = 32;
const DT = 0.2; // radians between samples: about 31 samples per period
const PHASE_STEP = 2 * Math.PI * 0.618034; // golden-ratio stride, so windows start all over the wave

const arena = new ParamArena('float32');
const lstm = new LSTM(
  { inputSize: 1, hiddenSize: H, numLayers: 1, seed: 1 },
  { arena, prefix: 'lstm.' },
);
const head = new Linear({ inFeatures: H, outFeatures: 1, seed: 2 }, { arena, prefix: 'head.' });
const opt = new Adam(arena, { lr: 1e-3 });

const x = new Float32Array(W); // (W, 1) inputs
const target = new Float32Array(W); // (W, 1) the input shifted one step ahead
const dpred = new Float32Array(W); // (W, 1) d loss / d prediction
let phase = 0;
let stepCount = 0;

/** One optimiser step on a fresh window; returns its loss. Allocates nothing. */
function trainStep(): number {
  phase = (phase + PHASE_STEP) % (2 * Math.PI);
  for (let t = 0; t < W; t++) {
    x[t] = Math.sin(phase + t * DT);
    target[t] = Math.sin(phase + (t + 1) * DT);
  }
  arena.zeroGrad();
  lstm.forwardSeq(x, W, null, null, true);
  head.forwardSeq(lstm.output, W);
  const loss = mseLoss(head.output, target, W, dpred);
  head.backwardSeq(dpred, W);
  lstm.backwardSeq(head.dinput, W);
  clipGradNorm(arena, 1.0);
  opt.step();
  stepCount++;
  return loss;
}

const api = {
  /** Runs `steps` training steps; returns the total step count and the mean loss of these steps. */
  train(steps: number): { step: number; loss: number; msPerStep: number } {
    const start = performance.now();
    let sum = 0;
    for (let i = 0; i < steps; i++) sum += trainStep();
    const msPerStep = (performance.now() - start) / steps;
    return { step: stepCount, loss: sum / steps, msPerStep };
  },
};

Comlink.expose(api);

export type SineApi = typeof api;
