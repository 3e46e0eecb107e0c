// The bundle budgets: `npm run size` (scripts/size.ts) on the build passes both, and fails, with
// exit code 1, once a file is over its budget.

import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './support';

function size(...args: string[]) {
  const r = spawnSync(join(ROOT, 'node_modules/.bin/tsx'), ['scripts/size.ts', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  return { status: r.status, out: r.stdout + r.stderr };
}

describe('npm run size', () => {
  it('passes the budgets: all-in-one <= 82 KB gzip, csp main thread <= 48 KB gzip', () => {
    const { status, out } = size();
    expect(out).toMatch(/PASS: dist\/lstm-forecast\.js is [\d.]+ KB gzip; the budget is 82\.0 KB/);
    expect(out).toMatch(
      /PASS: dist\/csp\/lstm-forecast\.js is [\d.]+ KB gzip; the budget is 48\.0 KB/,
    );
    expect(status, out).toBe(0);
  });

  it('fails with exit code 1 when a file is over its budget', () => {
    const { status, out } = size('--budget', 'dist/csp/lstm-forecast.js=10');
    expect(out).toMatch(
      /FAIL: dist\/csp\/lstm-forecast\.js is [\d.]+ KB gzip; the budget is 10\.0 KB \(over by/,
    );
    expect(status).toBe(1);
  });
});
