// worker/forecast.worker.ts in a real Node worker_thread, through Comlink: the API as the main
// thread sees it, typed errors across the boundary, transfers, subscriptions through
// Comlink.proxy, fairness and backpressure. Assertions are on counts and order, not on times.

import * as Comlink from 'comlink';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { EngineError, type ForecastUpdate } from '../../worker/engine';
import { ENOUGH, SMALL, steps, wave } from './series';
import { startForecastWorker, type ForecastWorker } from './spawn';

const WAIT = { timeout: 60_000, interval: 10 };

let w: ForecastWorker;
beforeAll(() => {
  w = startForecastWorker();
});
afterAll(async () => {
  await w.worker.terminate();
});

/** The error a call rejects with (it must reject). */
async function rejection(p: Promise<unknown>): Promise<EngineError> {
  try {
    await p;
  } catch (e) {
    return e as EngineError;
  }
  throw new Error('expected the call to reject');
}

/** Resolves with the first update that passes `test`. */
function updateWhere(
  updates: ForecastUpdate[],
  test: (u: ForecastUpdate) => boolean,
): Promise<ForecastUpdate> {
  return vi.waitFor(() => {
    const u = updates.find(test);
    if (!u) throw new Error('no such update yet');
    return u;
  }, WAIT);
}

