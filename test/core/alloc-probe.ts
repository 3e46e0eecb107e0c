// Run by alloc.test.ts in a child process (plain Node through tsx, not Vitest's module
// runner, whose import bindings change what V8 inlines): trains for 10,000 steps, each with a
// 50-step forecast, and prints how the heap moved. --path picks the hot path:
//   lstm          LSTM(1, 8, 2) + Linear, batch 1 (the default)
//   lstm-batched  a batch of B = 4 windows, batch-first as the engine fills them, through an
//                 LSTM with a projection, forward and backward
//   gru           the same batch through a 2-layer GRU, and a 50-step GRU forecast
// One path per process: each step function stays as small as the engine's, so what V8 inlines
// into it is what it inlines there. --kernels=simd: the models and every array they read on the
// WebAssembly SIMD kernels (worker/core/kernels.ts), as the engine runs them. Needs --expose-gc.

import { PerformanceObserver } from 'node:perf_hooks';
import { Adam, clipGrads, GRU, Linear, LSTM, ParamArena } from '../../worker/core';
import { jsKernels, simdKernels } from '../../worker/core/kernels';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');
const STEPS = Number(process.argv.find((a) => a.startsWith('--steps='))?.slice(8) ?? 10000);
const allocatePerStep = process.argv.includes('--allocate'); // the control: must be caught
const path = process.argv.find((a) => a.startsWith('--path='))?.slice(7) ?? 'lstm';
if (!['lstm', 'lstm-batched', 'gru'].includes(path)) throw new Error(`bad --path ${path}`);
const simd = process.argv.includes('--kernels=simd');
const kernels = simd ? simdKernels(16 << 20) : jsKernels;
if (!kernels) throw new Error('--kernels=simd: no WebAssembly SIMD here');
const f32 = (n: number): Float32Array => kernels.alloc('float32', n) as Float32Array;

const W = 32;
const H = 8;
const L = 2;
const arena = new ParamArena('float32', kernels);
const lstm = new LSTM(
  { inputSize: 1, hiddenSize: H, numLayers: L, dropout: 0.1, seed: 1 },
  { arena, prefix: 'lstm.' },
);
const head = new Linear({ inFeatures: H, outFeatures: 1, seed: 2 }, { arena, prefix: 'head.' });
const opt = new Adam(arena, { lr: 1e-3 });
const series = Float32Array.from({ length: 512 }, (_, i) => Math.sin(0.3 * i));
const x = f32(W);
const target = f32(W);
const dpred = f32(W);
const h = f32(L * H);
const c = f32(L * H);
const y = f32(1);
const kept: { s: number }[] = [];
// The batched paths: (B, W, 1) windows, gradients d output (W, B, D*P) of ones.
const B = 4;
const batched = new ParamArena('float32', kernels);
const lstmP = new LSTM(
  { inputSize: 1, hiddenSize: H, numLayers: L, projSize: 3, dropout: 0.1, seed: 3 },
  { arena: batched, prefix: 'lstmP.' },
);
const gru = new GRU(
  { inputSize: 1, hiddenSize: H, numLayers: L, dropout: 0.1, seed: 4 },
  { arena: batched, prefix: 'gru.' },
);
const xb = f32(B * W);
const dyP = f32(W * B * 3).fill(0.01);
const dyG = f32(W * B * H).fill(0.01);
const hg = f32(L * H);

function step(s: number): void {
  for (let i = 0; i < W; i++) {
    x[i] = series[(s + i) % 480];
    target[i] = series[(s + i + 1) % 480];
  }
  arena.zeroGrad();
  lstm.forwardSeq(x, W, null, null, true);
  head.forwardSeq(lstm.output, W);
  // d MSE / d pred, written out: mseLoss returns the loss, and a returned double is boxed (16
  // bytes a step) whenever V8 does not inline the call, which it stopped doing here once the
  // kernels grew (measured: 161,704 bytes over the 10,000 steps with mseLoss, 1,704 without).
  for (let i = 0; i < W; i++) dpred[i] = (2 * (head.output[i] - target[i])) / W;
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

function stepLstmBatched(s: number): void {
  for (let i = 0; i < B * W; i++) xb[i] = series[(s + i) % 480];
  batched.zeroGrad();
  lstmP.forwardBatch(xb, W, B, null, null, true, true);
  lstmP.backwardBatch(dyP, W, B, null, null);
  if (allocatePerStep && s % 2 === 0) kept.push({ s });
}

function stepGru(s: number): void {
  for (let i = 0; i < B * W; i++) xb[i] = series[(s + i) % 480];
  batched.zeroGrad();
  gru.forwardBatch(xb, W, B, null, true, true);
  gru.backwardBatch(dyG, W, B, null);
  hg.fill(0);
  y[0] = xb[W - 1];
  for (let k = 0; k < 50; k++) gru.stepForward(y, 0, hg);
  if (allocatePerStep && s % 2 === 0) kept.push({ s });
}

// The measured loop is a warmed-up function too, so compiling it is not counted.
const stepOf = path === 'lstm' ? step : path === 'gru' ? stepGru : stepLstmBatched;
function run(n: number): void {
  for (let s = 0; s < n; s++) stepOf(s);
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
      finite: Number.isFinite(y[0]) && Number.isFinite(hg[0]) && kept.length >= 0,
      path,
      kernels: kernels.name,
      misses: kernels.misses,
    };
    process.stdout.write(JSON.stringify(result) + '\n');
  }, 10);
}, 10);
