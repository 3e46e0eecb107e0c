// The training step of `npm run bench` (bench/common.ts says what it is) in headless Chromium:
// ours on the JS kernels, ours on the WebAssembly SIMD kernels (float32, as the engine) and
// TF.js on its wasm backend, at the three shapes. A report, not a test.
//
//   npm run bench:kernels-browser [-- --quick] [-- --only 32x1[,64x2]]
//
// Each variant at each shape runs in a new dedicated worker of the page (its own V8 isolate,
// off the main thread, as the element trains), one after the other: two untimed steps, then
// the median steps/s of 7 timed runs of at least 0.3 s after 0.5 s of warm-up (--quick: 3 runs
// of 0.15 s), and the 50-step forecast's time (timed by rate: the page is not cross-origin
// isolated, so a worker's clock reads to 0.1 ms only). TF.js's wasm backend runs
// single-threaded: the page is not cross-origin isolated, so it has no SharedArrayBuffer threads.
// Vite serves the repository (bench/vite-server.ts), Playwright drives Debian's Chromium
// (scripts/chromium.ts). Exit status: 0 whatever the numbers; 1 if something crashed.

import os from 'node:os';
import type { Browser } from 'playwright';
import type { ViteDevServer } from 'vite';
import { launchChromium } from '../../scripts/chromium';
import { benchTiming, configName, configsArg, fmt, parseArgs, runMain, W } from '../common';
import { startVite } from '../vite-server';
import type { Impl, KernelsResult } from './protocol';

const PAGE_PATH = '/bench/kernels-browser/';
const IMPLS: readonly Impl[] = ['ours-js', 'ours-simd', 'tfjs-wasm'];
const log = (msg: string) => process.stderr.write(`[bench:kernels-browser] ${msg}\n`);

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  for (const k of Object.keys(args)) {
    if (!['quick', 'only'].includes(k))
      throw new Error(`unknown option --${k} (known: --quick --only)`);
  }
  const quick = args.quick === true;
  const timing = benchTiming(quick);
  const configs = configsArg(args);

  let server: ViteDevServer | null = null;
  let browser: Browser | null = null;
  const pageErrors: string[] = [];
  const results = new Map<string, KernelsResult>();
  let version: string | undefined;
  try {
    const vite = await startVite(false, PAGE_PATH, [
      '@tensorflow/tfjs',
      '@tensorflow/tfjs-backend-wasm',
    ]);
    server = vite.server;
    browser = await launchChromium();
    version = browser.version();
    const page = await browser.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.stack ?? e.message));
    page.on('crash', () => pageErrors.push('the page crashed'));
    await page.goto(vite.url);
    await page.waitForFunction(() => window.kernels !== undefined, null, { timeout: 60_000 });
    for (const c of configs) {
      for (const impl of IMPLS) {
        const t0 = performance.now();
        const request = { impl, hidden: c.hidden, layers: c.layers, timing };
        const r = await page.evaluate((req) => window.kernels!.run(req), request);
        results.set(`${configName(c)} ${impl}`, r);
        log(
          `${configName(c)} ${impl}: ${fmt(r.stepsPerSec)} steps/s on ${r.ran} ` +
            `(${((performance.now() - t0) / 1000).toFixed(1)} s)`,
        );
      }
    }
  } finally {
    await browser?.close().catch(() => undefined);
    await server?.close().catch(() => undefined);
  }
  if (pageErrors.length > 0) throw new Error(`errors in the page:\n${pageErrors.join('\n')}`);

  console.log(
    `\nbench:kernels-browser: LSTM(1, H, L) + Linear(H, 1), window ${W}, MSE, BPTT, clip 1.0, ` +
      `Adam 1e-3, batch 1 (the step of npm run bench), float32`,
  );
  console.log(
    `Chromium ${version ?? '?'}, headless; each variant in its own dedicated worker; ` +
      `${quick ? '3 runs of >= 0.15 s' : '7 runs of >= 0.3 s'} after warm-up, median steps/s; ` +
      `host ${os.cpus().length} CPUs, load average ${os.loadavg()[0].toFixed(2)}`,
  );
  const rows: string[][] = [
    ['(H, L)', 'ours JS', 'ours SIMD', 'TF.js wasm', 'SIMD/JS', 'SIMD/TF.js', 'forecast JS / SIMD'],
  ];
  for (const c of configs) {
    const get = (impl: Impl) => results.get(`${configName(c)} ${impl}`)!;
    const [js, simd, tfw] = IMPLS.map(get);
    const f = (r: KernelsResult) => (r.forecast ? fmt(r.forecast.medianMs) : '-');
    rows.push([
      `(${c.hidden}, ${c.layers})`,
      fmt(js.stepsPerSec),
      fmt(simd.stepsPerSec),
      fmt(tfw.stepsPerSec),
      `${fmt(simd.stepsPerSec / js.stepsPerSec)}x`,
      `${fmt(simd.stepsPerSec / tfw.stepsPerSec)}x`,
      `${f(js)} / ${f(simd)} ms`,
    ]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const r of rows) {
    console.log(
      r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  '),
    );
  }
  const ran = new Map<Impl, Set<string>>();
  for (const r of results.values()) ran.set(r.impl, (ran.get(r.impl) ?? new Set()).add(r.ran));
  console.log(
    `kernels that ran: ${IMPLS.map((i) => `${i}: ${[...(ran.get(i) ?? [])].join(', ')}`).join('; ')}`,
  );
}

runMain(main);
