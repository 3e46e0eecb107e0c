// The demo's sensor server: simulated plant sensors and replays of real series, each streamed as
// { "t": ms, "value": number } messages over Server-Sent Events and WebSocket, at a sample rate
// that the page can change. One clock drives every stream, so all clients of a stream see the
// same readings; the simulated sensors run all the time (they are "live"), a replay advances only
// while someone listens to it.
//
//   GET  /sensors                  the catalogue: rate, limits, and every stream with its URLs
//   GET  /sensors/ID/sse           Server-Sent Events, one `data: {"t":…,"value":…}` per reading
//   WS   /sensors/ID/ws            WebSocket, one text message {"t":…,"value":…} per reading
//   GET  /sensors/rate             {"rate": samples per second per stream}
//   POST /sensors/rate             body {"rate": n} sets it, for every stream and client
//
// Every response allows any origin, so a page on another port may use it directly; the demo's
// launcher (demo/serve.ts) puts it behind Vite's dev server at /sensors instead.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Catalogue, StreamInfo } from '../catalogue';
import { REPLAYS, replaySensor } from './replay';
import { SIM_STEP_MS, simulatedSensors, simulationStart, type Sensor } from './simulate';

export type { Catalogue, StreamInfo } from '../catalogue';

export const DEFAULT_RATE = 10;
export const MIN_RATE = 1;
export const MAX_RATE = 200;

/** The clock's tick; each tick sends the readings that fell due since the last one. */
const TICK_MS = 20;
/** SSE comment lines keep idle proxies from closing the stream. */
const HEARTBEAT_MS = 15_000;
/** A WebSocket client this far behind is skipped until it catches up. */
const MAX_BUFFERED_BYTES = 1 << 20;

export interface SensorServerOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: any free port. */
  port?: number;
  /** Readings per second per stream. Default DEFAULT_RATE. */
  rate?: number;
  /** Seed of the simulated sensors. Default 1. */
  seed?: number;
  /** Start of the simulated clock, ms. Default local midnight today. */
  start?: number;
}

export interface SensorServer {
  /** http://HOST:PORT, no trailing slash. */
  readonly url: string;
  readonly port: number;
  readonly rate: number;
  /** Sets the rate (clamped to [MIN_RATE, MAX_RATE]); returns the rate in force. */
  setRate(rate: number): number;
  catalogue(): Catalogue;
  close(): Promise<void>;
}

interface Stream {
  sensor: Sensor;
  /** Advances with the clock even with no client. */
  live: boolean;
  sse: Set<ServerResponse>;
  ws: Set<WebSocket>;
}

const CORS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'GET, POST, OPTIONS',
  'Access-Control-Allow-Headers': 'Content-Type',
};

function clampRate(rate: number): number {
  return Math.min(MAX_RATE, Math.max(MIN_RATE, rate));
}

