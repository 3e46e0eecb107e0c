// `npm run screenshot`: starts the demo (sensor server + Vite, no browser opened), lets the
// dashboard fill in headless Chromium at a high sample rate, and writes docs/screenshot.png (light),
// docs/screenshot-dark.png and docs/screenshot-phone.png (390 px wide). Fails if the page logs an
// error.
//
//   npm run screenshot -- --seconds 25 --rate 20 --mode simulated|replay --out docs
//
// Uses the distribution's Chromium (/usr/bin/chromium, or CHROMIUM_PATH); never `playwright
// install`.

import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Page } from 'playwright';
import { launchChromium } from './chromium';
import { SIM_STEP_MS } from '../demo/server/simulate';
import { startDemo } from '../demo/server/start';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '25' },
    rate: { type: 'string', default: '20' },
    mode: { type: 'string', default: 'simulated' },
    out: { type: 'string', default: 'docs' },
    width: { type: 'string', default: '1440' },
    height: { type: 'string', default: '960' },
  },
});
const seconds = Number(values.seconds);
const rate = Number(values.rate);
const width = Number(values.width);
const height = Number(values.height);

/**
 * On a busy machine a worker can fall behind its stream, and its chart then draws the forecast it
 * made a while ago, some way before "now". The simulated sensors share one clock, so they are
 * level when every element's newest forecast starts within a few samples of the others'.
 */
async function waitForCurrentForecasts(page: Page): Promise<void> {
  const step = SIM_STEP_MS;
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const froms = await page.evaluate(() =>
      Object.values(
        (window as unknown as { latestForecast: Record<string, number> }).latestForecast,
      ),
    );
    if (froms.length === 4 && Math.max(...froms) - Math.min(...froms) <= 3 * step) return;
    await page.waitForTimeout(250);
  }
  console.warn('the forecasts did not catch up with their streams: the machine is busy');
}

async function main(): Promise<void> {
  const demo = await startDemo({ rate, open: false, logLevel: 'warn' });
  const browser = await launchChromium();
  const problems: string[] = [];
  try {
    const page = await browser.newPage({ viewport: { width, height }, deviceScaleFactor: 1 });
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    const mode = values.mode === 'replay' ? '&mode=replay' : '';
    // The newest forecast of each element, by label, seen from outside: the events bubble.
    await page.addInitScript(() => {
      const latest: Record<string, number> = {};
      Object.assign(window, { latestForecast: latest });
      document.addEventListener('forecast', (e) => {
        const el = e.target as HTMLElement;
        latest[el.getAttribute('label') ?? ''] = (e as CustomEvent<{ from: number }>).detail.from;
      });
    });
    await page.goto(`${demo.url}?theme=light${mode}`);
    await page.waitForSelector('lstm-forecast');
    console.log(`filling the charts: ${seconds} s at ${rate} readings/s per sensor…`);
    await page.waitForTimeout(seconds * 1000);
    if (!values.mode || values.mode === 'simulated') await waitForCurrentForecasts(page);
    await mkdir(values.out, { recursive: true });
    const light = join(values.out, 'screenshot.png');
    await page.screenshot({ path: light });
    // The same page in the dark theme: the switch keeps the models and the data.
    await page.click('#theme');
    await page.waitForTimeout(1500);
    const dark = join(values.out, 'screenshot-dark.png');
    await page.screenshot({ path: dark });
    // A phone held upright, in the light theme: the cards stack, the legends shorten.
    await page.click('#theme');
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(1500);
    const phone = join(values.out, 'screenshot-phone.png');
    await page.screenshot({ path: phone });
    console.log(`wrote ${light}, ${dark} and ${phone}`);
  } finally {
    await browser.close();
    await demo.close();
  }
  if (problems.length > 0) {
    console.error(`the page reported ${problems.length} problem(s):\n${problems.join('\n')}`);
    process.exit(1);
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
