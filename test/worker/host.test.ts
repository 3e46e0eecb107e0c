// The ForecastHost driven directly, without a worker: ids, subscriptions, snapshots and state
// dicts, typed errors, and the scheduler (ingest in slices, round-robin training, idle when done).
// Assertions are on counts and order, never on how long anything took.

import { afterEach, describe, expect, it, vi } from 'vitest';
import { EngineError, Forecaster, type ForecastUpdate } from '../../worker/engine';
import { ForecastHost, type HostOptions } from '../../worker/host';
import { ENOUGH, SMALL, steps, wave } from './series';

const WAIT = { timeout: 30_000, interval: 5 };

let hosts: ForecastHost[] = [];
function newHost(options?: HostOptions): ForecastHost {
  const host = new ForecastHost(options);
  hosts.push(host);
  return host;
}
afterEach(() => {
  for (const h of hosts) h.close();
  hosts = [];
});

/** The EngineError code a call throws or rejects with, or 'none'. */
async function codeOf(fn: () => unknown): Promise<string> {
  try {
    await fn();
    return 'none';
  } catch (e) {
    expect(e).toBeInstanceOf(EngineError);
    return (e as EngineError).code;
  }
}

describe('forecasters under ids', () => {
  it('creates, pushes, forecasts, lists and disposes', async () => {
    const host = newHost();
    host.create('a', SMALL);
    host.create('b', SMALL);
    expect(host.list()).toEqual(['a', 'b']);
    const r = await host.push('a', wave(ENOUGH), steps(ENOUGH));
    expect(r).toMatchObject({ accepted: ENOUGH, gaps: 0, rejected: 0 });
    const f = host.forecast('a');
    expect(f.ready).toBe(true);
    expect(f.mean).toBeInstanceOf(Float64Array);
    expect(f.mean.length).toBe(4);
    expect(f.from).toBe(ENOUGH - 1);
    expect(host.stats('a').accepted).toBe(ENOUGH);
    expect(host.stats('b').accepted).toBe(0);
    expect(host.dispose('a')).toBe(true);
    expect(host.dispose('a')).toBe(false);
    expect(host.list()).toEqual(['b']);
  });

  it('trains in the background, not in push(), unless the caller asked for stepsPerSample', async () => {
    const host = newHost();
    host.create('bg', SMALL);
    host.create('sync', { ...SMALL, budget: { stepsPerSample: 1 } });
    const x = wave(ENOUGH);
    for (let i = 0; i < ENOUGH; i++) {
      void host.push('bg', x[i]); // one sample: ingested before push() returns
      void host.push('sync', x[i]);
    }
    const bg = host.stats('bg');
    expect(bg.accepted).toBe(ENOUGH);
    expect(bg.trainSteps).toBe(0);
    expect(bg.backlog).toBe(ENOUGH);
    expect(host.stats('sync').trainSteps).toBeGreaterThan(0);
    expect(host.stats('sync').backlog).toBe(0);
    await vi.waitFor(() => expect(host.stats('bg').backlog).toBe(0), WAIT);
    expect(host.stats('bg').trainSteps).toBeGreaterThan(0);
  });

  it('keeps the cpuShare the caller gave', () => {
    const host = newHost({ cpuShare: 0.5 });
    host.create('a', { ...SMALL, budget: { cpuShare: 0.25 } });
    const snap = host.snapshot('a');
    expect(snap.options.budget).toEqual({ cpuShare: 0.25 });
    host.create('b', SMALL);
    expect(host.snapshot('b').options.budget).toEqual({ cpuShare: 0.5 });
  });

  it('refuses unknown ids, duplicate ids and bad options with typed errors', async () => {
    const host = newHost();
    host.create('a', SMALL);
    expect(await codeOf(() => host.create('a', SMALL))).toBe('bad-config');
    expect(await codeOf(() => host.create('', SMALL))).toBe('bad-config');
    expect(await codeOf(() => host.create('c', { horizon: 0 }))).toBe('bad-config');
    expect(host.list()).toEqual(['a']);
    for (const call of [
      () => host.push('nope', wave(3)),
      () => host.forecast('nope'),
      () => host.stats('nope'),
      () => host.subscribe('nope', () => {}),
      () => host.unsubscribe('nope', 1),
      () => host.snapshot('nope'),
      () => host.exportStateDict('nope'),
      () => host.importStateDict('nope', {}),
    ]) {
      expect(await codeOf(call)).toBe('unknown-forecaster');
    }
  });

  it('passes the engine errors through: bad shapes throw, bad samples are counted', async () => {
    const host = newHost();
    host.create('two', { ...SMALL, features: 2 });
    expect(await codeOf(() => host.push('two', wave(3)))).toBe('bad-shape');
    expect(await codeOf(() => host.push('two', wave(4), steps(3)))).toBe('bad-shape');
    const r = await host.push('two', [1, 2, 3, 4], [5, 4]); // the second time goes back
    expect(r).toMatchObject({ accepted: 1, rejected: 1, error: { code: 'bad-time' } });
  });
});

