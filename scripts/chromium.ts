// The Chromium that every browser run drives (Vitest's browser project, the e2e tests,
// bench:browser, npm run screenshot): Debian's `chromium` package, or CHROMIUM_PATH. Never
// `playwright install` (no browser downloads here or in CI).

import { chromium, type Browser } from 'playwright';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/** Headless, and nothing that reaches the network or updates itself. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}
