// Many forecasters under ids, and the scheduler that trains them fairly. Plain TypeScript with no
// Comlink and no worker globals: forecast.worker.ts puts it behind Comlink, tests drive it directly.
//
// Two kinds of work, both cut into slices of about `sliceMs`, with a yield to the event loop after
// each, so that a call arriving meanwhile (a push, a forecast, another forecaster's anything) is
// answered after at most one slice:
// - Ingest: push() ingests at once what fits in one slice; a bigger batch goes on in later slices,
//   and its promise settles when all of it is in. Pushes to one forecaster are ingested in order.
//   Ingest is never paced: a push is never blocked for training's sake, nor dropped.
// - Training: a forecaster with work pending (samples not yet trained on, pre-training owed, a
//   refit its pushes left to training) waits in a round-robin queue; a slice trains the one at
//   the front, which goes to the back while its work lasts.
//   Its `cpuShare` paces it: after a slice of d ms it rests d (1 - share) / share ms, while the
//   others may train. The host as a whole trains and ingests at most `trainShare` of the time
//   (default 0.5; ingest is never paced, training gives way to it): a worker behind a page leaves
//   the core it runs on half free, for the page's drawing and the browser's own threads. When training cannot keep up, the backlog grows and the engine
//   trains on the newest windows first; stats().backlog says how far behind it is.
// With nothing to do the host is idle: no timer, no loop.

import {
  EngineError,
  Forecaster,
  type Anomaly,
  type Forecast,
  type ForecasterOptions,
  type ForecasterSnapshot,
  type ForecasterStats,
  type ForecastUpdate,
  type PushResult,
} from './engine';

/** A PyTorch state_dict as the engine exports and imports it. */
export type StateDict = Record<string, number[] | number[][]>;

/** Receives each update; what it returns is ignored, a rejected promise included. */
export type UpdateListener = (update: ForecastUpdate) => unknown;

export interface HostOptions {
  /** The share of CPU time given to forecasters created without a budget. Default 0.5. */
  cpuShare?: number;
  /** Length of one slice of training or ingest, in milliseconds. Default 4. */
  sliceMs?: number;
  /**
   * The share of the host's time spent training and ingesting, all forecasters together, in
   * (0, 1]: after d ms of either, no forecaster trains for d (1 - share) / share ms. Default 0.5,
   * so that a worker never takes a whole core from the page that hosts it; 1 trains flat out.
   * Ingest (pushes) is never held back by it: heavy ingest leaves less time to training.
   */
  trainShare?: number;
  /** Called after each training slice (for tests and metrics). */
  onSlice?: (id: string, steps: number, ms: number) => void;
  /** Called when a listener throws or its promise rejects; the host goes on either way. */
  onListenerError?: (id: string, error: unknown) => void;
}

interface Subscription {
  listener: UpdateListener;
  /** Called once when the subscription ends (unsubscribe, dispose, close). */
  release?: () => void;
}

interface Entry {
  readonly id: string;
  forecaster: Forecaster;
  /** Share of CPU time for pacing; 1 trains back to back. */
  share: number;
  readonly subscriptions: Map<number, Subscription>;
  /** In the training queue. */
  queued: boolean;
  /** Earliest time (performance.now()) of its next training slice. */
  readyAt: number;
  /** A training failure, reported by the next push. */
  trainingError?: EngineError;
  /** Settles after the last push still being ingested in slices; null when none is. */
  tail: Promise<unknown> | null;
  /** Rows per call to Forecaster.push while ingesting in slices, adapted to the slice length. */
  chunk: number;
}

/** A push being ingested in slices. */
interface Batch {
  readonly f: Forecaster;
  readonly values: ArrayLike<number>;
  readonly times: ArrayLike<number> | undefined;
  /** Rows in all, and rows ingested so far. */
  readonly n: number;
  done: number;
  readonly result: PushResult;
}

const DEFAULT_CPU_SHARE = 0.5;
const DEFAULT_TRAIN_SHARE = 0.5;
/** Ingest defers training by at most this many slices' time after the last training slice. */
const STARVE_SLICES = 8;
const DEFAULT_SLICE_MS = 4;
const MAX_CHUNK = 4096;

/** Runs callbacks soon, in order, each in its own task, letting pending messages in first. */
interface Yielder {
  yieldNow(callback: () => void): void;
  close(): void;
}

