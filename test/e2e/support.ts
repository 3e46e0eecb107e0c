// What the e2e tests share: small static servers (each its own origin on 127.0.0.1), the
// Chromium they drive, and a page run that reports everything that went wrong.

import { readFile, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const DIST = join(ROOT, 'dist');
export const PAGES = fileURLToPath(new URL('./pages', import.meta.url));

export { CHROMIUM_PATH, launchChromium } from '../../scripts/chromium';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.css': 'text/css',
};

export interface StaticServerOptions {
  /** URL path prefix -> directory, longest prefix first wins: { '/': pages, '/csp/': dist/csp }. */
  mounts: Record<string, string>;
  /** Headers on every response (CORS, CSP). */
  headers?: Record<string, string>;
  /**
   * In .html files, {{NAME}} becomes vars.NAME, or the query parameter `name` when there is one.
   */
  vars?: Record<string, string>;
}

export interface StaticServer {
  /** http://127.0.0.1:PORT, without a trailing slash. */
  origin: string;
  /** Bodies POSTed to /csp-report (the CSP's report-uri). */
  cspReports: unknown[];
  close(): Promise<void>;
}

/** A static file server on 127.0.0.1 and a free port: one origin. */
export async function startStaticServer(options: StaticServerOptions): Promise<StaticServer> {
  const cspReports: unknown[] = [];
  const mounts = Object.entries(options.mounts).sort((a, b) => b[0].length - a[0].length);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    for (const [k, v] of Object.entries(options.headers ?? {})) res.setHeader(k, v);
    if (req.method === 'POST' && url.pathname === '/csp-report') {
      let body = '';
      for await (const chunk of req) body += String(chunk);
      cspReports.push(JSON.parse(body) as unknown);
      res.writeHead(204).end();
      return;
    }
    const mount = mounts.find(([prefix]) => url.pathname.startsWith(prefix));
    if (!mount) return void res.writeHead(404).end('not found');
    const [prefix, dir] = mount;
    const file = normalize(join(dir, decodeURIComponent(url.pathname.slice(prefix.length))));
    if (file !== dir && !file.startsWith(dir.endsWith(sep) ? dir : dir + sep)) {
      return void res.writeHead(403).end('outside the mount');
    }
    const info = await stat(file).catch(() => null);
    if (!info?.isFile()) return void res.writeHead(404).end(`not found: ${url.pathname}`);
    let body: Buffer | string = await readFile(file);
    const ext = extname(file);
    if (ext === '.html') {
      body = body.toString('utf8').replace(/\{\{([A-Z]+)\}\}/g, (_, name: string) => {
        return url.searchParams.get(name.toLowerCase()) ?? options.vars?.[name] ?? '';
      });
    }
    res.writeHead(200, {
      'content-type': TYPES[ext] ?? 'application/octet-stream',
      'cache-control': 'no-store',
    });
    res.end(body);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => res.writeHead(500).end(String(e)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    cspReports,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** What page.js (test/e2e/pages/) keeps on window.report. */
export interface PageReport {
  defined: boolean;
  ready: boolean;
  forecasts: number;
  trains: number;
  errors: { code: string; message: string }[];
  last: {
    from: number;
    last: { time: number; value: number | null };
    time: number[];
    mean: number[];
    lower: number[];
    upper: number[];
  } | null;
}

export interface PageRun {
  report: PageReport | null;
  /** Canvas pixels with any alpha (the chart draws on a transparent canvas). */
  ink: number;
  /** securitypolicyviolation events, in the page and in its workers. */
  violations: string[];
  /** Console errors and warnings, of the page and its workers. */
  console: string[];
  pageErrors: string[];
  /** Responses of 400 and above, and requests that failed. */
  failedRequests: string[];
}

/**
 * Opens `url` and waits until the element has drawn a forecast: report.forecasts > 0 and ink on
 * its canvas. With `expectFailure`, waits instead for an element error or a CSP violation.
 * Throws, with everything the page said, if neither comes within `timeoutMs`. With `settleMs`,
 * watches the page that much longer before reading its report a last time.
 */
export async function runPage(
  browser: Browser,
  url: string,
  { timeoutMs = 60_000, expectFailure = false, settleMs = 0 } = {},
): Promise<PageRun> {
  const context = await browser.newContext({ viewport: { width: 800, height: 400 } });
  const page = await context.newPage();
  const run: PageRun = {
    report: null,
    ink: 0,
    violations: [],
    console: [],
    pageErrors: [],
    failedRequests: [],
  };
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning')
      run.console.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => run.pageErrors.push(String(e)));
  page.on('worker', (w) =>
    w.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') {
        run.console.push(`worker ${m.type()}: ${m.text()}`);
      }
    }),
  );
  page.on('requestfailed', (r) => run.failedRequests.push(`${r.url()}: ${r.failure()?.errorText}`));
  page.on('response', (r) => {
    if (r.status() >= 400) run.failedRequests.push(`${r.url()}: HTTP ${r.status()}`);
  });
  // Before any of the page's scripts, and not subject to its CSP.
  await page.exposeFunction('__violation', (text: string) => run.violations.push(text));
  await page.addInitScript(() => {
    const report = (window as unknown as { __violation(t: string): void }).__violation;
    document.addEventListener('securitypolicyviolation', (e) => {
      report(`${e.effectiveDirective} refused ${e.blockedURI} (${e.sourceFile}:${e.lineNumber})`);
    });
  });

  try {
    await page.goto(url);
    const readReport = () =>
      page.evaluate(() => (window as unknown as { report?: PageReport }).report ?? null);
    const readInk = () => page.evaluate(canvasInk);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      run.report = await readReport();
      if (expectFailure) {
        if ((run.report?.errors.length ?? 0) > 0 || run.violations.length > 0) break;
      } else if (run.violations.length > 0 || run.pageErrors.length > 0) {
        throw new Error(`${url}: a CSP violation or an uncaught error.\n${describe(run)}`);
      } else if ((run.report?.forecasts ?? 0) > 0) {
        run.ink = await readInk();
        if (run.ink > 0) break;
      }
      if (Date.now() > deadline) {
        throw new Error(
          `${url}: ${expectFailure ? 'no error and no CSP violation' : 'no forecast drawn'} ` +
            `within ${timeoutMs / 1000} s.\n${describe(run)}`,
        );
      }
      await page.waitForTimeout(200);
    }
    if (settleMs > 0) {
      // what else happens after it (retries, more errors), before the page is closed
      await page.waitForTimeout(settleMs);
      run.report = await readReport();
    }
    if (expectFailure) run.ink = await readInk();
    return run;
  } finally {
    await context.close();
  }
}

/** Everything a run saw, for failure messages. */
export function describe(run: PageRun): string {
  return JSON.stringify(
    {
      report: run.report && { ...run.report, last: run.report.last ? '…' : null },
      ink: run.ink,
      violations: run.violations,
      console: run.console,
      pageErrors: run.pageErrors,
      failedRequests: run.failedRequests,
    },
    null,
    2,
  );
}

/** Runs in the page: pixels with alpha > 0 on the element's chart canvas (0 without one). */
function canvasInk(): number {
  const canvas = document.querySelector('lstm-forecast')?.shadowRoot?.querySelector('canvas');
  const ctx = canvas?.getContext('2d');
  if (!canvas || !ctx || canvas.width === 0 || canvas.height === 0) return 0;
  const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
  let ink = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i] > 0) ink++;
  return ink;
}
