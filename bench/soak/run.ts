// Soak benchmark of <lstm-forecast> (a benchmark, not a test): N elements fed R samples a second
// each for D minutes in headless Chromium. Every 30 s it forces a garbage collection through the
// DevTools protocol and reads the used heap of the page and of each forecast worker (attached to
// as a worker target), the page's DOM node and event-listener counts, the forecasts made in the
// interval and the samples the workers counted against the samples pushed. It prints the heap
// slope in MB per hour of page and workers (least squares over the readings after the first two
// minutes) and exits 1 if either is over 1 MB an hour or a pushed sample was not counted.
//
//   npm run bench:soak [-- --elements 8 --rate 50 --minutes 10 --every 30]
//
// The page (bench/soak/page.ts) keeps counters only, so the heap it measures is the element's.
// Chromium is driven by Playwright, and its DevTools protocol also spoken directly on a
// --remote-debugging-port (Playwright's own CDP sessions cannot reach a dedicated worker).

import net from 'node:net';
import os from 'node:os';
import type { Browser } from 'playwright';
import { chromium } from 'playwright';
import type { ViteDevServer } from 'vite';
import WebSocket from 'ws';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../scripts/chromium';
import { numArg, parseArgs, runMain } from '../common';
import { startVite } from '../vite-server';
import type { SoakCounters } from './protocol';

const PAGE_PATH = '/bench/soak/';
const SLOPE_LIMIT_MB_PER_HOUR = 1;
const SKIP_MINUTES = 2;
const DRAIN_MS = 10_000;

const log = (msg: string) => process.stderr.write(`[bench:soak] ${msg}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const MB = 1024 * 1024;

/** A free TCP port on 127.0.0.1. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      srv.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject()));
    });
  });
}

/** The DevTools protocol over one WebSocket, flat sessions (a sessionId per attached target). */
class Cdp {
  private nextId = 1;
  private readonly pending = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: Error) => void }
  >();
  private readonly listeners: ((method: string, params: unknown, session?: string) => void)[] = [];

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as {
        id?: number;
        result?: unknown;
        error?: { message: string };
        method?: string;
        params?: unknown;
        sessionId?: string;
      };
      if (m.id !== undefined) {
        const p = this.pending.get(m.id);
        this.pending.delete(m.id);
        if (m.error) p?.reject(new Error(m.error.message));
        else p?.resolve(m.result);
      } else if (m.method) {
        for (const l of this.listeners) l(m.method, m.params, m.sessionId);
      }
    });
  }

  static async connect(port: number): Promise<Cdp> {
    const version = (await (await fetch(`http://127.0.0.1:${port}/json/version`)).json()) as {
      webSocketDebuggerUrl: string;
    };
    const ws = new WebSocket(version.webSocketDebuggerUrl, { perMessageDeflate: false });
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    return new Cdp(ws);
  }

  send<T>(method: string, params: object = {}, sessionId?: string): Promise<T> {
    const id = this.nextId++;
    this.ws.send(JSON.stringify({ id, method, params, sessionId }));
    return new Promise<T>((resolve, reject) =>
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject }),
    );
  }

  on(listener: (method: string, params: unknown, session?: string) => void): void {
    this.listeners.push(listener);
  }

  close(): void {
    this.ws.close();
  }
}

interface Reading {
  /** Minutes since the feed started. */
  min: number;
  pageMB: number;
  /** Used heap of all forecast workers together. */
  workerMB: number;
  workers: number;
  nodes: number;
  listeners: number;
  forecasts: number;
  pushed: number;
  counted: number;
}

