// The demo's sensor server (demo/server/sensors.ts): every stream speaks { t, value } over SSE and
// WebSocket, the rate control works, the simulated sensors have the structure the dashboard
// promises, and the replays read vega-datasets.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { REPLAYS, readReplay, replaySensor } from '../../demo/server/replay';
import { startSensorServer, type SensorServer } from '../../demo/server/sensors';
import { SIM_STEP_MS, simulatedSensors, type Reading } from '../../demo/server/simulate';

const RATE = 200; // readings per second per stream: fast tests
const N = 20; // messages read from each stream
const TIMEOUT_MS = 5000;
const START = Date.UTC(2024, 0, 1); // the simulated clocks' start

let server: SensorServer;
beforeAll(async () => {
  server = await startSensorServer({ rate: RATE, start: START });
});
afterAll(() => server.close());

/** Checks one message text is exactly {"t": finite, "value": finite} and returns it. */
function reading(text: string): Reading {
  const msg = JSON.parse(text) as Record<string, unknown>;
  expect(Object.keys(msg).sort(), `keys of ${text}`).toEqual(['t', 'value']);
  expect(Number.isFinite(msg.t), `t of ${text}`).toBe(true);
  expect(Number.isFinite(msg.value), `value of ${text}`).toBe(true);
  return msg as unknown as Reading;
}

/** The first n `data:` payloads of an SSE stream. */
async function readSse(path: string, n: number): Promise<string[]> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), TIMEOUT_MS);
  try {
    const res = await fetch(server.url + path, { signal: abort.signal });
    expect(res.status, path).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    const out: string[] = [];
    let buf = '';
    while (out.length < n) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`${path} ended after ${out.length} messages`);
      buf += value;
      let end: number;
      while ((end = buf.indexOf('\n\n')) >= 0) {
        const event = buf.slice(0, end);
        buf = buf.slice(end + 2);
        const data = event
          .split('\n')
          .filter((l) => l.startsWith('data:'))
          .map((l) => l.slice(5).trimStart());
        if (data.length > 0) out.push(data.join('\n'));
      }
    }
    return out.slice(0, n);
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
}

/** The first n messages of a WebSocket stream. */
function readWs(path: string, n: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(server.url.replace(/^http/, 'ws') + path);
    const out: string[] = [];
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`${path}: ${out.length} of ${n} messages in ${TIMEOUT_MS} ms`));
    }, TIMEOUT_MS);
    ws.on('message', (data) => {
      out.push(String(data));
      if (out.length === n) {
        clearTimeout(timer);
        ws.close();
        resolve(out);
      }
    });
    ws.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

function increasing(rs: Reading[]): void {
  for (let i = 1; i < rs.length; i++) {
    expect(rs[i].t, `t[${i}] after ${rs[i - 1].t}`).toBeGreaterThan(rs[i - 1].t);
  }
}

describe('the sensor server', () => {
  it('lists four simulated sensors and the replays, with their URLs', async () => {
    const res = await fetch(`${server.url}/sensors`);
    const cat = await res.json();
    expect(cat.rate).toBe(RATE);
    expect(cat.simulated.map((s: { id: string }) => s.id)).toEqual([
      'temperature',
      'vibration',
      'power',
      'flow',
    ]);
    expect(cat.replay.map((s: { id: string }) => s.id)).toEqual(REPLAYS.map((r) => r.id));
    for (const s of [...cat.simulated, ...cat.replay]) {
      expect(s.sse).toBe(`/sensors/${s.id}/sse`);
      expect(s.ws).toBe(`/sensors/${s.id}/ws`);
      expect(s.label && s.unit, s.id).toBeTruthy();
    }
    // the dashboard shows both transports in use
    expect(new Set(cat.simulated.map((s: { transport: string }) => s.transport))).toEqual(
      new Set(['sse', 'ws']),
    );
  });

  for (const id of ['temperature', 'vibration', 'power', 'flow']) {
    it(`streams ${id} as {t, value} over SSE and WebSocket, one simulated step apart`, async () => {
      const [sse, ws] = await Promise.all([
        readSse(`/sensors/${id}/sse`, N),
        readWs(`/sensors/${id}/ws`, N),
      ]);
      for (const msgs of [sse, ws]) {
        const rs = msgs.map(reading);
        increasing(rs);
        for (let i = 1; i < rs.length; i++) expect(rs[i].t - rs[i - 1].t).toBe(SIM_STEP_MS);
      }
      // one simulated clock, started at START, for both transports
      for (const m of [...sse, ...ws]) expect((reading(m).t - START) % SIM_STEP_MS).toBe(0);
    });
  }

  it('replays vega-datasets over SSE from the first row, with the rows’ own times', async () => {
    const msgs = (await readSse('/sensors/co2/sse', N)).map(reading);
    // co2-concentration.csv: 1958-03-01,315.70 then 1958-04-01,317.46
    expect(msgs[0]).toEqual({ t: Date.UTC(1958, 2, 1), value: 315.7 });
    expect(msgs[1]).toEqual({ t: Date.UTC(1958, 3, 1), value: 317.46 });
    increasing(msgs);
    const ws = (await readWs('/sensors/sp500/ws', 3)).map(reading);
    increasing(ws);
  });

  it('changes the rate on POST /sensors/rate, clamps it, and refuses a bad body', async () => {
    const post = (body: string) =>
      fetch(`${server.url}/sensors/rate`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body,
      });
    let res = await post('{"rate": 50}');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ rate: 50 });
    expect(server.rate).toBe(50);
    res = await post('{"rate": 1e6}');
    expect(await res.json()).toEqual({ rate: 200 });
    res = await post('{"rate": "fast"}');
    expect(res.status).toBe(400);
    expect(server.rate).toBe(200);
    res = await fetch(`${server.url}/sensors/nope/sse`);
    expect(res.status).toBe(404);
  });
});

