// The worker pool (src/pool.ts) when its worker cannot start: the lease fails with a
// WorkerStartError that says why, and no other worker is started, however long one waits or
// however many elements ask; and when a worker dies while a forecaster is starting on it.

import { describe, expect, it } from 'vitest';
import { WorkerPool, WorkerStartError } from '../../src/pool';

const handlers = { onUpdate: () => undefined, onError: () => undefined };

/** What the pool makes of a worker that `make` returns, and how often it asked for one. */
async function startWith(make: () => Worker, waitMs = 6500) {
  let made = 0;
  const pool = new WorkerPool(2, () => {
    made++;
    return make();
  });
  const first = await pool.acquire({ horizon: 4 }, handlers).catch((e: unknown) => e);
  // a ping cycle (2 s, then 4 s to answer) would have restarted a worker that died
  await new Promise((r) => setTimeout(r, waitMs));
  const second = await pool.acquire({ horizon: 4 }, handlers).catch((e: unknown) => e);
  return { first, second, made, load: pool.load };
}

describe('WorkerPool, when its worker cannot start', () => {
  it('a worker the browser will not load: worker-blocked, and no other worker started', async () => {
    const r = await startWith(
      () => new Worker('/no-such-worker.js', { type: 'module', name: 'lstm-forecast' }),
    );
    expect(r.first).toBeInstanceOf(WorkerStartError);
    expect((r.first as WorkerStartError).code).toBe('worker-blocked');
    expect((r.first as WorkerStartError).message).toMatch(/refused to start the forecast worker/);
    expect(r.second, 'a later acquire fails at once with the same error').toBe(r.first);
    expect(r.made, 'workers made').toBe(1);
    expect(r.load).toEqual([0, 0]);
  }, 15_000);

  it('a worker whose script throws as it loads: worker-error with its message, not restarted', async () => {
    const url = URL.createObjectURL(
      new Blob(['throw new Error("no engine here");'], { type: 'text/javascript' }),
    );
    const r = await startWith(() => new Worker(url, { name: 'lstm-forecast' }));
    URL.revokeObjectURL(url);
    expect(r.first).toBeInstanceOf(WorkerStartError);
    expect((r.first as WorkerStartError).code).toBe('worker-error');
    expect((r.first as WorkerStartError).message).toMatch(/failed to start: .*no engine here/);
    expect(r.second).toBe(r.first);
    expect(r.made, 'workers made').toBe(1);
  }, 15_000);

  it('a browser that throws at new Worker(): worker-blocked, the reason kept', async () => {
    const r = await startWith(() => {
      throw new DOMException('refused by policy', 'SecurityError');
    }, 0);
    expect((r.first as WorkerStartError).code).toBe('worker-blocked');
    expect((r.first as WorkerStartError).message).toMatch(/refused by policy/);
    expect(r.made).toBe(1);
  }, 15_000);
});

describe('WorkerPool, when its worker dies while a forecaster is starting on it', () => {
  it('starts that forecaster on the new worker, and recovers the ones already there', async () => {
    const errors: string[] = [];
    const updates: number[] = [];
    const pool = new WorkerPool(1);
    const a = await pool.acquire(
      { horizon: 4 },
      { onUpdate: () => undefined, onError: (e) => errors.push(e.code) },
    );
    const worker = pool.workerOf(a);
    // b's first call is on its way to the worker when the worker goes: it is never answered
    const b = pool.acquire(
      { horizon: 4 },
      { onUpdate: (u) => updates.push(u.stats.accepted), onError: (e) => errors.push(e.code) },
    );
    worker?.terminate();
    const lease = await b; // before the fix: never settled
    expect(pool.workerOf(lease)).not.toBe(worker);
    expect(pool.workerOf(lease)).toBe(pool.workerOf(a));
    await lease.push(Float64Array.of(1, 2, 3), null);
    await expect.poll(() => updates.at(-1), { timeout: 5000 }).toBe(3);
    expect(errors, 'a reports its recovery; b just started').toEqual(['worker-error']);
    await Promise.all([a.release(), lease.release()]);
  }, 20_000);
});

describe('errors from the worker, on a main thread that loads no worker code', () => {
  it('arrive as Errors that keep the EngineError code', async () => {
    const pool = new WorkerPool(1);
    const lease = await pool.acquire({ horizon: 4 }, handlers);
    const e = (await lease.importStateDict({ 'lstm.weight_ih_l0': [[1]] }).catch((x) => x)) as {
      code?: string;
      name?: string;
      message?: string;
    };
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('EngineError');
    expect(e.code).toBe('bad-state-dict');
    expect(e.message).toMatch(/weight_ih_l0/);
    await lease.release();
  });
});