describe('pushes', () => {
  it('ingests a big batch whole, in slices, and answers other calls in between', async () => {
    const host = newHost();
    host.create('big', SMALL);
    host.create('small', SMALL);
    const n = 5000;
    let bigDone = false;
    const big = host.push('big', wave(n)).then((r) => {
      bigDone = true;
      return r;
    });
    expect(host.stats('big').accepted).toBeLessThan(n); // the rest comes in later slices
    const small = await host.push('small', wave(ENOUGH));
    expect(small.accepted).toBe(ENOUGH);
    expect(host.forecast('small').ready).toBe(true);
    expect(bigDone).toBe(false);
    const r = await big;
    expect(r).toMatchObject({ accepted: n, gaps: 0, rejected: 0 });
    expect(host.stats('big')).toMatchObject({ pushed: n, accepted: n });
  });

  it('merges the results of the slices: gaps, rejects, the first error, every anomaly', async () => {
    const n = 3000;
    const x = wave(n);
    x[5] = NaN;
    x[2500] = NaN;
    x[2000] = 50; // far outside any interval
    const t = steps(n);
    t[1000] = t[999]; // a repeated time: rejected
    const sliced = newHost();
    sliced.create('a', { ...SMALL, budget: { stepsPerSample: 0 } });
    const r = await sliced.push('a', x, t);
    // The same batch in one call to the engine gives the same result.
    const whole = new Forecaster({ ...SMALL, budget: { stepsPerSample: 0 } }).push(x, t);
    expect(r).toEqual(whole);
    expect(r).toMatchObject({ accepted: n - 3, gaps: 2, rejected: 1, error: { code: 'bad-time' } });
    expect(r.anomalies.some((a) => a.time === 2000)).toBe(true);
  });

  it('ingests the pushes to one forecaster in order', async () => {
    const host = newHost();
    host.create('a', SMALL);
    const n = 4000;
    const first = host.push('a', wave(n), steps(n));
    const second = host.push('a', wave(10, n), steps(10, n)); // queued behind the first
    const third = host.push('a', n + 10, [n + 10]);
    expect((await first).accepted).toBe(n);
    expect(await second).toMatchObject({ accepted: 10, rejected: 0 });
    expect(await third).toMatchObject({ accepted: 1, rejected: 0 });
    expect(host.forecast('a').from).toBe(n + 10);
  });

  it('fails a push whose forecaster is disposed meanwhile', async () => {
    const host = newHost();
    host.create('a', SMALL);
    const push = host.push('a', wave(5000));
    host.dispose('a');
    expect(await codeOf(() => push)).toBe('unknown-forecaster');
  });

  it('accepts everything when data comes faster than training, and reports the backlog', async () => {
    const host = newHost({ cpuShare: 0.25 });
    host.create('a', SMALL);
    const n = 20_000;
    const r = await host.push('a', wave(n));
    expect(r.accepted).toBe(n);
    const s = host.stats('a');
    expect(s.accepted).toBe(n);
    expect(s.backlog).toBeGreaterThan(0);
    expect(s.backlog).toBeLessThanOrEqual(n);
    expect(s.trainSteps).toBeGreaterThan(0); // training ran between the slices of the push
  });
});

