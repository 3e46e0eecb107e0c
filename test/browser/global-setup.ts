import { existsSync } from 'node:fs';
import type { TestProject } from 'vitest/node';

/**
 * Runs once before the browser project launches Chromium. Without this, a missing browser shows up
 * as a Playwright launch error that suggests `playwright install`, which cannot work here.
 */
export default function setup(project: TestProject): void {
  const options = project.config.browser.provider?.options as
    { launchOptions?: { executablePath?: string } } | undefined;
  const path = options?.launchOptions?.executablePath;
  if (path === undefined || existsSync(path)) return;
  throw new Error(
    `Browser tests need Chromium, and there is none at ${path}` +
      (process.env.CHROMIUM_PATH ? ' (from CHROMIUM_PATH).' : '.') +
      "\nInstall Debian/Ubuntu's build with\n\n    apt-get update && apt-get install -y chromium\n\n" +
      'or set CHROMIUM_PATH to a Chromium or Chrome executable. Do not run `playwright install`.\n' +
      'To run only the Node tests: npm run test:node',
  );
}
