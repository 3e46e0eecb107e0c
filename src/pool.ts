// The workers behind every <lstm-forecast> on a page: a small pool (hardwareConcurrency - 1, at
// least 1, at most 4), each worker hosting many forecasters. An element leases a forecaster;
// the lease sends its pushes, relays its updates, and keeps what it takes to rebuild the
// forecaster elsewhere: its latest snapshot and every sample pushed since. If a worker dies, the
// pool starts a new one and restores each forecaster it hosted from that, so no accepted
// sample is lost. A worker that never started (refused by a Content-Security-Policy, a script
// that fails as it loads) is not started again: every lease waiting for it, and every later
// one, fails with a WorkerStartError that says why.
//
// The main thread reaches the worker only through Comlink and the worker's API type.

import * as Comlink from 'comlink';
import type { ForecastApi } from '../worker/forecast.worker';
import type {
  ForecasterOptions,
  ForecasterSnapshot,
  ForecasterStats,
  ForecastUpdate,
  ErrorInfo,
} from '../worker/engine';
import { WORKER_REFUSED, createForecastWorker } from './worker-factory';

export type WorkerFactory = () => Worker;

/**
 * The worker could not be started: `worker-blocked` when the browser refused it (a
 * Content-Security-Policy, a failed fetch; the message says what to do), `worker-error` when its
 * script failed as it loaded or it did not answer within STARTUP_TIMEOUT_MS.
 */
export class WorkerStartError extends Error {
  constructor(
    readonly code: 'worker-blocked' | 'worker-error',
    message: string,
  ) {
    super(message);
    this.name = 'WorkerStartError';
  }
}

/** The forecast worker, from a URL or a Blob depending on the build (see ./worker-factory). */
const defaultFactory: WorkerFactory = createForecastWorker;

/** How often a lease refreshes its snapshot (and so trims its log of samples since). */
const SNAPSHOT_EVERY_MS = 5000;
/** A worker that does not answer a ping within this long is taken for dead. */
const PING_TIMEOUT_MS = 4000;
const PING_EVERY_MS = 2000;
/** A new worker that has not answered within this long is taken for one that cannot start. */
const STARTUP_TIMEOUT_MS = 30_000;

interface Slot {
  worker: Worker;
  api: Comlink.Remote<ForecastApi>;
  leases: Set<Lease>;
  dead: boolean;
  /** It has answered a call: it runs. Until then a failure is a failure to start. */
  started: boolean;
  /**
   * Why the worker is gone (buried, or it could not start: a WorkerStartError); null while it
   * lives. Calls in flight to a dead worker never answer, so `call()` ends them with this.
   */
  gone: Error | null;
  /** The calls in flight through `call()`: each is failed when the worker goes, and leaves when it settles. */
  inFlight: Set<(error: Error) => void>;
}

/**
 * A call to a slot's worker, ended early if the worker goes (a dead worker never answers). Once
 * the call settles nothing of it is left in the slot: racing it against a promise that outlives
 * it (the worker's death) would keep one reaction, and its closure, per call for as long as the
 * worker lives.
 */
function call<T>(slot: Slot, pending: Promise<T>): Promise<T> {
  if (slot.gone) {
    pending.catch(() => undefined);
    return Promise.reject(slot.gone);
  }
  return new Promise<T>((resolve, reject) => {
    slot.inFlight.add(reject);
    pending.then(
      (v) => {
        slot.inFlight.delete(reject);
        resolve(v);
      },
      (e: unknown) => {
        slot.inFlight.delete(reject);
        reject(e);
      },
    );
  });
}

/** Ends a slot: every call in flight fails with `error` (the first reason given wins). */
function end(slot: Slot, error: Error): void {
  slot.dead = true;
  if (slot.gone) return;
  slot.gone = error;
  const waiting = [...slot.inFlight];
  slot.inFlight.clear();
  for (const reject of waiting) reject(error);
}

export interface LeaseHandlers {
  onUpdate(update: ForecastUpdate): void;
  /** A worker died and the forecaster was restored elsewhere, or a call failed. */
  onError(error: ErrorInfo | { code: WorkerStartError['code']; message: string }): void;
}

let nextId = 0;

export class WorkerPool {
  readonly size: number;
  private readonly factory: WorkerFactory;
  private readonly slots: (Slot | null)[];
  private pingTimer: ReturnType<typeof setInterval> | null = null;
  /** Set when a worker could not start: no other is tried, every lease fails with it. */
  private startError: WorkerStartError | null = null;

  constructor(size?: number, factory: WorkerFactory = defaultFactory) {
    const hc = typeof navigator !== 'undefined' ? navigator.hardwareConcurrency || 1 : 1;
    // one core is left to the page itself: training never competes with drawing for all of them
    this.size = Math.max(1, Math.min(4, size ?? hc - 1));
    this.factory = factory;
    this.slots = new Array<Slot | null>(this.size).fill(null);
  }

