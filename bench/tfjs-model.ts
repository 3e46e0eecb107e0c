// The benchmark's training step and forecast in TensorFlow.js, on whichever backend is set (for
// bench/tfjs-step.ts in Node and the kernels page in Chromium; no Node imports here).
//
// The LSTM is written with tf ops on tf.variables, laid out the way a fast implementation
// would: per layer one (W, I) x (I, 4H) product for all input projections, then per step one
// (1, H) x (H, 4H) product and the gate math (gate order i, f, g, o as PyTorch's; one bias per
// layer, which is b_ih + b_hh folded). Gradients come from tf.variableGrads, the global norm
// is clipped on tensors (no sync), and tf.train.adam applies them. The loss is read back every
// step (an online trainer reports it).

import * as tf from '@tensorflow/tfjs';
import type { Scalar, Tensor2D, Variable } from '@tensorflow/tfjs';
import { HORIZON, LR, makeSeries, MAX_NORM, SERIES_LENGTH, W, Windows } from './common';
import type { StepModel } from './step';

interface LayerVars {
  wih: Variable; // (I, 4H)
  whh: Variable; // (H, 4H)
  b: Variable; // (1, 4H)
}

export function tfjsModel(H: number, L: number): StepModel {
  const G = 4 * H;
  const k = 1 / Math.sqrt(H);
  let seed = 1;
  const init = (shape: [number, number], name: string): Variable =>
    tf.tidy(() => tf.variable(tf.randomUniform(shape, -k, k, 'float32', seed++), true, name));
  const layers: LayerVars[] = [];
  for (let l = 0; l < L; l++) {
    layers.push({
      wih: init([l === 0 ? 1 : H, G], `wih${l}`),
      whh: init([H, G], `whh${l}`),
      b: init([1, G], `b${l}`),
    });
  }
  const wout = init([H, 1], 'wout');
  const bout = init([1, 1], 'bout');
  const vars = [...layers.flatMap((p) => [p.wih, p.whh, p.b]), wout, bout];
  const opt = tf.train.adam(LR, 0.9, 0.999, 1e-8);

  const forwardLoss = (x: Tensor2D, target: Tensor2D): Scalar => {
    let inp = x; // (W, I)
    for (const p of layers) {
      const rows = tf.split(tf.add(tf.matMul(inp, p.wih), p.b), W, 0); // W x (1, G)
      let h: Tensor2D = tf.zeros([1, H]);
      let c: Tensor2D = tf.zeros([1, H]);
      const hs: Tensor2D[] = [];
      for (let t = 0; t < W; t++) {
        const z = tf.add(rows[t], tf.matMul(h, p.whh));
        const [zi, zf, zg, zo] = tf.split(z, 4, 1);
        c = tf.add(tf.mul(tf.sigmoid(zf), c), tf.mul(tf.sigmoid(zi), tf.tanh(zg)));
        h = tf.mul(tf.sigmoid(zo), tf.tanh(c));
        hs.push(h);
      }
      inp = tf.concat(hs, 0); // (W, H)
    }
    const pred = tf.add(tf.matMul(inp, wout), bout); // (W, 1)
    return tf.mean(tf.squaredDifference(pred, target));
  };

  const series = makeSeries(SERIES_LENGTH);
  const windows = new Windows(series);
  const xb = new Float32Array(W);
  const tb = new Float32Array(W);
  const step = (): number => {
    windows.next(xb, tb);
    const value = tf.tidy(() => {
      const x = tf.tensor2d(xb, [W, 1]);
      const target = tf.tensor2d(tb, [W, 1]);
      const { value, grads } = tf.variableGrads(() => forwardLoss(x, target), vars);
      const names = Object.keys(grads);
      const norm = tf.sqrt(tf.addN(names.map((n) => tf.sum(tf.square(grads[n])))));
      const coef = tf.minimum(1, tf.div(MAX_NORM, tf.add(norm, 1e-6)));
      opt.applyGradients(names.map((name) => ({ name, tensor: tf.mul(grads[name], coef) })));
      return value;
    });
    const loss = value.dataSync()[0];
    value.dispose();
    return loss;
  };

  // Forecast: an LSTM cell on tensors, stepped HORIZON times from a warm state.
  const cell = (x: Tensor2D, hs: Tensor2D[], cs: Tensor2D[]): Tensor2D => {
    let inp = x; // (1, I)
    layers.forEach((p, l) => {
      const z = tf.add(tf.add(tf.matMul(inp, p.wih), tf.matMul(hs[l], p.whh)), p.b);
      const [zi, zf, zg, zo] = tf.split(z, 4, 1);
      cs[l] = tf.add(tf.mul(tf.sigmoid(zf), cs[l]), tf.mul(tf.sigmoid(zi), tf.tanh(zg)));
      hs[l] = tf.mul(tf.sigmoid(zo), tf.tanh(cs[l]));
      inp = hs[l];
    });
    return tf.add(tf.matMul(inp, wout), bout); // (1, 1)
  };
  const warm = tf.tidy(() => {
    const hs: Tensor2D[] = [];
    const cs: Tensor2D[] = [];
    for (let l = 0; l < L; l++) {
      hs.push(tf.zeros([1, H]));
      cs.push(tf.zeros([1, H]));
    }
    for (let i = 0; i < W; i++) cell(tf.tensor2d([[series[100 + i]]]), hs, cs);
    return { hs, cs };
  });
  const last = series[100 + W - 1];
  const forecastOnce = (): void => {
    tf.tidy(() => {
      const hs = [...warm.hs];
      const cs = [...warm.cs];
      let v: Tensor2D = tf.tensor2d([[last]]);
      const outs: Tensor2D[] = [];
      for (let s = 0; s < HORIZON; s++) {
        v = cell(v, hs, cs);
        outs.push(v);
      }
      const out = tf.concat(outs, 0).dataSync();
      if (out.length !== HORIZON || !out.every(Number.isFinite)) throw new Error('bad forecast');
    });
  };

  return { step, forecastOnce, tensors: () => tf.memory().numTensors };
}