/** Least-squares slope of y over x. */
function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) ** 2;
  }
  return sxx > 0 ? sxy / sxx : NaN;
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  for (const k of Object.keys(args)) {
    if (!['elements', 'rate', 'minutes', 'every'].includes(k))
      throw new Error(`unknown option --${k} (known: --elements --rate --minutes --every)`);
  }
  const elements = Math.floor(numArg(args, 'elements', 8));
  const rate = numArg(args, 'rate', 50);
  const minutes = numArg(args, 'minutes', 10);
  const every = numArg(args, 'every', 30);
  if (!(elements >= 1 && rate > 0 && minutes > 0 && every > 0))
    throw new Error('--elements, --rate, --minutes and --every must be > 0');

  let server: ViteDevServer | null = null;
  let browser: Browser | null = null;
  let cdp: Cdp | null = null;
  const pageErrors: string[] = [];
  let failed: boolean;
  try {
    const vite = await startVite(false, PAGE_PATH);
    server = vite.server;
    const port = await freePort();
    browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      args: [...CHROMIUM_ARGS, `--remote-debugging-port=${port}`],
    });
    const context = await browser.newContext({
      viewport: { width: 1600, height: 1000 },
      deviceScaleFactor: 1,
    });
    const page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.stack ?? e.message));
    page.on('crash', () => pageErrors.push('the page crashed'));
    await page.goto(vite.url);
    await page.waitForFunction(() => window.soak !== undefined, null, { timeout: 60_000 });

    // attach to the page, and through it to its workers (auto-attach: the ones that start later too)
    cdp = await Cdp.connect(port);
    const { targetInfos } = await cdp.send<{
      targetInfos: { targetId: string; type: string; url: string }[];
    }>('Target.getTargets');
    const target = targetInfos.find((t) => t.type === 'page' && t.url.includes(PAGE_PATH));
    if (!target) throw new Error('the soak page is not among the DevTools targets');
    const { sessionId: pageSession } = await cdp.send<{ sessionId: string }>(
      'Target.attachToTarget',
      { targetId: target.targetId, flatten: true },
    );
    const workers = new Set<string>();
    cdp.on((method, params, session) => {
      if (method === 'Target.attachedToTarget' && session === pageSession) {
        const p = params as { sessionId: string; targetInfo: { type: string } };
        if (p.targetInfo.type === 'worker') workers.add(p.sessionId);
      } else if (method === 'Target.detachedFromTarget') {
        workers.delete((params as { sessionId: string }).sessionId);
      }
    });
    await cdp.send(
      'Target.setAutoAttach',
      { autoAttach: true, waitForDebuggerOnStart: false, flatten: true },
      pageSession,
    );

    log(`${elements} elements x ${rate} samples/s for ${minutes} min, readings every ${every} s`);
    const setup = await page.evaluate(([n, r]) => window.soak!.setup(n, r), [elements, rate]);
    const t0 = Date.now();
    const readings: Reading[] = [];
    let previous: SoakCounters | null = null;
    const read = async (): Promise<Reading> => {
      const c = cdp!;
      await c.send('HeapProfiler.collectGarbage', {}, pageSession);
      const heap = await c.send<{ usedSize: number }>('Runtime.getHeapUsage', {}, pageSession);
      let workerBytes = 0;
      for (const w of workers) {
        await c.send('HeapProfiler.collectGarbage', {}, w);
        workerBytes += (await c.send<{ usedSize: number }>('Runtime.getHeapUsage', {}, w)).usedSize;
      }
      const dom = await c.send<{ nodes: number; jsEventListeners: number }>(
        'Memory.getDOMCounters',
        {},
        pageSession,
      );
      const counters = await page.evaluate(() => window.soak!.counters());
      const forecasts = sum(counters.forecasts) - (previous ? sum(previous.forecasts) : 0);
      previous = counters;
      return {
        min: (Date.now() - t0) / 60_000,
        pageMB: heap.usedSize / MB,
        workerMB: workerBytes / MB,
        workers: workers.size,
        nodes: dom.nodes,
        listeners: dom.jsEventListeners,
        forecasts,
        pushed: sum(counters.pushed),
        counted: sum(counters.counted),
      };
    };
    const header =
      '  min   page MB  worker MB  workers  DOM nodes  listeners  forecasts/interval  pushed  counted';
    console.log(header);
    const print = (r: Reading) =>
      console.log(
        `${r.min.toFixed(1).padStart(5)}  ${r.pageMB.toFixed(2).padStart(8)}  ${r.workerMB.toFixed(2).padStart(9)}  ` +
          `${String(r.workers).padStart(7)}  ${String(r.nodes).padStart(9)}  ${String(r.listeners).padStart(9)}  ` +
          `${String(r.forecasts).padStart(18)}  ${String(r.pushed).padStart(6)}  ${String(r.counted).padStart(7)}`,
      );
    for (let k = 0; (k * every) / 60 <= minutes; k++) {
      const due = t0 + k * every * 1000;
      await sleep(Math.max(0, due - Date.now()));
      const r = await read();
      readings.push(r);
      print(r);
    }
    await page.evaluate(() => window.soak!.stop());
    // every sample pushed is counted by its worker once the last ones have arrived
    const drainFrom = Date.now();
    let end = await page.evaluate(() => window.soak!.counters());
    while (end.pushed.some((p, i) => end.counted[i] < p) && Date.now() - drainFrom < DRAIN_MS) {
      await sleep(200);
      end = await page.evaluate(() => window.soak!.counters());
    }

    // a run too short to leave the first two minutes out leaves out its first half
    const skip = minutes >= 2 * SKIP_MINUTES ? SKIP_MINUTES : minutes / 2;
    const late = readings.filter((r) => r.min >= skip - 1e-6);
    const pageSlope = slope(
      late.map((r) => r.min / 60),
      late.map((r) => r.pageMB),
    );
    const workerSlope = slope(
      late.map((r) => r.min / 60),
      late.map((r) => r.workerMB),
    );
    const pushed = sum(end.pushed);
    const counted = sum(end.counted);
    const idle = end.forecasts.filter((f) => f === 0).length;
    console.log();
    console.log(
      `bench:soak: ${elements} <lstm-forecast> x ${rate} samples/s for ${minutes} min; Chromium headless, ` +
        `${os.cpus().length} CPUs (load average ${os.loadavg()[0].toFixed(2)}), hardwareConcurrency ` +
        `${setup.hardwareConcurrency}, ${readings[readings.length - 1]?.workers ?? 0} worker(s), ready in ${setup.readyMs.toFixed(0)} ms`,
    );
    const verdict = (x: number) =>
      Number.isFinite(x) && x <= SLOPE_LIMIT_MB_PER_HOUR ? 'PASS' : 'FAIL';
    console.log(
      `heap slope after the first ${skip} min (${late.length} readings): page ${pageSlope.toFixed(2)} MB/hour ` +
        `[${verdict(pageSlope)}], workers ${workerSlope.toFixed(2)} MB/hour [${verdict(workerSlope)}] (limit ${SLOPE_LIMIT_MB_PER_HOUR})`,
    );
    console.log(
      `samples: ${pushed} pushed, ${counted} counted by the workers [${pushed === counted ? 'PASS' : 'FAIL'}]; ` +
        `elements that never forecast: ${idle}; late driver ticks: ${end.lateTicks}; error events: ${
          Object.entries(end.errors)
            .map(([c, n]) => `${c} x${n}`)
            .join(', ') || 'none'
        }`,
    );
    failed =
      verdict(pageSlope) === 'FAIL' ||
      verdict(workerSlope) === 'FAIL' ||
      pushed !== counted ||
      idle > 0;
  } finally {
    cdp?.close();
    await browser?.close().catch(() => undefined);
    await server?.close().catch(() => undefined);
  }
  if (pageErrors.length > 0)
    throw new Error(`uncaught errors in the page:\n${pageErrors.join('\n')}`);
  if (failed) process.exitCode = 1;
}

runMain(main);
