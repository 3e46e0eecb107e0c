// A live feed for the browser tests of src/sources.ts: a WebSocket, a Server-Sent Events and a
// JSON poll endpoint, and HTTP controls to drive them. Every URL names a channel, so each test
// talks only to its own clients even when an earlier test left one connected.
//
//   ws://HOST/ws/CH                 WebSocket
//   http://HOST/sse/CH              Server-Sent Events
//   http://HOST/poll/CH             the JSON body last set for CH (404 before one is set)
//   POST /control/CH/send           body: a JSON array of message texts, sent in order to every
//                                   WebSocket and SSE client of CH -> {"clients": n}
//   POST /control/CH/poll           body: the text GET /poll/CH answers from now on
//   POST /control/CH/drop           close every connection of CH -> {"dropped": n}
//   POST /control/CH/fail?n=N       refuse the next N connections or polls of CH (WebSocket: the
//                                   upgrade is answered 503; SSE and poll: 503)
//   GET  /control/CH/stats          {"ws": open, "sse": open, "accepted": n, "refused": n, "polls": n}
//
// Every response allows any origin: the tests run on Vite's origin, not this one.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';

export interface FeedStats {
  /** Open WebSocket connections. */
  ws: number;
  /** Open SSE connections. */
  sse: number;
  /** Connections and polls answered normally, since the start. */
  accepted: number;
  /** Connections and polls refused by /fail, since the start. */
  refused: number;
  /** Poll requests, refused ones included. */
  polls: number;
}

export interface FeedServer {
  /** http://127.0.0.1:PORT, no trailing slash. */
  url: string;
  close(): Promise<void>;
}

interface Channel {
  sockets: Set<WebSocket>;
  streams: Set<ServerResponse>;
  pollBody: string | undefined;
  failNext: number;
  stats: FeedStats;
}

const CORS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'GET, POST, OPTIONS',
  'Access-Control-Allow-Headers': '*',
};

export async function startFeedServer(host = '127.0.0.1', port = 0): Promise<FeedServer> {
  const channels = new Map<string, Channel>();
  const channel = (name: string): Channel => {
    let ch = channels.get(name);
    if (!ch) {
      ch = {
        sockets: new Set(),
        streams: new Set(),
        pollBody: undefined,
        failNext: 0,
        stats: { ws: 0, sse: 0, accepted: 0, refused: 0, polls: 0 },
      };
      channels.set(name, ch);
    }
    return ch;
  };
  /** Whether to refuse this connection, counting it either way. */
  const refuse = (ch: Channel): boolean => {
    if (ch.failNext > 0) {
      ch.failNext -= 1;
      ch.stats.refused += 1;
      return true;
    }
    ch.stats.accepted += 1;
    return false;
  };

  const wss = new WebSocketServer({ noServer: true });
  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) send(res, 500, { error: String(e) });
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://feed');
    const [kind, name, action] = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    if (req.method === 'OPTIONS') {
      res.writeHead(204, CORS).end();
      return;
    }
    if (name === undefined) {
      send(res, 404, { error: `no channel in ${url.pathname}` });
      return;
    }
    const ch = channel(name);
    if (kind === 'sse' && req.method === 'GET') {
      if (refuse(ch)) {
        send(res, 503, { error: 'refused by /fail' });
        return;
      }
      res.writeHead(200, {
        ...CORS,
        'Content-Type': 'text/event-stream',
        'Cache-Control': 'no-store',
        Connection: 'keep-alive',
      });
      res.write(': open\n\n');
      ch.streams.add(res);
      ch.stats.sse = ch.streams.size;
      res.on('close', () => {
        ch.streams.delete(res);
        ch.stats.sse = ch.streams.size;
      });
      return;
    }
    if (kind === 'poll' && req.method === 'GET') {
      ch.stats.polls += 1;
      if (refuse(ch)) send(res, 503, { error: 'refused by /fail' });
      else if (ch.pollBody === undefined) send(res, 404, { error: 'no poll body set' });
      else {
        res.writeHead(200, {
          ...CORS,
          'Content-Type': 'application/json',
          'Cache-Control': 'no-store',
        });
        res.end(ch.pollBody);
      }
      return;
    }
    if (kind === 'control') {
      if (action === 'stats' && req.method === 'GET') {
        send(res, 200, ch.stats);
        return;
      }
      if (req.method !== 'POST') {
        send(res, 405, { error: `${req.method} ${url.pathname}` });
        return;
      }
      const body = await readBody(req);
      if (action === 'send') {
        const messages: unknown = JSON.parse(body);
        if (!Array.isArray(messages) || !messages.every((m) => typeof m === 'string')) {
          send(res, 400, { error: 'send takes a JSON array of strings' });
          return;
        }
        for (const m of messages) {
          for (const ws of ch.sockets) ws.send(m);
          const event = m
            .split('\n')
            .map((line) => `data: ${line}\n`)
            .join('');
          for (const stream of ch.streams) stream.write(`${event}\n`);
        }
        send(res, 200, { clients: ch.sockets.size + ch.streams.size });
        return;
      }
      if (action === 'poll') {
        ch.pollBody = body;
        send(res, 200, { ok: true });
        return;
      }
      if (action === 'drop') {
        const dropped = ch.sockets.size + ch.streams.size;
        for (const ws of ch.sockets) ws.terminate();
        for (const stream of ch.streams) stream.destroy();
        send(res, 200, { dropped });
        return;
      }
      if (action === 'fail') {
        ch.failNext = Number(url.searchParams.get('n') ?? 1);
        send(res, 200, { failNext: ch.failNext });
        return;
      }
    }
    send(res, 404, { error: `no route for ${req.method} ${url.pathname}` });
  }

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://feed');
    const [kind, name] = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    if (kind !== 'ws' || name === undefined) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const ch = channel(name);
    if (refuse(ch)) {
      socket.end(
        'HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n',
      );
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      ch.sockets.add(ws);
      ch.stats.ws = ch.sockets.size;
      ws.on('close', () => {
        ch.sockets.delete(ws);
        ch.stats.ws = ch.sockets.size;
      });
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${host}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const ch of channels.values()) {
          for (const ws of ch.sockets) ws.terminate();
          for (const stream of ch.streams) stream.destroy();
        }
        wss.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function send(res: ServerResponse, status: number, json: unknown): void {
  res.writeHead(status, {
    ...CORS,
    'Content-Type': 'application/json',
    'Cache-Control': 'no-store',
  });
  res.end(JSON.stringify(json));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
