// worker/forecast.worker.ts as a module Web Worker in Chromium, bundled by Vite: the same file the
// Node tests run in a worker_thread, here through `self` and the MessageChannel scheduler.

import * as Comlink from 'comlink';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { ForecastUpdate } from '../../worker/engine';
import { EngineError } from '../../worker/engine/errors';
import '../../worker/protocol';
import type { ForecastApi } from '../../worker/forecast.worker';

const SMALL = { hiddenSize: 8, window: 16, horizon: 4, seed: 1 };

function wave(n: number, from = 0): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => Math.sin(0.3 * (from + i)));
}

const worker = new Worker(new URL('../../worker/forecast.worker.ts', import.meta.url), {
  type: 'module',
});
const api = Comlink.wrap<ForecastApi>(worker);
afterAll(() => worker.terminate());

describe('the forecast worker in a Web Worker', () => {
  it('forecasts, trains in the background and reports to a subscriber', async () => {
    await api.create('a', SMALL);
    const updates: ForecastUpdate[] = [];
    await api.subscribe(
      'a',
      Comlink.proxy((u: ForecastUpdate) => void updates.push(u)),
    );
    const values = wave(200);
    const r = await api.push('a', Comlink.transfer(values, [values.buffer]));
    expect(values.length).toBe(0);
    expect(r.accepted).toBe(200);
    const f = await api.forecast('a');
    expect(f.ready).toBe(true);
    expect(f.mean).toBeInstanceOf(Float64Array);
    await vi.waitFor(() => expect(updates.some((u) => u.stats.backlog === 0)).toBe(true), {
      timeout: 30_000,
      interval: 10,
    });
    expect((await api.stats('a')).trainSteps).toBeGreaterThan(0);
    // Vite serves the worker the SIMD kernels, and Chromium runs them
    expect((await api.stats('a')).kernels).toBe('wasm-simd');
  });

  it('sends errors across as EngineErrors', async () => {
    const e = await api.stats('nobody').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(EngineError);
    expect((e as EngineError).code).toBe('unknown-forecaster');
  });

  it('answers a calm forecaster while another is flooded', async () => {
    await api.create('flood', SMALL);
    await api.create('calm', SMALL);
    let floodDone = false;
    const flood = api.push('flood', wave(20_000)).then((r) => {
      floodDone = true;
      return r;
    });
    expect((await api.push('calm', wave(64))).accepted).toBe(64);
    expect((await api.forecast('calm')).ready).toBe(true);
    expect(floodDone).toBe(false);
    expect((await flood).accepted).toBe(20_000);
  });
});
