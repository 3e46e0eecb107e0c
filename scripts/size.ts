// `npm run size`: the size of each built file (run `npm run build` first), raw, gzip (Node's zlib
// at its default level, as a web server sends it) and brotli, and the budget of the all-in-one
// ES module. A report: it exits 0 whether the budget passes or not.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, gzipSync } from 'node:zlib';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');

/** The all-in-one ES module's gzip budget; Lit, uPlot and Comlink alone take about 31 KB. */
const BUDGET_FILE = 'dist/lstm-forecast.js';
const BUDGET_GZIP = 50 * 1024;

const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

if (!existsSync(join(dist, '.built'))) {
  console.error('No build in dist/: run `npm run build` first.');
  process.exit(1);
}

const all = files(dist).filter((f) => f.endsWith('.js'));
const types = files(join(dist, 'types')).filter((f) => f.endsWith('.d.ts'));
const rows: string[][] = [];
let budgetGzip = -1;
for (const file of all) {
  const bytes = readFileSync(file);
  const gzip = gzipSync(bytes).length;
  const name = relative(root, file);
  if (name === BUDGET_FILE) budgetGzip = gzip;
  rows.push([name, kb(bytes.length), kb(gzip), kb(brotliCompressSync(bytes).length)]);
}
const typeBytes = types.reduce((n, f) => n + statSync(f).size, 0);
rows.push([`dist/types/ (${types.length} .d.ts)`, kb(typeBytes), '', '']);

const header = ['file', 'raw', 'gzip', 'brotli'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (r: string[]) =>
  r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
console.log(line(header));
for (const r of rows) console.log(line(r));
console.log();

if (budgetGzip < 0) {
  console.log(`FAIL: ${BUDGET_FILE} is missing`);
} else {
  const verdict = budgetGzip <= BUDGET_GZIP ? 'PASS' : 'FAIL';
  console.log(
    `${verdict}: ${BUDGET_FILE} is ${kb(budgetGzip)} gzip; the budget is ${kb(BUDGET_GZIP)}` +
      (verdict === 'FAIL' ? ` (over by ${kb(budgetGzip - BUDGET_GZIP)})` : ''),
  );
}
