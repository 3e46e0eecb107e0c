import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM_PATH } from './support';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** What the build reads: dist/ older than any of these is rebuilt. */
const INPUTS = [
  'src',
  'worker',
  'scripts/build.ts',
  'scripts/wasm',
  'tsconfig.base.json',
  'tsconfig.build.json',
  'custom-elements-manifest.config.mjs',
  'package.json',
  'package-lock.json',
];

function newest(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((name) => newest(join(path, name))));
}

/**
 * e2e globalSetup: fails at once without a Chromium (with how to get one), and runs
 * `npm run build` when dist/ is missing (a fresh clone) or older than its sources.
 */
export default function setup(): void {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `The e2e tests need Chromium, and there is none at ${CHROMIUM_PATH}. Install it with\n\n` +
        '    apt-get update && apt-get install -y chromium\n\n' +
        'or set CHROMIUM_PATH. Do not run `playwright install`.',
    );
  }
  const stamp = join(root, 'dist/.built');
  const inputs = Math.max(...INPUTS.map((p) => newest(join(root, p))));
  if (existsSync(stamp) && statSync(stamp).mtimeMs >= inputs) return;
  console.log('e2e: dist/ is missing or older than its sources: npm run build');
  const result = spawnSync(join(root, 'node_modules/.bin/tsx'), ['scripts/build.ts'], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, NODE_ENV: 'production' },
  });
  if (result.status !== 0) throw new Error(`e2e: npm run build failed (exit ${result.status})`);
}
