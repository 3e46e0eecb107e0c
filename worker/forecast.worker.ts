// The forecast worker: a ForecastHost (many forecasters, trained fairly in slices) behind Comlink.
// The same file runs as a module Web Worker and as a Node worker_thread. The main thread imports
// only the ForecastApi type from here, plus ./protocol for typed errors.

import * as Comlink from 'comlink';
import type {
  Forecast,
  ForecasterOptions,
  ForecasterSnapshot,
  ForecasterStats,
  ForecastUpdate,
  PushResult,
} from './engine';
import { ForecastHost, type StateDict } from './host';
import { toEngineError } from './protocol';

const host = new ForecastHost();

/** Runs a host call; whatever it throws crosses as an EngineError (see ./protocol). */
function call<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw toEngineError(e);
  }
}

/**
 * Marks the ArrayBuffers of every typed array in `value` for transfer. Only for values the engine
 * made for us alone: its forecast(), stats() and snapshot() return copies.
 */
function transferOwn<T extends object>(value: T): T {
  const buffers = new Set<ArrayBuffer>();
  const visit = (v: unknown): void => {
    if (ArrayBuffer.isView(v)) {
      if (v.buffer instanceof ArrayBuffer) buffers.add(v.buffer);
    } else if (Array.isArray(v)) {
      v.forEach(visit);
    } else if (typeof v === 'object' && v !== null) {
      Object.values(v).forEach(visit);
    }
  };
  visit(value);
  return Comlink.transfer(value, [...buffers]);
}

/** Ends the Comlink proxy of a subscriber, if it is one (a local function has nothing to end). */
function releaseRemote(callback: unknown): void {
  const release = (callback as Partial<Comlink.ProxyMethods>)[Comlink.releaseProxy];
  if (typeof release === 'function') release();
}

const api = {
  /** Creates a forecaster under `id`; without a budget it gets the host's share of CPU time. */
  create(id: string, options: ForecasterOptions = {}): void {
    call(() => host.create(id, options));
  },

  /**
   * Ingests a batch: values row-major (n * features), times optional (one per row). Send the
   * arrays transferred, `Comlink.transfer(values, [values.buffer])`. Never waits for training:
   * it queues it, and the stats' backlog says how far behind training is. Resolves when the whole
   * batch is in (a big batch is ingested in slices, between which other calls are answered).
   */
  async push(id: string, values: Float64Array, times?: Float64Array): Promise<PushResult> {
    try {
      return await host.push(id, values, times);
    } catch (e) {
      throw toEngineError(e);
    }
  },

  forecast(id: string): Forecast {
    return transferOwn(call(() => host.forecast(id)));
  },

  stats(id: string): ForecasterStats {
    return transferOwn(call(() => host.stats(id)));
  },

  /**
   * Calls `callback` (pass `Comlink.proxy(fn)`) after each push and when training catches up.
   * Returns the subscription's number for unsubscribe.
   */
  subscribe(id: string, callback: (update: ForecastUpdate) => void): number {
    return call(() => host.subscribe(id, callback, () => releaseRemote(callback)));
  },

  unsubscribe(id: string, subscription: number): boolean {
    return call(() => host.unsubscribe(id, subscription));
  },

  snapshot(id: string): ForecasterSnapshot {
    return transferOwn(call(() => host.snapshot(id)));
  },

  /** Creates the forecaster from a snapshot, or replaces it (its subscribers stay). */
  restore(id: string, snapshot: ForecasterSnapshot): void {
    call(() => host.restore(id, snapshot));
  },

  importStateDict(id: string, stateDict: StateDict): void {
    call(() => host.importStateDict(id, stateDict));
  },

  exportStateDict(id: string): StateDict {
    return call(() => host.exportStateDict(id));
  },

  /** Drops the forecaster and its subscriptions; false if there was none. */
  dispose(id: string): boolean {
    return call(() => host.dispose(id));
  },

  list(): string[] {
    return host.list();
  },
};

export type ForecastApi = typeof api;
export type { StateDict };

// Where are we? A Web Worker's global is a WorkerGlobalScope; a Node worker_thread has a
// parentPort. Read through globalThis, not by name: the main thread type-checks this file (for
// ForecastApi) with the DOM lib, which has no WorkerGlobalScope.

type NodeAdapter = typeof import('comlink/dist/esm/node-adapter');
type NodePort = Parameters<NodeAdapter['default']>[0];

function isNode(): boolean {
  const g = globalThis as { process?: { versions?: { node?: string } } };
  return typeof g.process?.versions?.node === 'string';
}

/** Node's modules are loaded by specifiers that bundlers leave alone: a browser never runs this. */
async function exposeInNode(): Promise<void> {
  const threads = (await import(/* @vite-ignore */ 'node:' + 'worker_threads')) as {
    parentPort: NodePort | null;
  };
  if (!threads.parentPort) return; // imported in Node's main thread: nothing to serve
  const adapter = (await import(
    /* @vite-ignore */ 'comlink/dist/esm/node-adapter' + '.mjs'
  )) as NodeAdapter;
  Comlink.expose(api, adapter.default(threads.parentPort));
}

function inWebWorker(): boolean {
  const scope = (globalThis as { WorkerGlobalScope?: abstract new () => unknown })
    .WorkerGlobalScope;
  return typeof scope === 'function' && globalThis instanceof scope;
}

if (inWebWorker()) {
  Comlink.expose(api, globalThis as unknown as Comlink.Endpoint);
} else if (isNode()) {
  void exposeInNode();
}