describe('the forecast worker in a Node worker_thread', () => {
  it('creates, pushes transferred batches, forecasts, lists and disposes', async () => {
    const { api } = w;
    await api.create('basic', SMALL);
    const values = wave(ENOUGH);
    const times = steps(ENOUGH);
    const r = await api.push(
      'basic',
      Comlink.transfer(values, [values.buffer]),
      Comlink.transfer(times, [times.buffer]),
    );
    expect(values.length).toBe(0); // transferred, not copied
    expect(times.length).toBe(0);
    expect(r).toMatchObject({ accepted: ENOUGH, gaps: 0, rejected: 0 });
    const f = await api.forecast('basic');
    expect(f.ready).toBe(true);
    expect(f.mean).toBeInstanceOf(Float64Array);
    expect(f.mean.length).toBe(4);
    expect(f.time).toEqual(Float64Array.from([ENOUGH, ENOUGH + 1, ENOUGH + 2, ENOUGH + 3]));
    const s = await api.stats('basic');
    expect(s.accepted).toBe(ENOUGH);
    expect(s.mae).toBeInstanceOf(Float64Array);
    expect(await api.list()).toContain('basic');
    expect(await api.dispose('basic')).toBe(true);
    expect(await api.dispose('basic')).toBe(false);
    expect(await api.list()).not.toContain('basic');
  });

  it('sends errors across as EngineErrors with their codes', async () => {
    const { api } = w;
    const unknown = await rejection(api.forecast('nobody'));
    expect(unknown).toBeInstanceOf(EngineError);
    expect(unknown.code).toBe('unknown-forecaster');
    expect(unknown.message).toMatch(/nobody/);
    expect((await rejection(api.push('nobody', wave(2)))).code).toBe('unknown-forecaster');
    await api.create('errors', { ...SMALL, features: 2 });
    expect((await rejection(api.create('errors', SMALL))).code).toBe('bad-config');
    expect((await rejection(api.create('bad', { horizon: -1 }))).code).toBe('bad-config');
    const shape = await rejection(api.push('errors', wave(3)));
    expect(shape).toBeInstanceOf(EngineError);
    expect(shape.code).toBe('bad-shape');
    const snap = await api.snapshot('errors');
    expect((await rejection(api.restore('x', { ...snap, version: 0 }))).code).toBe('bad-snapshot');
    expect((await rejection(api.importStateDict('errors', { 'head.bias': [1] }))).code).toBe(
      'bad-state-dict',
    );
    // The worker still answers after all that.
    expect(await api.list()).toContain('errors');
    await api.dispose('errors');
  });

  it('calls a Comlink.proxy subscriber with each update; a throwing one stops nothing', async () => {
    const { api } = w;
    await api.create('sub', SMALL);
    const updates: ForecastUpdate[] = [];
    let thrown = 0;
    const good = await api.subscribe(
      'sub',
      Comlink.proxy((u: ForecastUpdate) => void updates.push(u)),
    );
    await api.subscribe(
      'sub',
      Comlink.proxy(() => {
        thrown++;
        throw new Error('a subscriber that throws');
      }),
    );
    await api.push('sub', wave(ENOUGH));
    await api.push('sub', wave(10, ENOUGH));
    const second = await updateWhere(updates, (u) => u.stats.accepted === ENOUGH + 10);
    expect(second.forecast.mean).toBeInstanceOf(Float64Array);
    expect(second.forecast.from).toBe(ENOUGH + 9);
    expect(second.stats.pushed).toBe(ENOUGH + 10);
    // Training catches up in the background, and says so.
    const trained = await updateWhere(updates, (u) => u.stats.backlog === 0);
    expect(trained.stats.trainSteps).toBeGreaterThan(0);
    await vi.waitFor(() => expect(thrown).toBeGreaterThanOrEqual(2), WAIT);
    expect(await api.unsubscribe('sub', good)).toBe(true);
    expect(await api.unsubscribe('sub', good)).toBe(false);
    const before = updates.length;
    await api.push('sub', wave(1, ENOUGH + 10));
    expect((await api.stats('sub')).accepted).toBe(ENOUGH + 11);
    expect(updates.length).toBe(before);
    await api.dispose('sub');
  });

  it('snapshots and restores, under a new id and in place', async () => {
    const { api } = w;
    await api.create('orig', { ...SMALL, budget: { stepsPerSample: 1 } });
    await api.push('orig', wave(200));
    const snap = await api.snapshot('orig');
    expect(snap.params).toBeInstanceOf(Float32Array);
    await api.restore('copy', snap);
    expect(await api.forecast('copy')).toEqual(await api.forecast('orig'));
    await api.push('orig', wave(20, 200));
    await api.push('copy', wave(20, 200));
    expect(await api.forecast('copy')).toEqual(await api.forecast('orig'));
    await api.restore('orig', snap); // back to where it was
    expect((await api.stats('orig')).accepted).toBe(200);
    await api.dispose('orig');
    await api.dispose('copy');
  });

  it('exports and imports PyTorch state dicts', async () => {
    const { api } = w;
    await api.create('sd1', { ...SMALL, seed: 1 });
    await api.create('sd2', { ...SMALL, seed: 2 });
    const sd = await api.exportStateDict('sd1');
    expect(Object.keys(sd)).toEqual(
      expect.arrayContaining(['lstm.weight_ih_l0', 'lstm.bias_hh_l0', 'head.weight', 'head.bias']),
    );
    expect(await api.exportStateDict('sd2')).not.toEqual(sd);
    await api.importStateDict('sd2', sd);
    expect(await api.exportStateDict('sd2')).toEqual(sd);
    await api.dispose('sd1');
    await api.dispose('sd2');
  });

  it('keeps answering and training a calm forecaster while another is flooded', async () => {
    const { api } = w;
    await api.create('flood', SMALL);
    await api.create('calm', SMALL);
    const calmUpdates: ForecastUpdate[] = [];
    await api.subscribe(
      'calm',
      Comlink.proxy((u: ForecastUpdate) => void calmUpdates.push(u)),
    );
    const n = 20_000;
    let floodDone = false;
    const flood = api.push('flood', wave(n)).then((r) => {
      floodDone = true;
      return r;
    });
    // Sent after the flood, answered before it is in.
    const calm = await api.push('calm', wave(ENOUGH));
    const forecast = await api.forecast('calm');
    expect(floodDone).toBe(false);
    expect(calm.accepted).toBe(ENOUGH);
    expect(forecast.ready).toBe(true);
    // The calm one is trained to the end while the flooded one still has a backlog.
    const trained = await updateWhere(calmUpdates, (u) => u.stats.backlog === 0);
    expect(trained.stats.trainSteps).toBeGreaterThan(0);
    expect((await api.stats('flood')).backlog).toBeGreaterThan(0);
    // Backpressure: the flood is accepted whole, and the backlog says how far behind training is.
    const r = await flood;
    expect(r.accepted).toBe(n);
    const s = await api.stats('flood');
    expect(s.accepted).toBe(n);
    expect(s.backlog).toBeGreaterThan(0);
    expect(s.backlog).toBeLessThanOrEqual(n);
    await api.dispose('flood');
    await api.dispose('calm');
  });
});