export async function startSensorServer(options: SensorServerOptions = {}): Promise<SensorServer> {
  const start = options.start ?? simulationStart();
  const streams = new Map<string, Stream>();
  for (const sensor of simulatedSensors(start, options.seed ?? 1)) {
    streams.set(sensor.id, { sensor, live: true, sse: new Set(), ws: new Set() });
  }
  for (const spec of REPLAYS) {
    const sensor = replaySensor(spec);
    streams.set(sensor.id, { sensor, live: false, sse: new Set(), ws: new Set() });
  }

  let rate = clampRate(options.rate ?? DEFAULT_RATE);
  // The clock: `sent` readings per stream since `base` (performance.now() ms).
  let base = performance.now();
  let sent = 0;

  const tick = () => {
    const now = performance.now();
    let due = Math.floor(((now - base) * rate) / 1000) - sent;
    if (due <= 0) return;
    if (due > rate) {
      // The process was asleep (a laptop lid, a debugger): skip the backlog, do not flood.
      due = 1;
      base = now;
      sent = 0;
    }
    sent += due;
    for (const s of streams.values()) {
      const listened = s.sse.size > 0 || s.ws.size > 0;
      if (!s.live && !listened) continue;
      const messages: string[] = [];
      for (let i = 0; i < due; i++) messages.push(JSON.stringify(s.sensor.next()));
      if (!listened) continue;
      if (s.sse.size > 0) {
        const chunk = messages.map((m) => `data: ${m}\n\n`).join('');
        for (const res of s.sse) res.write(chunk);
      }
      for (const ws of s.ws) {
        if (ws.readyState !== ws.OPEN || ws.bufferedAmount > MAX_BUFFERED_BYTES) continue;
        for (const m of messages) ws.send(m);
      }
    }
  };
  const clock = setInterval(tick, TICK_MS);
  const heartbeat = setInterval(() => {
    for (const s of streams.values()) for (const res of s.sse) res.write(': keep-alive\n\n');
  }, HEARTBEAT_MS);

  const setRate = (r: number): number => {
    rate = clampRate(r);
    base = performance.now();
    sent = 0;
    return rate;
  };

  const info = (s: Stream): StreamInfo => ({
    id: s.sensor.id,
    label: s.sensor.label,
    short: s.sensor.short,
    unit: s.sensor.unit,
    description: s.sensor.description,
    transport: s.sensor.transport,
    origin: s.sensor.origin,
    sse: `/sensors/${s.sensor.id}/sse`,
    ws: `/sensors/${s.sensor.id}/ws`,
  });
  const catalogue = (): Catalogue => {
    const all = [...streams.values()];
    return {
      rate,
      minRate: MIN_RATE,
      maxRate: MAX_RATE,
      simStepMs: SIM_STEP_MS,
      simulated: all.filter((s) => s.live).map(info),
      replay: all.filter((s) => !s.live).map(info),
    };
  };

  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { ...CORS, 'Content-Type': 'application/json' });
    res.end(JSON.stringify(body));
  };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname.replace(/\/+$/, '');
    if (req.method === 'OPTIONS') {
      res.writeHead(204, CORS);
      res.end();
      return;
    }
    if (path === '/sensors' && req.method === 'GET') return json(res, 200, catalogue());
    if (path === '/sensors/rate' && req.method === 'GET') return json(res, 200, { rate });
    if (path === '/sensors/rate' && req.method === 'POST') {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (body += c));
      req.on('end', () => {
        let r: unknown;
        try {
          r = (JSON.parse(body) as { rate?: unknown }).rate;
        } catch {
          r = undefined;
        }
        if (typeof r !== 'number' || !Number.isFinite(r)) {
          return json(res, 400, { error: 'expected a JSON body {"rate": number}' });
        }
        json(res, 200, { rate: setRate(r) });
      });
      return;
    }
    const m = /^\/sensors\/([\w-]+)\/sse$/.exec(path);
    const stream = m ? streams.get(m[1]) : undefined;
    if (stream && req.method === 'GET') {
      res.writeHead(200, {
        ...CORS,
        'Content-Type': 'text/event-stream',
        'Cache-Control': 'no-cache, no-transform',
        Connection: 'keep-alive',
        'X-Accel-Buffering': 'no',
      });
      // A short retry: the element has its own backoff, EventSource's default is 3 s.
      res.write('retry: 1000\n\n');
      stream.sse.add(res);
      res.on('close', () => stream.sse.delete(res));
      return;
    }
    json(res, 404, { error: `no such endpoint: ${req.method} ${path}` });
  };

  const server = createServer(handle);
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const m = /^\/sensors\/([\w-]+)\/ws$/.exec(path);
    const stream = m ? streams.get(m[1]) : undefined;
    if (!stream) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      stream.ws.add(ws);
      ws.on('close', () => stream.ws.delete(ws));
      ws.on('error', () => stream.ws.delete(ws));
    });
  });

  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    get rate() {
      return rate;
    },
    setRate,
    catalogue,
    async close() {
      clearInterval(clock);
      clearInterval(heartbeat);
      for (const s of streams.values()) {
        for (const res of s.sse) res.end();
        for (const ws of s.ws) ws.terminate();
        s.sse.clear();
        s.ws.clear();
      }
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