describe('subscribers', () => {
  it('get one update per push, with the forecast, the anomalies and the stats', async () => {
    const host = newHost();
    host.create('a', { ...SMALL, budget: { stepsPerSample: 0 } }); // no training: push updates only
    const updates: ForecastUpdate[] = [];
    host.subscribe('a', (u) => void updates.push(u));
    await host.push('a', wave(ENOUGH));
    await host.push('a', wave(5000, ENOUGH)); // ingested in many slices, still one update
    const x = wave(1, 5000 + ENOUGH);
    x[0] = 40;
    const spike = await host.push('a', x);
    expect(updates.length).toBe(3);
    expect(updates[0].stats.accepted).toBe(ENOUGH);
    expect(updates[1].stats.accepted).toBe(5000 + ENOUGH);
    expect(updates[1].forecast.from).toBe(5000 + ENOUGH - 1);
    expect(updates[1].forecast.mean.length).toBe(4);
    expect(spike.anomalies.length).toBe(1);
    expect(updates[2].anomalies).toEqual(spike.anomalies);
  });

  it('get one more update when training has caught up', async () => {
    const host = newHost();
    host.create('a', SMALL);
    const updates: ForecastUpdate[] = [];
    host.subscribe('a', (u) => void updates.push(u));
    await host.push('a', wave(ENOUGH));
    await vi.waitFor(() => expect(updates.at(-1)?.stats.backlog).toBe(0), WAIT);
    const last = updates.at(-1)!;
    expect(last.anomalies).toEqual([]);
    expect(last.stats.trainSteps).toBeGreaterThan(0);
    expect(last.stats.trainSteps).toBe(host.stats('a').trainSteps);
  });

  it('that throw or reject do not stop the others, nor the host', async () => {
    const errors: unknown[] = [];
    const host = newHost({ onListenerError: (_id, e) => errors.push(e) });
    host.create('a', { ...SMALL, budget: { stepsPerSample: 0 } });
    let good = 0;
    host.subscribe('a', () => {
      throw new Error('sync');
    });
    host.subscribe('a', () => Promise.reject(new Error('async')));
    host.subscribe('a', () => void good++);
    await host.push('a', wave(10));
    await host.push('a', wave(10, 10));
    expect(good).toBe(2);
    await vi.waitFor(() => expect(errors.length).toBe(4), WAIT);
    expect(errors.map((e) => (e as Error).message).sort()).toEqual([
      'async',
      'async',
      'sync',
      'sync',
    ]);
    expect(host.stats('a').accepted).toBe(20);
  });

  it('stop on unsubscribe or dispose, and are released once', async () => {
    const host = newHost();
    host.create('a', { ...SMALL, budget: { stepsPerSample: 0 } });
    let calls = 0;
    const released: string[] = [];
    const one = host.subscribe(
      'a',
      () => void calls++,
      () => released.push('one'),
    );
    host.subscribe(
      'a',
      () => {},
      () => released.push('two'),
    );
    await host.push('a', 1);
    expect(calls).toBe(1);
    expect(host.unsubscribe('a', one)).toBe(true);
    expect(host.unsubscribe('a', one)).toBe(false);
    await host.push('a', 2);
    expect(calls).toBe(1);
    host.dispose('a');
    expect(released).toEqual(['one', 'two']);
  });
});

describe('snapshots and state dicts', () => {
  it('restores a forecaster under a new id, identical to the original', async () => {
    const host = newHost();
    host.create('a', { ...SMALL, budget: { stepsPerSample: 1 } });
    await host.push('a', wave(200));
    host.restore('b', host.snapshot('a'));
    expect(host.list()).toEqual(['a', 'b']);
    expect(host.forecast('b')).toEqual(host.forecast('a'));
    await host.push('a', wave(50, 200));
    await host.push('b', wave(50, 200));
    expect(host.forecast('b')).toEqual(host.forecast('a'));
    expect(host.stats('b').trainSteps).toBe(host.stats('a').trainSteps);
  });

  it('replaces a forecaster in place, keeping its subscribers', async () => {
    const host = newHost();
    host.create('a', { ...SMALL, budget: { stepsPerSample: 0 } });
    await host.push('a', wave(100));
    const snap = host.snapshot('a');
    await host.push('a', wave(100, 100));
    let updates = 0;
    host.subscribe('a', () => void updates++);
    host.restore('a', snap);
    expect(host.stats('a').accepted).toBe(100);
    await host.push('a', wave(1, 100));
    expect(updates).toBe(1);
  });

  it('refuses a damaged snapshot and leaves the forecaster as it was', async () => {
    const host = newHost();
    host.create('a', SMALL);
    await host.push('a', wave(30));
    const snap = host.snapshot('a');
    expect(await codeOf(() => host.restore('a', { ...snap, version: 99 }))).toBe('bad-snapshot');
    expect(await codeOf(() => host.restore('x', { ...snap, params: new Float32Array(3) }))).toBe(
      'bad-snapshot',
    );
    expect(host.list()).toEqual(['a']);
    expect(host.stats('a').accepted).toBe(30);
  });

  it('exports and imports PyTorch state dicts', async () => {
    const host = newHost();
    host.create('a', { ...SMALL, seed: 1 });
    host.create('b', { ...SMALL, seed: 2 });
    const sd = host.exportStateDict('a');
    expect(Object.keys(sd)).toContain('lstm.weight_ih_l0');
    expect(Object.keys(sd)).toContain('head.bias');
    expect(host.exportStateDict('b')).not.toEqual(sd);
    host.importStateDict('b', sd);
    expect(host.exportStateDict('b')).toEqual(sd);
    expect(await codeOf(() => host.importStateDict('b', { 'lstm.nope': [1] }))).toBe(
      'bad-state-dict',
    );
    expect(host.exportStateDict('b')).toEqual(sd);
  });
});