describe('the simulated sensors', () => {
  const DAY = (24 * 3600 * 1000) / SIM_STEP_MS; // samples per simulated day
  const series = (id: string, days: number): Reading[] => {
    const s = simulatedSensors(Date.UTC(2024, 0, 1), 7).find((x) => x.id === id)!;
    return Array.from({ length: days * DAY }, () => s.next());
  };
  const hour = (t: number) => new Date(t).getHours();
  const meanAt = (rs: Reading[], h: number) => {
    const vs = rs.filter((r) => hour(r.t) === h).map((r) => r.value);
    return vs.reduce((a, b) => a + b, 0) / vs.length;
  };

  it('temperature has a daily cycle: afternoons warmer than nights by several degrees', () => {
    const rs = series('temperature', 20);
    expect(meanAt(rs, 15) - meanAt(rs, 3)).toBeGreaterThan(7);
  });

  it('vibration has bursts well above its running level', () => {
    const rs = series('vibration', 10);
    const bursts = rs.filter((r) => r.value > 5).length;
    expect(bursts).toBeGreaterThan(5);
    expect(bursts).toBeLessThan(rs.length * 0.2);
  });

  it('power switches between regimes', () => {
    const rs = series('power', 10);
    const near = (kw: number) => rs.filter((r) => Math.abs(r.value - kw) < 5).length;
    for (const kw of [9, 34, 58]) expect(near(kw), `${kw} kW`).toBeGreaterThan(DAY / 4);
  });

  it('flow has morning and evening peaks and rare spikes', () => {
    const rs = series('flow', 10);
    expect(meanAt(rs, 7)).toBeGreaterThan(2 * meanAt(rs, 2));
    expect(meanAt(rs, 19)).toBeGreaterThan(2 * meanAt(rs, 2));
    const spikes = rs.filter((r, i) => i > 0 && r.value > 1.5 * rs[i - 1].value).length;
    expect(spikes).toBeGreaterThan(3);
    expect(spikes).toBeLessThan(rs.length / 50);
  });
});

describe('the replays', () => {
  it('read every series from vega-datasets, in time order', () => {
    for (const spec of REPLAYS) {
      const rows = readReplay(spec);
      expect(rows.length, spec.id).toBeGreaterThan(500);
      increasing(rows);
    }
    const temp = readReplay(REPLAYS.find((r) => r.id === 'seattle-temperature')!);
    expect(temp.length).toBe(8759); // 2010-01-01T01:00 to 2010-12-31T23:00, hourly
    expect(temp[0]).toEqual({ t: Date.UTC(2010, 0, 1, 1), value: 4.0 });
  });

  it('loop with time still increasing across the seam', () => {
    const rows = [
      { t: 0, value: 1 },
      { t: 10, value: 2 },
      { t: 20, value: 3 },
    ];
    const s = replaySensor(REPLAYS[0], rows);
    const out = Array.from({ length: 7 }, () => s.next());
    expect(out.map((r) => r.t)).toEqual([0, 10, 20, 30, 40, 50, 60]);
    expect(out.map((r) => r.value)).toEqual([1, 2, 3, 1, 2, 3, 1]);
  });
});
