// Where our training step spends its time: runs bench/ours.ts under `node --cpu-prof` for a
// few seconds of steps and prints the functions with the most self time.
//
//   tsx bench/profile.ts [--hidden 32 --layers 1 --dtype float32 --kernels js|simd --cell lstm|gru
//     --seconds 4 --top 15]
//
// Functions V8 inlined into a caller are attributed to themselves where V8 kept their source
// positions, else to the caller. Also counts V8's deoptimisations (--trace-deopt) and names any
// function that deoptimises again and again. The run is short and the first second is
// warm-up, so use a few seconds at least.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { numArg, parseArgs, runMain, strArg } from './common';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.dirname(BENCH_DIR);

runMain(() => {
  const args = parseArgs(process.argv.slice(2));
  const hidden = numArg(args, 'hidden', 32);
  const layers = numArg(args, 'layers', 1);
  const dtype = strArg(args, 'dtype', 'float32');
  const kernels = strArg(args, 'kernels', 'js');
  const cell = strArg(args, 'cell', 'lstm');
  const seconds = numArg(args, 'seconds', 4);
  const top = numArg(args, 'top', 15);
  const dir = mkdtempSync(path.join(tmpdir(), 'lstm-prof-'));
  try {
    const r = spawnSync(
      process.execPath,
      [
        '--cpu-prof',
        '--cpu-prof-dir',
        dir,
        '--trace-deopt',
        '--import',
        'tsx',
        path.join(BENCH_DIR, 'ours.ts'),
        ...['--dtype', dtype, '--hidden', String(hidden), '--layers', String(layers)],
        ...['--kernels', kernels, '--cell', cell],
        ...['--profile-seconds', String(seconds)],
      ],
      { cwd: ROOT, encoding: 'utf8' },
    );
    if (r.status !== 0) throw new Error(`ours.ts failed:\n${r.stderr}`);
    const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
    // tsx may leave a profile of its own loader process too: take the largest.
    const profiles = files.map(
      (f) => JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as CpuProfile,
    );
    if (profiles.length === 0) throw new Error('no .cpuprofile written');
    const prof = profiles.reduce((a, b) => (b.samples.length > a.samples.length ? b : a));

    const byId = new Map(prof.nodes.map((n) => [n.id, n]));
    const self = new Map<string, number>();
    let total = 0;
    for (let i = 0; i < prof.samples.length; i++) {
      const dt = prof.timeDeltas[i + 1] ?? 0; // the time until the next sample
      const n = byId.get(prof.samples[i]);
      if (!n) continue;
      const { functionName, url, lineNumber } = n.callFrame;
      const file = url.startsWith('file:')
        ? path.relative(ROOT, fileURLToPath(url.replace(/\?.*$/, '')))
        : url;
      // tsx's transpiled modules report line 0 for every function: show the file only then.
      const where = file && lineNumber > 0 ? `${file}:${lineNumber + 1}` : file;
      const key = `${functionName || '(anonymous)'}  ${where}`.trim();
      self.set(key, (self.get(key) ?? 0) + dt);
      total += dt;
    }
    const line = r.stdout.split('\n').find((l) => l.startsWith('@@BENCH '));
    const info = line
      ? (JSON.parse(line.slice(8)) as { steps: number; stepsPerSec: number })
      : null;
    console.log(
      `ours ${dtype} ${hidden}x${layers}: ${info?.steps ?? '?'} steps, ` +
        `${info ? info.stepsPerSec.toFixed(0) : '?'} steps/s under the profiler; self time:`,
    );
    const rows = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
    for (const [key, us] of rows) {
      console.log(
        `  ${((100 * us) / total).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${key}`,
      );
    }
    // Deoptimisations: a handful while warming up is normal; hundreds mean a deopt loop (V8
    // throws away optimised code every step and runs part of it in the interpreter).
    const deopts = new Map<string, number>();
    for (const l of r.stdout.split('\n')) {
      const m = /reason: (.*?)\): begin\. deoptimizing \S+ <JSFunction (\S*)/.exec(l);
      if (m) deopts.set(`${m[2]} (${m[1]})`, (deopts.get(`${m[2]} (${m[1]})`) ?? 0) + 1);
    }
    const many = [...deopts.entries()].filter(([, n]) => n >= 10).sort((a, b) => b[1] - a[1]);
    console.log(
      many.length === 0
        ? `deopts: ${[...deopts.values()].reduce((a, b) => a + b, 0)} in all, none repeated (no deopt loop)`
        : `deopt loops: ${many.map(([k, n]) => `${k} x${n}`).join('; ')}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