describe('the training scheduler', () => {
  /** A forecaster that has ingested n samples and trained on none of them. */
  function untrained(n: number): Forecaster {
    const f = new Forecaster({ ...SMALL, budget: { cpuShare: 1 } });
    f.push(wave(n));
    expect(f.backlog).toBe(Math.min(n, f.options.capacity)); // the backlog is at most what the buffer holds
    return f;
  }

  it('takes turns: a flooded forecaster gets no two slices in a row while another waits', async () => {
    const log: string[] = [];
    const host = newHost({ onSlice: (id, stepsDone) => log.push(`${id}:${stepsDone > 0}`) });
    host.restore('flood', untrained(20_000).snapshot());
    host.restore('calm', untrained(300).snapshot());
    await vi.waitFor(() => expect(host.stats('calm').backlog).toBe(0), WAIT);
    const calmSlices = log.filter((s) => s.startsWith('calm')).length;
    expect(calmSlices).toBeGreaterThan(1);
    // Strictly in turn, from the first slice to calm's last: flood, calm, flood, calm, ...
    const turns = log.slice(0, 2 * calmSlices);
    expect(turns).toEqual(turns.map((_, i) => (i % 2 === 0 ? 'flood:true' : 'calm:true')));
    expect(host.stats('calm').trainSteps).toBeGreaterThan(0);
    expect(host.stats('flood').backlog).toBeGreaterThan(0); // still training, not starving calm
  });

  it('answers a push and a forecast of one forecaster while another is flooded', async () => {
    const host = newHost();
    host.create('flood', SMALL);
    host.create('calm', SMALL);
    let floodDone = false;
    const flood = host.push('flood', wave(20_000)).then((r) => {
      floodDone = true;
      return r;
    });
    const calm = await host.push('calm', wave(ENOUGH));
    expect(calm.accepted).toBe(ENOUGH);
    expect(host.forecast('calm').ready).toBe(true);
    expect(floodDone).toBe(false);
    await vi.waitFor(() => expect(host.stats('calm').backlog).toBe(0), WAIT);
    expect(host.stats('calm').trainSteps).toBeGreaterThan(0);
    expect(host.stats('flood').backlog).toBeGreaterThan(0);
    host.dispose('flood');
    expect(await codeOf(() => flood)).toMatch(/none|unknown-forecaster/);
  });

  it('goes idle when every backlog is trained, and stops training a disposed forecaster', async () => {
    const slices: string[] = [];
    const host = newHost({ cpuShare: 0.5, onSlice: (id) => slices.push(id) });
    host.restore('a', untrained(200).snapshot());
    host.restore('b', untrained(20_000).snapshot());
    await vi.waitFor(() => expect(host.stats('a').backlog).toBe(0), WAIT);
    expect(host.training).toBe(true); // b still has a backlog
    host.dispose('b');
    const count = slices.length;
    await vi.waitFor(() => expect(host.training).toBe(false), WAIT);
    expect(slices.slice(count)).not.toContain('b');
    expect(slices.filter((s) => s === 'b').length).toBeGreaterThan(0);
  });

  it('trains at most trainShare of the time, all forecasters together', async () => {
    let busy = 0;
    const host = newHost({ cpuShare: 1, trainShare: 0.25, onSlice: (_id, _n, ms) => (busy += ms) });
    for (const id of ['a', 'b', 'c', 'd']) host.restore(id, untrained(20_000).snapshot());
    const t0 = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const share = busy / (performance.now() - t0);
    // unbounded, training would take about all of it (cpuShare 1); a slice preempted on a loaded
    // machine counts its wait as busy (0.303 was seen over 500 ms beside a benchmark), hence the
    // longer window and the margin over 0.25
    expect(busy).toBeGreaterThan(0);
    expect(share, `training took ${(share * 100).toFixed(0)}% of the time`).toBeLessThan(0.35);
    expect(await codeOf(() => new ForecastHost({ trainShare: 0 }))).toBe('bad-config');
    expect(await codeOf(() => new ForecastHost({ trainShare: 1.5 }))).toBe('bad-config');
  });

  it('waits for more data rather than spinning while warming up', async () => {
    const slices: number[] = [];
    const host = newHost({ onSlice: (_id, n) => slices.push(n) });
    host.create('a', SMALL);
    await host.push('a', wave(3)); // far too few samples for a training window
    await vi.waitFor(() => expect(host.training).toBe(false), WAIT);
    expect(slices.every((n) => n === 0)).toBe(true);
    expect(slices.length).toBeLessThanOrEqual(1);
    expect(host.stats('a').backlog).toBe(3);
  });
});
