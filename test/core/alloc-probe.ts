// Run by alloc.test.ts in a child process (plain Node through tsx, not Vitest's module
// runner, whose import bindings change what V8 inlines): trains for 10,000 steps, each with a
// 50-step forecast, and prints how the heap moved. Needs --expose-gc.

import { PerformanceObserver } from 'node:perf_hooks';
import { Adam, clipGrads, Linear, LSTM, mseLoss, ParamArena } from '../../worker/core';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');
const STEPS = Number(process.argv.find((a) => a.startsWith('--steps='))?.slice(8) ?? 10000);
const allocatePerStep = process.argv.includes('--allocate'); // the control: must be caught

const W = 32;
const H = 8;
const L = 2;
const arena = new ParamArena('float32');
const lstm = new LSTM(
  { inputSize: 1, hiddenSize: H, numLayers: L, dropout: 0.1, seed: 1 },
  { arena, prefix: 'lstm.' },
);
const head = new Linear({ inFeatures: H, outFeatures: 1, seed: 2 }, { arena, prefix: 'head.' });
const opt = new Adam(arena, { lr: 1e-3 });
const series = Float32Array.from({ length: 512 }, (_, i) => Math.sin(0.3 * i));
const x = new Float32Array(W);
const target = new Float32Array(W);
const dpred = new Float32Array(W);
const h = new Float32Array(L * H);
const c = new Float32Array(L * H);
const y = new Float32Array(1);
const kept: { s: number }[] = [];

function step(s: number): void {
  for (let i = 0; i < W; i++) {
    x[i] = series[(s + i) % 480];
    target[i] = series[(s + i + 1) % 480];
  }
  arena.zeroGrad();
  lstm.forwardSeq(x, W, null, null, true);
  head.forwardSeq(lstm.output, W);
  mseLoss(head.output, target, W, dpred);
  head.backwardSeq(dpred, W);
  lstm.backwardSeq(head.dinput, W);
  clipGrads(arena, 1.0);
  opt.step();
  h.fill(0);
  c.fill(0);
  y[0] = x[W - 1];
  for (let k = 0; k < 50; k++) {
    lstm.stepForward(y, 0, h, c);
    head.forwardRow(y, 0, h, (L - 1) * H);
  }
  if (allocatePerStep && s % 2 === 0) kept.push({ s });
}

// The measured loop is a warmed-up function too, so compiling it is not counted.
function run(n: number): void {
  for (let s = 0; s < n; s++) step(s);
}

for (let i = 0; i < 5; i++) run(500);
let gcs = 0;
const obs = new PerformanceObserver((list) => {
  gcs += list.getEntries().length;
});
gc();
setTimeout(() => {
  obs.observe({ entryTypes: ['gc'] });
  const before = process.memoryUsage();
  run(STEPS);
  const after = process.memoryUsage();
  setTimeout(() => {
    obs.disconnect();
    const result = {
      steps: STEPS,
      heapGrowth: after.heapUsed - before.heapUsed,
      bufferGrowth: after.arrayBuffers - before.arrayBuffers,
      gcs,
      finite: Number.isFinite(y[0]) && kept.length >= 0,
    };
    process.stdout.write(JSON.stringify(result) + '\n');
  }, 10);
}, 10);
