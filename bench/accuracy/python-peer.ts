// The Holt-Winters peer ("hw"): statsmodels' ExponentialSmoothing in one Python subprocess per
// run (bench/accuracy/hw_peer.py says what it fits and how its state follows every sample).
//
// It starts before our forecaster runs and works beside it. The series go to its stdin and its
// forecasts come back on its stdout, both through temporary files rather than pipes: the
// benchmark's own loop is synchronous and would not drain a pipe while it works.

import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Debian's python3 has statsmodels (python3-statsmodels); a pyenv or venv python may not. */
export const PYTHON = process.env.BENCH_PYTHON ?? '/usr/bin/python3';
const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'hw_peer.py');

export interface PeerSeries {
  name: string;
  values: Float64Array;
  /** The season given to Holt-Winters (the series' primary one), 0 for none. */
  period: number;
  burnIn: number;
}

export interface PeerResult {
  /** origins x h forecasts, row-major. */
  mean: Float64Array;
  /** Wall time of its fits, updates and forecasts, in ms. */
  ms: number;
  note: string;
}

export type PeerRun =
  { ok: true; results: Promise<Map<string, PeerResult>> } | { ok: false; reason: string };

/** Whether PYTHON runs and imports statsmodels; the reason if not. */
function available(): string | null {
  const r = spawnSync(PYTHON, ['-c', 'import statsmodels, numpy; print(statsmodels.__version__)'], {
    encoding: 'utf8',
  });
  if (r.error) return `${PYTHON} cannot be run (${r.error.message})`;
  if (r.status !== 0) return `${PYTHON} has no statsmodels (${r.stderr.trim().split('\n').pop()})`;
  return null;
}

export function statsmodelsVersion(): string {
  const r = spawnSync(PYTHON, ['-c', 'import statsmodels; print(statsmodels.__version__)'], {
    encoding: 'utf8',
  });
  return r.status === 0 ? r.stdout.trim() : '?';
}

/**
 * Starts the peer on all the series; returns at once. Its progress goes to our stderr. Skipped
 * (ok: false, with the reason to print) when Python or statsmodels is missing.
 */
export function startHoltWinters(series: PeerSeries[], h: number, refit: number): PeerRun {
  const missing = available();
  if (missing) return { ok: false, reason: missing };
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-hw-'));
  const inFile = path.join(dir, 'in.json');
  const outFile = path.join(dir, 'out.jsonl');
  writeFileSync(
    inFile,
    JSON.stringify({
      h,
      refit,
      series: series.map((s) => ({
        name: s.name,
        values: Array.from(s.values),
        period: s.period,
        burnIn: s.burnIn,
      })),
    }),
  );
  const stdin = openSync(inFile, 'r');
  const stdout = openSync(outFile, 'w');
  const child = spawn(PYTHON, [SCRIPT], { stdio: [stdin, stdout, 'inherit'] });
  const results = new Promise<Map<string, PeerResult>>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      closeSync(stdin);
      closeSync(stdout);
      try {
        if (code !== 0) throw new Error(`hw peer exited with ${code ?? signal}`);
        const out = new Map<string, PeerResult>();
        for (const line of readFileSync(outFile, 'utf8').split('\n')) {
          if (line.trim() === '') continue;
          const r = JSON.parse(line) as { name: string; mean: number[]; ms: number; note: string };
          out.set(r.name, { mean: Float64Array.from(r.mean), ms: r.ms, note: r.note });
        }
        for (const s of series) {
          if (!out.has(s.name)) throw new Error(`hw peer gave no forecasts for ${s.name}`);
        }
        resolve(out);
      } catch (e) {
        reject(e instanceof Error ? e : new Error(String(e)));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
  return { ok: true, results };
}
