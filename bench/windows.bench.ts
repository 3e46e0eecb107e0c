// Benchmark of the batched hot path (a report, not a test), ratios measured in one run:
//
//   npm run bench:windows [-- --runs 9 --min-time 0.3]
//
// 1. The forecaster's training step with its defaults (LSTM(2, 32, 1), window 32, direct head
//    of 12, Adam, 4 windows per step): 4 calls of Network.accumulate, one window after another,
//    against one Network.accumulateBatch(4) (the 4 windows through each gate product together),
//    each followed by Network.step(). Windows per second = training samples per second.
// 2. LSTM(1, 32, 1) against GRU(1, 32, 1), each with a Linear(32, 1) head on every step, MSE
//    over a window of 32, BPTT, clipping and Adam: the training step of npm run bench, batch 1.
//
// The two sides of each pair run in alternating rounds of min-time seconds, and each side's
// median round is reported, so a busy machine slows both alike.

import { Adam, clipGrads, GRU, Linear, LSTM, mseLoss, ParamArena } from '../worker/core';
import { Network } from '../worker/engine/network';
import { makeSeries, numArg, parseArgs, runMain, SERIES_LENGTH } from './common';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Alternating rounds of a and b; the median rate (calls per second) of each. */
function pair(a: () => void, b: () => void, runs: number, minTime: number): [number, number] {
  const rate = (fn: () => void): number => {
    const t0 = performance.now();
    let n = 0;
    let t1: number;
    do {
      fn();
      n++;
      t1 = performance.now();
    } while (t1 - t0 < minTime * 1000);
    return n / ((t1 - t0) / 1000);
  };
  rate(a);
  rate(b); // warm-up
  const ra: number[] = [];
  const rb: number[] = [];
  for (let r = 0; r < runs; r++) {
    ra.push(rate(a));
    rb.push(rate(b));
  }
  return [median(ra), median(rb)];
}

runMain(() => {
  const args = parseArgs(process.argv.slice(2));
  const runs = args.runs !== undefined ? numArg(args, 'runs') : 9;
  const minTime = args['min-time'] !== undefined ? numArg(args, 'min-time') : 0.3;
  const series = makeSeries(SERIES_LENGTH);
  const B = 4;

  // 1. The forecaster's step, 4 windows one after another or together.
  const opts = {
    inputSize: 2,
    hiddenSize: 32,
    numLayers: 1,
    dropout: 0,
    window: 32,
    horizon: 12,
    strategy: 'direct' as const,
    optimizer: 'adam' as const,
    learningRate: 3e-3,
    seed: 0,
    batch: B,
  };
  const seq = new Network(opts);
  const bat = new Network(opts);
  let pos = 0;
  const fill = (net: Network): void => {
    const { window: W, horizon } = opts;
    pos = (pos + 7) % (series.length - W - horizon - 1);
    for (let t = 0; t < W; t++) {
      net.x[t * 2] = series[pos + t];
      net.x[t * 2 + 1] = series[pos + t] - series[Math.max(0, pos + t - 1)];
    }
    for (let k = 0; k < horizon; k++) {
      net.target[k] = series[pos + W + k];
      net.weight[k] = 1;
    }
  };
  const stepSeq = (): void => {
    for (let b = 0; b < B; b++) {
      fill(seq);
      seq.accumulate(1 / B);
    }
    seq.step();
  };
  const stepBat = (): void => {
    for (let b = 0; b < B; b++) {
      fill(bat);
      bat.stage(b);
    }
    bat.accumulateBatch(B, 1 / B);
    bat.step();
  };
  const [rs, rb] = pair(stepSeq, stepBat, runs, minTime);
  console.log(
    `forecaster step, hidden 32, 1 layer, window 32, ${B} windows per step (training samples/s):`,
  );
  console.log(`  one window after another (accumulate x${B}) ${(rs * B).toFixed(0).padStart(8)}`);
  console.log(`  together (accumulateBatch(${B}))            ${(rb * B).toFixed(0).padStart(8)}`);
  console.log(`  batched / sequential                    ${(rb / rs).toFixed(2).padStart(8)}x`);

  // 2. LSTM against GRU at (32, 1), the step of npm run bench.
  const W = 32;
  const make = (cell: 'lstm' | 'gru'): (() => void) => {
    const arena = new ParamArena('float32');
    const rnn =
      cell === 'lstm'
        ? new LSTM({ inputSize: 1, hiddenSize: 32, seed: 1 }, { arena, prefix: 'rnn.' })
        : new GRU({ inputSize: 1, hiddenSize: 32, seed: 1 }, { arena, prefix: 'rnn.' });
    const head = new Linear(
      { inFeatures: 32, outFeatures: 1, seed: 2 },
      { arena, prefix: 'head.' },
    );
    const opt = new Adam(arena, { lr: 1e-3 });
    const x = new Float32Array(W);
    const target = new Float32Array(W);
    const dpred = new Float32Array(W);
    let p = 0;
    return () => {
      p = (p + 1) % (series.length - W - 1);
      for (let i = 0; i < W; i++) {
        x[i] = series[p + i];
        target[i] = series[p + i + 1];
      }
      arena.zeroGrad();
      if (rnn instanceof LSTM) rnn.forwardSeq(x, W, null, null, true);
      else rnn.forwardSeq(x, W, null, true);
      head.forwardSeq(rnn.output, W);
      mseLoss(head.output, target, W, dpred);
      head.backwardSeq(dpred, W);
      if (rnn instanceof LSTM) rnn.backwardSeq(head.dinput, W);
      else rnn.backwardSeq(head.dinput, W);
      clipGrads(arena, 1);
      opt.step();
    };
  };
  const [rl, rg] = pair(make('lstm'), make('gru'), runs, minTime);
  console.log('training step, hidden 32, 1 layer, window 32, batch 1 (steps/s):');
  console.log(`  LSTM ${rl.toFixed(0).padStart(8)}`);
  console.log(`  GRU  ${rg.toFixed(0).padStart(8)}`);
  console.log(`  GRU / LSTM ${(rg / rl).toFixed(2)}x`);
});