  /** Leases a new forecaster (or one restored from `snapshot`) on the least loaded worker. */
  async acquire(
    options: ForecasterOptions,
    handlers: LeaseHandlers,
    snapshot?: ForecasterSnapshot,
  ): Promise<Lease> {
    const lease = new Lease(this, `f${nextId++}`, options, handlers);
    await lease.start(snapshot);
    return lease;
  }

  /** Leases currently held, per worker (for tests and diagnostics). */
  get load(): number[] {
    return this.slots.map((s) => (s && !s.dead ? s.leases.size : 0));
  }

  /** The worker hosting a lease (tests terminate it to check recovery). */
  workerOf(lease: Lease): Worker | null {
    return lease.slot?.worker ?? null;
  }

  /**
   * @internal the slot a new lease goes to: the least loaded, started on demand. Throws the
   * WorkerStartError once a worker could not start.
   */
  pick(): Slot {
    if (this.startError) throw this.startError;
    let best = 0;
    for (let i = 1; i < this.size; i++) {
      if ((this.slots[i]?.leases.size ?? 0) < (this.slots[best]?.leases.size ?? 0)) best = i;
    }
    let slot = this.slots[best];
    if (!slot || slot.dead) slot = this.slots[best] = this.spawn();
    this.startPings(); // a lease is coming: watch the workers
    return slot;
  }

  /** @internal */
  release(lease: Lease): void {
    lease.slot?.leases.delete(lease);
    this.stopPingsIfIdle();
  }

  private spawn(): Slot {
    let worker: Worker;
    try {
      worker = this.factory();
    } catch (e) {
      // some browsers refuse a worker at once, with a SecurityError, rather than by an event
      throw (this.startError = new WorkerStartError(
        'worker-blocked',
        `${WORKER_REFUSED} (${e instanceof Error ? e.message : String(e)})`,
      ));
    }
    const api = Comlink.wrap<ForecastApi>(worker);
    const slot: Slot = {
      worker,
      api,
      leases: new Set(),
      dead: false,
      started: false,
      gone: null,
      inFlight: new Set(),
    };
    const startup = setTimeout(() => {
      const seconds = STARTUP_TIMEOUT_MS / 1000;
      this.failedToStart(
        slot,
        new WorkerStartError(
          'worker-error',
          `the forecast worker did not start within ${seconds} s`,
        ),
      );
    }, STARTUP_TIMEOUT_MS);
    // Calls wait in the worker's queue until it runs: the first answer says it started.
    api.list().then(
      () => {
        slot.started = true;
        clearTimeout(startup);
      },
      () => undefined,
    );
    worker.addEventListener('error', (e) => {
      e.preventDefault();
      clearTimeout(startup);
      if (slot.started) {
        void this.bury(slot, `the worker failed: ${e.message || 'an error'}`);
      } else if (e.message) {
        // its script threw as it loaded: the next one would too
        const error = new WorkerStartError(
          'worker-error',
          `the forecast worker failed to start: ${e.message}`,
        );
        this.failedToStart(slot, error);
      } else {
        // a plain error event before any answer: the browser would not start it
        this.failedToStart(slot, new WorkerStartError('worker-blocked', WORKER_REFUSED));
      }
    });
    return slot;
  }

  /**
   * A worker that never ran: not started again (it would fail the same way, forever). The leases
   * waiting for it fail with `error`, and so does every later acquire.
   */
  private failedToStart(slot: Slot, error: WorkerStartError): void {
    if (slot.dead) return;
    this.startError ??= error;
    end(slot, error);
    slot.worker.terminate();
    const i = this.slots.indexOf(slot);
    if (i >= 0) this.slots[i] = null;
    slot.leases.clear();
    this.stopPingsIfIdle();
  }

  /** Marks a worker dead and moves its forecasters to a fresh one. */
  async bury(slot: Slot, why: string): Promise<void> {
    if (slot.dead) return;
    end(slot, new Error(why));
    slot.worker.terminate();
    const i = this.slots.indexOf(slot);
    if (i >= 0) this.slots[i] = null;
    const leases = [...slot.leases];
    slot.leases.clear();
    await Promise.all(leases.map((lease) => lease.recover(why)));
  }

  private startPings(): void {
    if (this.pingTimer !== null) return;
    this.pingTimer = setInterval(() => {
      for (const slot of this.slots) {
        // a worker still starting has its own deadline (STARTUP_TIMEOUT_MS)
        if (!slot || slot.dead || !slot.started || slot.leases.size === 0) continue;
        let answered = false;
        slot.api.list().then(
          () => (answered = true),
          () => undefined,
        );
        setTimeout(() => {
          if (!answered) void this.bury(slot, 'the worker stopped answering');
        }, PING_TIMEOUT_MS);
      }
    }, PING_EVERY_MS);
  }

