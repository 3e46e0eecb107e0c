// `npm run screenshot`: starts the demo (sensor server + Vite, no browser opened), lets the
// dashboard fill in headless Chromium at a high sample rate, and writes docs/screenshot.png (light)
// and docs/screenshot-dark.png. Fails if the page logs an error.
//
//   npm run screenshot -- --seconds 20 --rate 50 --mode simulated|replay --out docs
//
// Uses the distribution's Chromium (/usr/bin/chromium, or CHROMIUM_PATH); never `playwright
// install`.

import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright';
import { startDemo } from '../demo/server/start';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '20' },
    rate: { type: 'string', default: '50' },
    mode: { type: 'string', default: 'simulated' },
    out: { type: 'string', default: 'docs' },
    width: { type: 'string', default: '1440' },
    height: { type: 'string', default: '940' },
  },
});
const seconds = Number(values.seconds);
const rate = Number(values.rate);
const width = Number(values.width);
const height = Number(values.height);

async function main(): Promise<void> {
  const demo = await startDemo({ rate, open: false, logLevel: 'warn' });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const problems: string[] = [];
  try {
    const page = await browser.newPage({ viewport: { width, height }, deviceScaleFactor: 1 });
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    const mode = values.mode === 'replay' ? '&mode=replay' : '';
    await page.goto(`${demo.url}?theme=light${mode}`);
    await page.waitForSelector('lstm-forecast');
    console.log(`filling the charts: ${seconds} s at ${rate} readings/s per sensor…`);
    await page.waitForTimeout(seconds * 1000);
    await mkdir(values.out, { recursive: true });
    const light = join(values.out, 'screenshot.png');
    await page.screenshot({ path: light });
    // The same page in the dark theme: the switch keeps the models and the data.
    await page.click('#theme');
    await page.waitForTimeout(1500);
    const dark = join(values.out, 'screenshot-dark.png');
    await page.screenshot({ path: dark });
    console.log(`wrote ${light} and ${dark}`);
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
