// Snapshots: everything a Forecaster is, as a structured-cloneable object of typed arrays, the
// composition of its parts' states; and the restore that checks every part before it touches
// anything (a failure leaves nothing half-restored: the forecaster is new).

import type { ConformalState } from './conformal';
import type { ResolvedOptions } from './config';
import { EngineError } from './errors';
import type { Forecaster } from './forecaster';
import type { IntervalsState } from './intervals';
import type { SelectionState } from './selection';

/** 2: the ES-RNN hybrid (filter, candidates, anomaly detector); 1 was the plain LSTM. */
export const SNAPSHOT_VERSION = 3;

export interface ForecasterSnapshot {
  version: number;
  options: ResolvedOptions;
  params: Float32Array;
  moments: Float32Array[];
  good: Float32Array[];
  optimizer: { t: number; lr: number; goodT: number };
  net: { steps: number; divergences: number; dropoutRng: number[] };
  buffer: {
    values: Float64Array;
    target: Float64Array;
    flags: Uint8Array;
    times: Float64Array;
    count: number;
  };
  /** Forecaster.s, in its key order. */
  scalars: Float64Array;
  smoother: Float64Array;
  /** The one-step filter's (Forecaster.sm1). */
  smoother1: Float64Array;
  /** The trainer's feature normaliser (F means, F deviations), its loss average. */
  trainer: Float64Array;
  replayRng: number[];
  selection: SelectionState;
  intervals: IntervalsState;
  anomaly: { recent: ConformalState; last: Float64Array };
}

export function snapshotOf(f: Forecaster): ForecasterSnapshot {
  const net = f.trainer.net;
  const good = net.goodState();
  const b = f.buf;
  return {
    version: SNAPSHOT_VERSION,
    options: { ...f.options, budget: { ...f.options.budget } },
    params: Float32Array.from(net.arena.data),
    moments: net.opt.moments.map((m) => Float32Array.from(m)),
    good: good.arrays.map((a) => a.slice()),
    optimizer: { t: net.opt.t, lr: net.opt.lr, goodT: good.t },
    net: { steps: net.steps, divergences: net.divergences, dropoutRng: net.lstm.rngState() },
    buffer: {
      values: b.values.slice(),
      target: b.target.slice(),
      flags: b.flags.slice(),
      times: b.times.slice(),
      count: b.count,
    },
    scalars: Float64Array.from(Object.values(f.s)),
    smoother: f.sm.state(),
    smoother1: f.sm1.state(),
    trainer: Float64Array.from([...f.trainer.fMean, ...f.trainer.fDev, f.trainer.lossAvg]),
    replayRng: f.trainer.rng.getState(),
    selection: f.sel.state(),
    intervals: f.iv.state(),
    anomaly: f.anomaly.state(),
  };
}

type TypedCtor = Float32ArrayConstructor | Float64ArrayConstructor | Uint8ArrayConstructor;

function expect(what: string, a: unknown, ctor: TypedCtor, n: number): void {
  if (!(a instanceof ctor) || a.length !== n) {
    const found =
      a instanceof Object && 'length' in a
        ? `${(a as { constructor: { name: string } }).constructor.name}(${(a as ArrayLike<number>).length})`
        : String(a);
    throw new EngineError(
      'bad-snapshot',
      `restore: ${what} should be ${ctor.name}(${n}), found ${found}`,
    );
  }
}

/** Loads snapshot s into the new forecaster f (made with s.options). */
export function restoreInto(f: Forecaster, snapshot: ForecasterSnapshot): void {
  const s = snapshot as Partial<ForecasterSnapshot>;
  if (s.version !== SNAPSHOT_VERSION) {
    throw new EngineError(
      'bad-snapshot',
      `restore: snapshot version ${String(s.version)}, this build reads version ${SNAPSHOT_VERSION}` +
        (s.version === 1 ? ' (version 1 held the plain LSTM engine: start a new model)' : ''),
    );
  }
  const net = f.trainer.net;
  const N = f.buf.capacity;
  const F = f.options.features;
  expect('params', s.params, Float32Array, net.arena.size);
  if (!Array.isArray(s.moments) || s.moments.length !== net.opt.moments.length)
    throw new EngineError('bad-snapshot', 'restore: moments do not match the optimiser');
  s.moments.forEach((m, i) => expect(`moments[${i}]`, m, Float32Array, net.arena.size));
  if (!Array.isArray(s.good) || s.good.length !== 1 + net.opt.moments.length)
    throw new EngineError('bad-snapshot', 'restore: good state does not match');
  s.good.forEach((m, i) => expect(`good[${i}]`, m, Float32Array, net.arena.size));
  const b = s.buffer;
  if (!b) throw new EngineError('bad-snapshot', 'restore: no buffer');
  expect('buffer.values', b.values, Float64Array, N * F);
  expect('buffer.target', b.target, Float64Array, N);
  expect('buffer.flags', b.flags, Uint8Array, N);
  expect('buffer.times', b.times, Float64Array, N);
  if (!Number.isInteger(b.count) || b.count < 0)
    throw new EngineError('bad-snapshot', `restore: buffer.count ${String(b.count)}`);
  const keys = Object.keys(f.s) as (keyof Forecaster['s'])[];
  expect('scalars', s.scalars, Float64Array, keys.length);
  expect('trainer', s.trainer, Float64Array, 2 * F + 1);
  if (!s.optimizer || !s.net || !Array.isArray(s.replayRng))
    throw new EngineError('bad-snapshot', 'restore: optimizer, net or replayRng missing');
  for (let i = 0; i < s.params!.length; i++) {
    if (!Number.isFinite(s.params![i]))
      throw new EngineError('bad-snapshot', `restore: params[${i}] is ${s.params![i]}`);
  }
  for (const [what, part, state] of [
    ['smoother', f.sm, s.smoother],
    ['smoother1', f.sm1, s.smoother1],
    ['selection', f.sel, s.selection],
    ['intervals', f.iv, s.intervals],
    ['anomaly', f.anomaly, s.anomaly],
  ] as const) {
    const problem = (part.setState as (x: unknown) => string | null)(state);
    if (problem) throw new EngineError('bad-snapshot', `restore: ${what}: ${problem}`);
  }
  (net.arena.data as Float32Array).set(s.params!);
  net.opt.moments.forEach((m, i) => m.set(s.moments![i]));
  net.setGoodState(s.good!, s.optimizer.goodT);
  net.opt.t = s.optimizer.t;
  net.opt.lr = s.optimizer.lr;
  net.steps = s.net.steps;
  net.divergences = s.net.divergences;
  net.lstm.setRngState(s.net.dropoutRng);
  f.buf.values.set(b.values);
  f.buf.target.set(b.target);
  f.buf.flags.set(b.flags);
  f.buf.times.set(b.times);
  f.buf.count = b.count;
  keys.forEach((k, i) => (f.s[k] = s.scalars![i]));
  f.trainer.fMean.set(s.trainer!.subarray(0, F));
  f.trainer.fDev.set(s.trainer!.subarray(F, 2 * F));
  f.trainer.lossAvg = s.trainer![2 * F];
  f.trainer.rng.setState(s.replayRng);
}