  private stopPingsIfIdle(): void {
    if (this.slots.some((s) => s && !s.dead && s.leases.size > 0)) return;
    if (this.pingTimer !== null) clearInterval(this.pingTimer);
    this.pingTimer = null;
  }
}

/** One element's forecaster in the pool. */
export class Lease {
  /** @internal */
  slot: Slot | null = null;
  private snapshot: ForecasterSnapshot | null = null;
  /** Samples pushed since `snapshot` was taken, in order (row-major values, times or null). */
  private log: { values: Float64Array; times: Float64Array | null }[] = [];
  private subscription = -1;
  /** In start(), which moves to a new worker by itself if its worker dies. */
  private starting = false;
  /** Batches not yet sent; `sending` is the push that will take them. */
  private outbox: { values: Float64Array[]; times: Float64Array[]; sending: Promise<void> | null } =
    {
      values: [],
      times: [],
      sending: null,
    };
  private timer: ReturnType<typeof setTimeout> | null = null;
  private released = false;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly pool: WorkerPool,
    readonly id: string,
    readonly options: ForecasterOptions,
    private readonly handlers: LeaseHandlers,
  ) {}

  /**
   * @internal creates (or restores) the forecaster on a worker and subscribes. Rejects with a
   * WorkerStartError if the worker cannot start. If the worker dies meanwhile (calls to a dead
   * worker never answer), it starts again on the worker that replaces it.
   */
  async start(snapshot?: ForecasterSnapshot): Promise<void> {
    for (;;) {
      const slot = this.pool.pick();
      slot.leases.add(this);
      this.slot = slot;
      this.starting = true;
      // A worker that does not start, or dies, never answers: that ends the wait.
      const answer = <T>(pending: Promise<T>) => call(slot, pending);
      try {
        await answer(
          snapshot ? slot.api.restore(this.id, snapshot) : slot.api.create(this.id, this.options),
        );
        this.snapshot = snapshot ?? (await answer(slot.api.snapshot(this.id)));
        this.subscription = await answer(
          slot.api.subscribe(
            this.id,
            Comlink.proxy((u: ForecastUpdate) => this.handlers.onUpdate(u)),
          ),
        );
      } catch (e) {
        if (e instanceof WorkerStartError) this.slot = null;
        else if (slot.dead) {
          slot.leases.delete(this);
          continue; // buried while we started: the pool has a new worker for us
        }
        throw e;
      } finally {
        this.starting = false;
      }
      break;
    }
    if (this.timer === null) this.scheduleSnapshot();
  }

  /**
   * Sends a batch (row-major values, optional times), transferred. Calls are serialised, so the
   * worker sees batches in order and a snapshot includes exactly the batches before it.
   */
  push(values: Float64Array, times: Float64Array | null): Promise<void> {
    this.log.push({ values: values.slice(), times: times ? times.slice() : null });
    // Batches wait while the previous one is in flight, and go as one message: under load the
    // queue of messages cannot grow faster than the worker answers them.
    const o = this.outbox;
    o.values.push(values);
    if (times) o.times.push(times);
    if (o.sending) return o.sending;
    o.sending = this.enqueue(async (api) => {
      const vs = concat(o.values);
      const ts = o.times.length > 0 ? concat(o.times) : null;
      o.values = [];
      o.times = [];
      o.sending = null;
      const tv = Comlink.transfer(vs, [vs.buffer]);
      if (ts) await api.push(this.id, tv, Comlink.transfer(ts, [ts.buffer]));
      else await api.push(this.id, tv);
    }).catch((e: unknown) => {
      // A dead worker: the batches are in the log, and recovery pushes them to the new worker.
      // A released lease: its owner let the forecaster go (a rebuild), and what it pushed too.
      o.values = [];
      o.times = [];
      o.sending = null;
      if (!(e instanceof WorkerGone) && !this.released) throw e;
    });
    return o.sending;
  }

  /** The forecaster's stats, after every call made before this one. */
  stats(): Promise<ForecasterStats> {
    return this.enqueue((api) => api.stats(this.id));
  }

  /**
   * The next snapshot in SNAPSHOT_EVERY_MS ±25%: leases started together (a page's elements)
   * would otherwise all take theirs in the same moment, every time.
   */
  private scheduleSnapshot(): void {
    this.timer = setTimeout(
      () => {
        if (this.released) return;
        void this.refreshSnapshot().catch(() => undefined);
        this.scheduleSnapshot();
      },
      SNAPSHOT_EVERY_MS * (0.75 + 0.5 * Math.random()),
    );
  }

  /**
   * The recovery point, as it is now and without asking the worker: the latest snapshot and
   * every batch pushed since (copies of the arrays). What a save on `pagehide` stores.
   */
  recoveryPoint(): {
    snapshot: ForecasterSnapshot | null;
    log: { values: Float64Array; times: Float64Array | null }[];
  } {
    return { snapshot: this.snapshot, log: this.log.slice() };
  }

  /** The forecaster's full state now (also kept as the recovery point). */
  takeSnapshot(): Promise<ForecasterSnapshot> {
    return this.refreshSnapshot();
  }

  restore(snapshot: ForecasterSnapshot): Promise<void> {
    return this.enqueue(async (api) => {
      await api.restore(this.id, snapshot);
      this.snapshot = snapshot;
      this.log = [];
    });
  }

  exportStateDict(): Promise<Record<string, number[] | number[][]>> {
    return this.enqueue((api) => api.exportStateDict(this.id));
  }

  importStateDict(sd: Record<string, unknown>): Promise<void> {
    return this.enqueue(async (api) => {
      await api.importStateDict(this.id, sd as Record<string, number[] | number[][]>);
      await this.refreshSnapshotNow(api);
    });
  }

  /** Gives the forecaster back: it is disposed in its worker. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const slot = this.slot;
    this.pool.release(this);
    this.slot = null;
    if (slot && !slot.dead) {
      await slot.api.unsubscribe(this.id, this.subscription).catch(() => false);
      await slot.api.dispose(this.id).catch(() => false);
    }
  }

  get isReleased(): boolean {
    return this.released;
  }

  /**
   * @internal after its worker died: queued behind the calls that were waiting (they fail at
   * once), rebuilds the forecaster on another worker from the snapshot and every batch since.
   */
  recover(why: string): Promise<void> {
    const run = this.queue.then(async () => {
      if (this.released) return;
      // still starting, or started again elsewhere since: start() moves itself
      if (this.starting || (this.slot && !this.slot.dead)) return;
      const pending = this.log.slice();
      this.slot = null;
      try {
        await this.start(this.snapshot ?? undefined);
        const api = this.slot!.api;
        for (const b of pending) {
          if (b.times) await api.push(this.id, b.values.slice(), b.times.slice());
          else await api.push(this.id, b.values.slice());
        }
        this.handlers.onError({
          code: 'worker-error',
          message: `${why}; the forecaster was restored on a new worker with the ${count(pending)} value(s) pushed since its last snapshot`,
        });
      } catch (e) {
        this.handlers.onError(infoOf(e));
      }
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  private enqueue<T>(fn: (api: Comlink.Remote<ForecastApi>) => Promise<T>): Promise<T> {
    const run = this.queue.then(async () => {
      if (this.released) throw new Error('the forecaster was released');
      const slot = this.slot;
      if (!slot || slot.dead) throw new WorkerGone();
      try {
        return await call(slot, fn(slot.api));
      } catch (e) {
        if (slot.dead) throw new WorkerGone();
        throw e;
      }
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  private refreshSnapshot(): Promise<ForecasterSnapshot> {
    return this.enqueue((api) => this.refreshSnapshotNow(api));
  }

  private async refreshSnapshotNow(api: Comlink.Remote<ForecastApi>): Promise<ForecasterSnapshot> {
    // the snapshot covers every batch sent before it; those still in the outbox go after it
    const upTo = this.log.length - this.outbox.values.length;
    const snap = await api.snapshot(this.id);
    this.snapshot = snap;
    this.log = this.log.slice(upTo);
    return snap;
  }
}

/**
 * The { code, message } of an error from a call to the worker. The worker sends its EngineErrors
 * with their code (worker/protocol.ts), and Comlink rebuilds them as Errors carrying it, so the
 * main thread needs no code from worker/ for that; anything else is a 'worker-error'.
 */
function infoOf(e: unknown): ErrorInfo {
  const err = e as { code?: unknown; name?: unknown; message?: unknown } | null;
  if (typeof err?.code === 'string')
    return { code: err.code as ErrorInfo['code'], message: String(err.message) };
  const what = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return { code: 'worker-error', message: what };
}

function concat(parts: Float64Array[]): Float64Array {
  if (parts.length === 1) return parts[0];
  const out = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A call that met a dead worker; what it carried is replayed by the recovery. */
class WorkerGone extends Error {
  constructor() {
    super('the worker died; the forecaster is being restored');
  }
}

function count(batches: { values: Float64Array }[]): number {
  return batches.reduce((n, b) => n + b.values.length, 0);
}

let shared: WorkerPool | null = null;

/** The page's pool, made on first use. */
export function sharedPool(): WorkerPool {
  shared ??= new WorkerPool();
  return shared;
}