/**
 * setImmediate in Node (it runs after pending I/O, worker messages included); a MessageChannel in
 * browsers, where setTimeout(0) is clamped to 4 ms once nested.
 */
function makeYielder(): Yielder {
  const immediate = (globalThis as { setImmediate?: (callback: () => void) => unknown })
    .setImmediate;
  if (typeof immediate === 'function') {
    return { yieldNow: (callback) => void immediate(callback), close: () => {} };
  }
  const channel = new MessageChannel();
  const pending: (() => void)[] = [];
  channel.port1.onmessage = () => pending.shift()?.();
  return {
    yieldNow: (callback) => {
      pending.push(callback);
      channel.port2.postMessage(null);
    },
    close: () => {
      channel.port1.close();
      channel.port2.close();
      // Still run what waits (it sees the host closed), so no promise is left hanging.
      for (const callback of pending.splice(0)) setTimeout(callback, 0);
    },
  };
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

function shareOf(budget: ForecasterOptions['budget'], fallback: number): number {
  return budget && 'cpuShare' in budget ? budget.cpuShare : fallback;
}

function isList(value: unknown): value is ArrayLike<unknown> {
  return Array.isArray(value) || (ArrayBuffer.isView(value) && !(value instanceof DataView));
}

/** Rows [from, to) of a row-major list of `width` columns: a view for typed arrays. */
function rows<T extends ArrayLike<unknown>>(list: T, from: number, to: number, width: number): T {
  const a = list as unknown as {
    subarray?: (s: number, e: number) => T;
    slice: (s: number, e: number) => T;
  };
  return a.subarray ? a.subarray(from * width, to * width) : a.slice(from * width, to * width);
}

export class ForecastHost {
  private readonly entries = new Map<string, Entry>();
  /** Forecasters with work pending, in round-robin order. */
  private queue: Entry[] = [];
  private readonly cpuShare: number;
  private readonly sliceMs: number;
  private readonly trainShare: number;
  /** No training slice before this time (performance.now()): the host's share (trainShare). */
  private restUntil = 0;
  /** When the last training slice ended. */
  private lastSliceEnd = 0;
  private readonly onSlice?: HostOptions['onSlice'];
  private readonly onListenerError?: HostOptions['onListenerError'];
  private yielder: Yielder | null = null;
  private runPending = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private timerAt = Infinity;
  private nextSubscription = 1;
  private closed = false;

  constructor(options: HostOptions = {}) {
    const {
      cpuShare = DEFAULT_CPU_SHARE,
      sliceMs = DEFAULT_SLICE_MS,
      trainShare = DEFAULT_TRAIN_SHARE,
    } = options;
    if (!(typeof trainShare === 'number' && trainShare > 0 && trainShare <= 1)) {
      throw new EngineError(
        'bad-config',
        `trainShare must be a number in (0, 1], found ${trainShare}`,
      );
    }
    if (!(typeof cpuShare === 'number' && cpuShare > 0 && cpuShare <= 1)) {
      throw new EngineError('bad-config', `cpuShare must be a number in (0, 1], found ${cpuShare}`);
    }
    if (!(typeof sliceMs === 'number' && sliceMs > 0 && Number.isFinite(sliceMs))) {
      throw new EngineError('bad-config', `sliceMs must be a number > 0, found ${sliceMs}`);
    }
    this.cpuShare = cpuShare;
    this.sliceMs = sliceMs;
    this.trainShare = trainShare;
    this.onSlice = options.onSlice;
    this.onListenerError = options.onListenerError;
  }

  /**
   * Creates a forecaster. Without a budget, or with { cpuShare }, the host trains it in slices;
   * with { stepsPerSample } it trains inside push(), as it does outside a worker.
   */
  create(id: string, options: ForecasterOptions = {}): void {
    this.checkId(id);
    if (this.entries.has(id)) {
      throw new EngineError('bad-config', `a forecaster "${id}" exists already`);
    }
    const given = options?.budget;
    const budget =
      given && 'stepsPerSample' in given ? given : { cpuShare: shareOf(given, this.cpuShare) };
    const forecaster = new Forecaster({ ...options, budget });
    this.entries.set(id, this.newEntry(id, forecaster));
  }

  /**
   * Ingests a batch (see Forecaster.push), queues its training and sends one update to the
   * subscribers. Settles when the whole batch is in; a big one is ingested in slices.
   */
  push(
    id: string,
    values: number | ArrayLike<number>,
    times?: ArrayLike<number>,
  ): Promise<PushResult> {
    let entry: Entry;
    try {
      entry = this.entry(id);
    } catch (e) {
      return Promise.reject(e);
    }
    const failure = entry.trainingError;
    if (failure) {
      entry.trainingError = undefined;
      return Promise.reject(failure);
    }
    // Behind a push still being ingested; else at once, so a small batch is in on return.
    if (entry.tail)
      return this.track(
        entry,
        entry.tail.then(() => this.ingest(entry, values, times)),
      );
    try {
      const result = this.ingest(entry, values, times);
      return result instanceof Promise ? this.track(entry, result) : Promise.resolve(result);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  forecast(id: string): Forecast {
    return this.entry(id).forecaster.forecast();
  }

  stats(id: string): ForecasterStats {
    return this.entry(id).forecaster.stats();
  }

  /**
   * Sends `listener` an update after each push, and one when training has caught up with the
   * backlog (with no anomalies). Returns the subscription's number, for unsubscribe. `release`
   * is called once when the subscription ends.
   */
  subscribe(id: string, listener: UpdateListener, release?: () => void): number {
    const entry = this.entry(id);
    if (typeof listener !== 'function') {
      throw new EngineError(
        'bad-config',
        `a subscriber must be a function, found ${typeof listener}`,
      );
    }
    const n = this.nextSubscription++;
    entry.subscriptions.set(n, { listener, release });
    return n;
  }

  /** Ends a subscription; false if there was none of that number. */
  unsubscribe(id: string, subscription: number): boolean {
    const entry = this.entry(id);
    const s = entry.subscriptions.get(subscription);
    if (!s) return false;
    entry.subscriptions.delete(subscription);
    this.release(s);
    return true;
  }

  snapshot(id: string): ForecasterSnapshot {
    return this.entry(id).forecaster.snapshot();
  }

  /**
   * Creates the forecaster from a snapshot, or replaces it, keeping its subscribers. The snapshot's
   * budget is kept as it is. A push still being ingested into the replaced one fails.
   */
  restore(id: string, snapshot: ForecasterSnapshot): void {
    this.checkId(id);
    const forecaster = Forecaster.restore(snapshot);
    let entry = this.entries.get(id);
    if (entry) {
      entry.forecaster = forecaster;
      entry.share = shareOf(forecaster.options.budget, 1);
      entry.trainingError = undefined;
      entry.readyAt = 0;
    } else {
      entry = this.newEntry(id, forecaster);
      this.entries.set(id, entry);
    }
    this.enqueue(entry);
  }

  importStateDict(id: string, stateDict: StateDict): void {
    this.entry(id).forecaster.importStateDict(stateDict);
  }

  exportStateDict(id: string): StateDict {
    return this.entry(id).forecaster.exportStateDict();
  }

  /** Drops the forecaster and ends its subscriptions; false if there was none. */
  dispose(id: string): boolean {
    const entry = this.entries.get(id);
    if (!entry) return false;
    this.entries.delete(id);
    if (entry.queued) {
      this.queue = this.queue.filter((e) => e !== entry);
      entry.queued = false;
    }
    for (const s of entry.subscriptions.values()) this.release(s);
    entry.subscriptions.clear();
    return true;
  }

  list(): string[] {
    return [...this.entries.keys()];
  }

  /** Whether a training slice is queued or waiting: false means training is idle. */
  get training(): boolean {
    return this.runPending || this.timer !== undefined;
  }

  /** Disposes every forecaster and stops the scheduler for good. */
  close(): void {
    for (const id of this.list()) this.dispose(id);
    this.closed = true;
    this.clearTimer();
    this.yielder?.close();
    this.yielder = null;
  }

  // Entries

  private newEntry(id: string, forecaster: Forecaster): Entry {
    return {
      id,
      forecaster,
      share: shareOf(forecaster.options.budget, 1),
      subscriptions: new Map(),
      queued: false,
      readyAt: 0,
      tail: null,
      chunk: 16,
    };
  }

  private checkId(id: unknown): asserts id is string {
    if (typeof id !== 'string' || id === '') {
      throw new EngineError(
        'bad-config',
        `a forecaster id must be a non-empty string, found ${JSON.stringify(id) ?? String(id)}`,
      );
    }
  }

  private entry(id: string): Entry {
    const entry = this.entries.get(id);
    if (!entry) throw new EngineError('unknown-forecaster', `no forecaster "${String(id)}"`);
    return entry;
  }

  /** Whether `entry` still holds `forecaster` under its id (not disposed, not restored). */
  private live(entry: Entry, forecaster: Forecaster): boolean {
    return this.entries.get(entry.id) === entry && entry.forecaster === forecaster;
  }

  // Ingest

  /** Makes `job` the push that later pushes to this forecaster wait for. */
  private track(entry: Entry, job: Promise<PushResult>): Promise<PushResult> {
    const tail: Promise<unknown> = job.then(
      () => {},
      () => {},
    );
    entry.tail = tail;
    void tail.then(() => {
      if (entry.tail === tail) entry.tail = null;
    });
    return job;
  }

  /** Ingests the first slice now; returns the result, or a promise if more slices are needed. */
  private ingest(
    entry: Entry,
    values: number | ArrayLike<number>,
    times: ArrayLike<number> | undefined,
  ): PushResult | Promise<PushResult> {
    const f = entry.forecaster;
    if (!this.live(entry, f)) throw this.gone(entry, 0, 0);
    const F = f.options.features;
    const n = isList(values) ? values.length / F : 0;
    const sliceable =
      Number.isInteger(n) && n > 1 && (times == null || (isList(times) && times.length === n));
    if (!sliceable) {
      // One sample, or a call of the wrong shape: the engine answers (or throws) at once.
      const start = performance.now();
      const result = f.push(values, times);
      this.charge(start);
      this.ingested(entry, result.anomalies);
      return result;
    }
    const batch: Batch = {
      f,
      values: values as ArrayLike<number>,
      times: times ?? undefined,
      n,
      done: 0,
      result: { accepted: 0, gaps: 0, rejected: 0, anomalies: [] },
    };
    if (!this.ingestSlice(entry, batch)) return this.ingestRest(entry, batch);
    this.ingested(entry, batch.result.anomalies);
    return batch.result;
  }

  private async ingestRest(entry: Entry, batch: Batch): Promise<PushResult> {
    do {
      this.enqueue(entry); // training may start on what is in
      await this.yieldNow();
      if (!this.live(entry, batch.f)) throw this.gone(entry, batch.done, batch.n);
    } while (!this.ingestSlice(entry, batch));
    this.ingested(entry, batch.result.anomalies);
    return batch.result;
  }

  /** Ingests rows of the batch for about one slice; true when all are in. */
  private ingestSlice(entry: Entry, batch: Batch): boolean {
    const { f, n, result } = batch;
    const F = f.options.features;
    const start = performance.now();
    do {
      const from = batch.done;
      const to = Math.min(n, from + entry.chunk);
      const t0 = performance.now();
      const r = f.push(
        rows(batch.values, from, to, F),
        batch.times && rows(batch.times, from, to, 1),
      );
      const ms = performance.now() - t0;
      // Calls of an eighth to a half of a slice: few calls, and a slice ends near its length.
      if (ms < this.sliceMs / 8 && to - from === entry.chunk) {
        entry.chunk = Math.min(MAX_CHUNK, entry.chunk * 2);
      } else if (ms > this.sliceMs / 2) {
        entry.chunk = Math.max(1, entry.chunk >> 1);
      }
      result.accepted += r.accepted;
      result.gaps += r.gaps;
      result.rejected += r.rejected;
      for (const a of r.anomalies) result.anomalies.push(a);
      if (r.error && !result.error) result.error = r.error;
      batch.done = to;
    } while (batch.done < n && performance.now() - start < this.sliceMs);
    this.charge(start);
    return batch.done >= n;
  }

  /**
   * Counts ingest work that began at `start` against the host's trainShare: ingest itself is
   * never held back, but training then rests as if it had done that work, so that the two
   * together stay within the share.
   */
  private charge(start: number): void {
    if (this.trainShare >= 1) return;
    const end = performance.now();
    const rest = ((end - start) * (1 - this.trainShare)) / this.trainShare;
    // but never so long that endless ingest would starve training: a slice at least every
    // STARVE_SLICES slices' time
    const limit = this.lastSliceEnd + STARVE_SLICES * this.sliceMs;
    const until = Math.min(Math.max(this.restUntil, end) + rest, limit);
    this.restUntil = Math.max(this.restUntil, until);
  }

  private ingested(entry: Entry, anomalies: Anomaly[]): void {
    this.enqueue(entry);
    this.notify(entry, anomalies);
  }

  private gone(entry: Entry, done: number, n: number): EngineError {
    const what = n > 0 ? ` after ${done} of ${n} samples` : '';
    return this.entries.get(entry.id) === entry
      ? new EngineError(
          'worker-error',
          `forecaster "${entry.id}" was restored during a push${what}`,
        )
      : new EngineError(
          'unknown-forecaster',
          `forecaster "${entry.id}" was disposed during a push${what}`,
        );
  }

  private yieldNow(): Promise<void> {
    return new Promise((resolve) => {
      if (this.closed) return void setTimeout(resolve, 0);
      this.yielder ??= makeYielder();
      this.yielder.yieldNow(resolve);
    });
  }

  // Subscribers

  private notify(entry: Entry, anomalies: Anomaly[]): void {
    if (entry.subscriptions.size === 0) return;
    const update: ForecastUpdate = {
      forecast: entry.forecaster.forecast(),
      anomalies,
      stats: entry.forecaster.stats(),
    };
    // A copy: a listener may unsubscribe or dispose while we go through them.
    for (const { listener } of [...entry.subscriptions.values()]) {
      try {
        const result = listener(update);
        if (isThenable(result)) {
          result.then(undefined, (e: unknown) => this.listenerFailed(entry.id, e));
        }
      } catch (e) {
        this.listenerFailed(entry.id, e);
      }
    }
  }

  private listenerFailed(id: string, error: unknown): void {
    try {
      this.onListenerError?.(id, error);
    } catch {
      // An error handler that throws changes nothing.
    }
  }

  private release(s: Subscription): void {
    try {
      s.release?.();
    } catch {
      // Releasing is best effort: the other side may be gone already.
    }
  }

  // Training

  private enqueue(entry: Entry): void {
    if (entry.queued || this.closed || !entry.forecaster.pending) return;
    entry.queued = true;
    this.queue.push(entry);
    this.wake();
  }

  /** Arranges the next slice: soon if a queued forecaster is ready, else when the first is. */
  private wake(): void {
    if (this.runPending || this.closed) return;
    let next = Infinity;
    for (const e of this.queue) next = Math.min(next, e.readyAt);
    if (next === Infinity) return; // nothing to train: stay idle
    next = Math.max(next, this.restUntil);
    const now = performance.now();
    if (next <= now) {
      this.clearTimer();
      this.runPending = true;
      this.yielder ??= makeYielder();
      this.yielder.yieldNow(this.run);
    } else if (next < this.timerAt) {
      this.clearTimer();
      this.timerAt = next;
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.timerAt = Infinity;
        this.wake();
      }, next - now);
    }
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
  }

  private readonly run = (): void => {
    this.runPending = false;
    if (this.closed) return;
    const now = performance.now();
    const i = now >= this.restUntil ? this.queue.findIndex((e) => e.readyAt <= now) : -1;
    if (i >= 0) {
      const [entry] = this.queue.splice(i, 1);
      entry.queued = false;
      this.slice(entry);
    }
    this.wake();
  };

  /** Trains one forecaster for one slice, then requeues it, or tells its subscribers it caught up. */
  private slice(entry: Entry): void {
    const f = entry.forecaster;
    const start = performance.now();
    let steps: number;
    try {
      steps = f.train(this.sliceMs);
    } catch (e) {
      // Not queued again until the next push, which reports the failure.
      entry.trainingError =
        e instanceof EngineError
          ? e
          : new EngineError(
              'worker-error',
              `training failed: ${e instanceof Error ? e.message : String(e)}`,
            );
      return;
    }
    const end = performance.now();
    const ms = end - start;
    entry.readyAt = entry.share >= 1 ? end : end + (ms * (1 - entry.share)) / entry.share;
    this.lastSliceEnd = end;
    this.restUntil =
      this.trainShare >= 1 ? end : end + (ms * (1 - this.trainShare)) / this.trainShare;
    try {
      this.onSlice?.(entry.id, steps, ms);
    } catch {
      // An observer cannot stop training.
    }
    if (!f.pending) {
      if (steps > 0) this.notify(entry, []);
    } else if (steps > 0) {
      entry.queued = true;
      this.queue.push(entry);
    }
    // else nothing to learn yet (warming up): it waits for the next push.
  }
}
