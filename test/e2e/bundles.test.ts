// The built bundles in headless Chromium, as a user's page meets them: a plain HTML page on one
// origin loading dist/ from another (a CDN) with one script tag, a page under a strict
// Content-Security-Policy with the CSP build, and the classic-script build. Each page pushes a
// fixed series (test/e2e/pages/page.js); each must produce forecast events and draw them.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DIST,
  PAGES,
  describe as describeRun,
  launchChromium,
  runPage,
  startStaticServer,
  type PageRun,
  type StaticServer,
} from './support';

/**
 * The strict policies, as HTTP headers; violations are also POSTed to /csp-report. The first
 * governs scripts and workers only; the second everything, styles included.
 */
const CSP = "script-src 'self'; worker-src 'self'";
const LOCKDOWN = "default-src 'self'";

let browser: Browser;
let cdn: StaticServer; // origin B: dist/, with CORS as a CDN sends it
let site: StaticServer; // origin A: the pages
let strict: StaticServer; // origin C: the pages, dist/ and dist/csp/, under CSP
let lockdown: StaticServer; // origin D: the same under LOCKDOWN

function strictServer(policy: string): Promise<StaticServer> {
  return startStaticServer({
    mounts: { '/': PAGES, '/dist/': DIST, '/csp/': join(DIST, 'csp') },
    headers: { 'content-security-policy': `${policy}; report-uri /csp-report` },
    vars: { BUNDLE: '/csp/lstm-forecast.js' },
  });
}

beforeAll(async () => {
  cdn = await startStaticServer({
    mounts: { '/': DIST },
    headers: { 'access-control-allow-origin': '*' },
  });
  site = await startStaticServer({ mounts: { '/': PAGES }, vars: { CDN: cdn.origin } });
  strict = await strictServer(CSP);
  lockdown = await strictServer(LOCKDOWN);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await Promise.all([cdn?.close(), site?.close(), strict?.close(), lockdown?.close()]);
});

/** A forecast that came from the fixed sine (20 ± 5): the right length, ordered, in range. */
function expectForecast(run: PageRun): void {
  const context = describeRun(run);
  expect(run.pageErrors, context).toEqual([]);
  expect(run.report?.errors, context).toEqual([]);
  expect(run.report?.forecasts, context).toBeGreaterThan(0);
  expect(run.report?.trains, context).toBeGreaterThan(0);
  const f = run.report!.last!;
  expect(f.mean, context).toHaveLength(8);
  // the sample it starts from (page.js pushes 200 samples with no times: indices 0..199)
  expect(f.last.time, context).toBe(f.from);
  expect(f.from, context).toBeLessThan(200);
  expect(f.last.value, context).toBeCloseTo(20 + 5 * Math.sin((2 * Math.PI * f.from) / 24), 9);
  for (let k = 0; k < 8; k++) {
    expect(f.lower[k], `lower <= mean at step ${k}`).toBeLessThanOrEqual(f.mean[k]);
    expect(f.upper[k], `mean <= upper at step ${k}`).toBeGreaterThanOrEqual(f.mean[k]);
    expect(f.mean[k], `mean at step ${k} within the series' range`).toBeGreaterThan(10);
    expect(f.mean[k], `mean at step ${k} within the series' range`).toBeLessThan(30);
  }
  // A 640x280 chart with a history line, a dashed forecast and a band: well over 500 pixels.
  expect(run.ink, `inked canvas pixels; ${context}`).toBeGreaterThan(500);
}

describe('dist/ in a browser', () => {
  it('holds production builds of its dependencies (no Lit dev mode)', () => {
    for (const file of ['lstm-forecast.js', 'lstm-forecast.iife.js', 'csp/lstm-forecast.js']) {
      expect(readFileSync(join(DIST, file), 'utf8'), file).not.toContain('Lit is in dev mode');
    }
  });

  it("csp/ carries no WebAssembly: nothing a policy without 'wasm-unsafe-eval' refuses", () => {
    for (const file of [
      'lstm-forecast.js',
      'lstm-forecast.worker.js',
      'lstm-forecast.sources.js',
    ]) {
      expect(readFileSync(join(DIST, 'csp', file), 'utf8'), file).not.toMatch(/WebAssembly/);
    }
  });

  it('lstm-forecast.js from another origin: one module script tag, no build', async () => {
    const run = await runPage(browser, `${site.origin}/cdn.html`);
    expectForecast(run);
    expect(run.failedRequests, describeRun(run)).toEqual([]);
  });

  it('lstm-forecast.iife.js from another origin as a classic script', async () => {
    const run = await runPage(browser, `${site.origin}/iife.html`);
    expectForecast(run);
    expect(run.failedRequests, describeRun(run)).toEqual([]);
  });

  it.each([
    ['strict', CSP],
    ['lockdown', LOCKDOWN],
  ] as const)('csp/ under a %s policy (%s), with no violation', async (which, _policy) => {
    const server = which === 'strict' ? strict : lockdown;
    const run = await runPage(browser, `${server.origin}/csp.html`);
    expectForecast(run);
    const context = describeRun(run);
    expect(run.violations, context).toEqual([]);
    expect(
      run.console.filter((m) => /Content.Security.Policy|Refused to/i.test(m)),
      context,
    ).toEqual([]);
    expect(run.failedRequests, context).toEqual([]);
    expect(server.cspReports, 'reports POSTed to report-uri').toEqual([]);
  });

  it("the Blob-worker bundle under worker-src 'self': one worker-blocked error naming the way out, no retries", async () => {
    const run = await runPage(browser, `${strict.origin}/csp.html?bundle=/dist/lstm-forecast.js`, {
      expectFailure: true,
      // longer than the pool's checks on its workers (a ping every 2 s, 4 s to answer)
      settleMs: 8000,
    });
    const context = describeRun(run);
    const errors = run.report?.errors ?? [];
    expect(
      errors.map((e) => e.code),
      context,
    ).toEqual(['worker-blocked']);
    expect(errors[0].message, context).toMatch(/Content-Security-Policy/);
    expect(errors[0].message, context).toMatch(/worker-src blob:/);
    expect(errors[0].message, context).toMatch(/dist\/csp\//);
    expect(errors[0].message, context).toMatch(/lstm-forecast\/csp/);
    // one worker tried, and not started again
    const refused = run.violations.filter((v) => /worker-src refused blob/.test(v));
    expect(refused, context).toHaveLength(1);
    expect(run.report?.ready, context).toBe(false);
    expect(run.pageErrors, context).toEqual([]);
    // no forecasts, but the pushed samples are drawn (not queued for a worker that never comes)
    expect(run.ink, context).toBeGreaterThan(0);
  });

  it('the control: the Blob-worker bundle under the same CSP is refused, and that is seen', async () => {
    // Proves the check above can fail: the all-in-one bundle starts its worker from a blob: URL,
    // which worker-src 'self' forbids.
    const run = await runPage(browser, `${strict.origin}/csp.html?bundle=/dist/lstm-forecast.js`, {
      expectFailure: true,
    });
    const context = describeRun(run);
    expect(run.violations.join('\n'), context).toMatch(/worker-src refused blob/);
    expect(run.report?.forecasts ?? 0, context).toBe(0);
    await expect
      .poll(() => strict.cspReports.length, {
        timeout: 15_000,
        message: 'a report POSTed to report-uri for the refused worker',
      })
      .toBeGreaterThan(0);
  });
});
