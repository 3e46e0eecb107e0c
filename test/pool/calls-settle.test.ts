// A call to a worker leaves nothing behind once it settles. The pool used to race every call
// against its worker's death (`Promise.race([call, died])`): `died` settles only when the worker
// does, so each race added a reaction to it that held the call's result for the worker's whole
// life (about 160 MB an hour on a page of 8 busy elements). The pool runs here in Node on a real
// forecast worker (a worker_thread); what a call returned must be collectable after it settled.

import { Worker as NodeWorker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { WorkerPool, type Lease } from '../../src/pool';

const ENTRY = new URL('../../worker/forecast.worker.ts', import.meta.url).href;

const threads: NodeWorker[] = [];

/** A forecast worker in a worker_thread, shaped as the DOM Worker the pool expects. */
function nodeWorker(): Worker {
  const bootstrap = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(ENTRY)}); });`;
  const thread = new NodeWorker(bootstrap, { eval: true });
  threads.push(thread);
  // Comlink's node-adapter takes every listener for a message listener: the pool's 'error' one too
  const wrapped = new Map<EventListenerOrEventListenerObject, (data: unknown) => void>();
  const shaped = {
    postMessage: (message: unknown, transfer?: Transferable[]) =>
      thread.postMessage(message, transfer as never),
    addEventListener(type: string, listener: EventListenerOrEventListenerObject) {
      const call = (event: object) =>
        'handleEvent' in listener ? listener.handleEvent(event as Event) : listener(event as Event);
      const l =
        type === 'message'
          ? (data: unknown) => call({ data })
          : (e: unknown) => call({ message: String(e), preventDefault: () => undefined });
      wrapped.set(listener, l);
      thread.on(type === 'message' ? 'message' : 'error', l);
    },
    removeEventListener(type: string, listener: EventListenerOrEventListenerObject) {
      const l = wrapped.get(listener);
      if (l) thread.off(type === 'message' ? 'message' : 'error', l);
      wrapped.delete(listener);
    },
    terminate: () => void thread.terminate(),
  };
  return shaped as unknown as Worker;
}

const gc = (globalThis as { gc?: () => void }).gc;

/** Whether `ref`'s target survives collection (after the job that made it, as WeakRefs need). */
async function survives(ref: WeakRef<object>): Promise<boolean> {
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setTimeout(r, 0));
    gc!();
  }
  return ref.deref() !== undefined;
}

afterEach(async () => {
  await Promise.all(threads.splice(0).map((t) => t.terminate()));
});

describe('WorkerPool calls', () => {
  it('keep nothing once settled: a call result is collectable while its worker lives', async () => {
    expect(gc, 'run with --expose-gc').toBeTypeOf('function');
    const pool = new WorkerPool(1, nodeWorker);
    const lease: Lease = await pool.acquire(
      { horizon: 4, window: 8, hiddenSize: 4 },
      { onUpdate: () => undefined, onError: () => undefined },
    );
    await lease.push(
      Float64Array.from({ length: 64 }, (_, i) => Math.sin(i / 5)),
      null,
    );
    const stats = new WeakRef(await lease.stats());
    const snapshot = new WeakRef(await lease.takeSnapshot());
    // the lease refers to its latest snapshot on purpose (its recovery point): take a newer one
    await lease.takeSnapshot();
    expect(await survives(stats), 'a stats() result still held by the pool').toBe(false);
    expect(await survives(snapshot), 'a replaced snapshot still held by the pool').toBe(false);
    await lease.release();
  }, 60_000);

  it('still fail at once when their worker dies, and the forecaster is restored', async () => {
    const errors: string[] = [];
    const pool = new WorkerPool(1, nodeWorker);
    const lease = await pool.acquire(
      { horizon: 4, window: 8, hiddenSize: 4 },
      { onUpdate: () => undefined, onError: (e) => errors.push(e.code) },
    );
    await lease.push(
      Float64Array.from({ length: 16 }, (_, i) => i),
      null,
    );
    const slot = lease.slot!;
    threads[0].terminate(); // it answers nothing from now on
    const pending = lease.stats();
    await pool.bury(slot, 'gone');
    await expect(pending).rejects.toThrow(/worker died/);
    const s = await lease.stats();
    expect(s.pushed).toBe(16);
    expect(errors).toEqual(['worker-error']);
    await lease.release();
  }, 60_000);
});
