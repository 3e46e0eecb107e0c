// Shared by the benchmark's parent (core.bench.ts) and its child processes: the problem's
// constants, the series, argument parsing, the timing harness and the result protocol.
//
// Every child prints exactly one line starting with RESULT_PREFIX followed by JSON on stdout;
// anything else it (or a library it loads) prints is ignored by the parent.

export const W = 32; // window: 32 inputs, 32 one-step-ahead targets
export const HORIZON = 50; // autoregressive forecast length
export const MAX_NORM = 1.0;
export const LR = 1e-3;
export const SERIES_LENGTH = 4096;
export const RESULT_PREFIX = '@@BENCH ';

export interface Config {
  hidden: number;
  layers: number;
}

export const CONFIGS: readonly Config[] = [
  { hidden: 32, layers: 1 },
  { hidden: 64, layers: 2 },
  { hidden: 128, layers: 1 },
];

export const configName = (c: Config): string => `${c.hidden}x${c.layers}`;

/** The configurations --only names (e.g. `--only 32x1,64x2`), all of them without it. */
export function configsArg(args: Args): Config[] {
  const only = strArg(args, 'only', '');
  if (!only) return [...CONFIGS];
  return only.split(',').map((name) => {
    const c = CONFIGS.find((c) => configName(c) === name.trim());
    if (!c) throw new Error(`--only ${name}: one of ${CONFIGS.map(configName).join(', ')}`);
    return c;
  });
}

/**
 * A noisy sine, normalised to mean 0 and standard deviation 1. The noise is a 32-bit LCG so
 * that bench/torch_step.py produces the same numbers (up to the last bit of sin).
 */
export function makeSeries(n: number): Float64Array {
  const raw = new Float64Array(n);
  let s = 12345;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const u = (s / 4294967296) * 2 - 1;
    raw[i] = Math.sin((2 * Math.PI * i) / 40) + 0.5 * Math.sin((2 * Math.PI * i) / 97) + 0.1 * u;
  }
  let mean = 0;
  for (let i = 0; i < n; i++) mean += raw[i];
  mean /= n;
  let v = 0;
  for (let i = 0; i < n; i++) v += (raw[i] - mean) ** 2;
  const std = Math.sqrt(v / n);
  for (let i = 0; i < n; i++) raw[i] = (raw[i] - mean) / std;
  return raw;
}

/** Slides a window over the series by one per call: x = s[p : p+W], target = s[p+1 : p+W+1]. */
export class Windows {
  private pos = 0;
  constructor(readonly series: Float64Array) {}
  next(x: { [i: number]: number }, target: { [i: number]: number }): void {
    const s = this.series;
    const p = this.pos;
    for (let i = 0; i < W; i++) {
      x[i] = s[p + i];
      target[i] = s[p + i + 1];
    }
    this.pos = p + W + 1 >= s.length ? 0 : p + 1;
  }
}

export type Args = Record<string, string | true>;

/** --key value, --key=value, --flag. */
export function parseArgs(argv: readonly string[]): Args {
  const out: Args = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
    const eq = a.indexOf('=');
    if (eq > 0) {
      out[a.slice(2, eq)] = a.slice(eq + 1);
    } else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) {
      out[a.slice(2)] = argv[++i];
    } else {
      out[a.slice(2)] = true;
    }
  }
  return out;
}

export function numArg(args: Args, name: string, def?: number): number {
  const v = args[name];
  if (v === undefined || v === true) {
    if (def === undefined) throw new Error(`--${name} <number> is required`);
    return def;
  }
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`--${name}: not a number: ${v}`);
  return n;
}

export function strArg(args: Args, name: string, def: string): string {
  const v = args[name];
  return typeof v === 'string' ? v : def;
}

export interface Timing {
  runs: number; // timed runs; the median is reported
  minTime: number; // seconds per run, at least
  warmup: number; // seconds of untimed steps first
  forecastTime: number; // seconds of forecast samples
}

export function timingFromArgs(args: Args): Timing {
  return {
    runs: numArg(args, 'runs', 7),
    minTime: numArg(args, 'min-time', 0.3),
    warmup: numArg(args, 'warmup', 0.5),
    forecastTime: numArg(args, 'forecast-time', 0.5),
  };
}

/** The step benchmarks' timing: 7 runs of at least 0.3 s, or with --quick 3 of 0.15 s. */
export const benchTiming = (quick: boolean): Timing =>
  quick
    ? { runs: 3, minTime: 0.15, warmup: 0.25, forecastTime: 0.15 }
    : { runs: 7, minTime: 0.3, warmup: 0.5, forecastTime: 0.5 };

export const timingArgs = (t: Timing): string[] => [
  '--runs',
  String(t.runs),
  '--min-time',
  String(t.minTime),
  '--warmup',
  String(t.warmup),
  '--forecast-time',
  String(t.forecastTime),
];

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

/** n to `digits` significant digits, or whole with thousands separators when larger; '-' if none. */
export function fmt(n: number | undefined, digits = 3): string {
  if (n === undefined || !Number.isFinite(n)) return '-';
  if (Math.abs(n) >= 10 ** digits) return Math.round(n).toLocaleString('en-US');
  return n.toPrecision(digits);
}

export interface Rate {
  perSec: number; // median over runs
  runs: number[]; // each run's calls per second
}

/**
 * Calls fn for `warmup` seconds, then `runs` times for at least `minTime` seconds each, and
 * returns the median calls per second. The clock is read every `batch` calls, with batch chosen
 * so that reading it costs nothing measurable.
 */
export function measureRate(fn: () => void, t: Pick<Timing, 'runs' | 'minTime' | 'warmup'>): Rate {
  const now = (): number => performance.now() / 1000;
  let calls = 0;
  const w0 = now();
  let w: number;
  do {
    fn();
    calls++;
    w = now();
  } while (w - w0 < t.warmup || calls < 3);
  const per = (w - w0) / calls;
  const batch = Math.max(1, Math.min(1000, Math.floor(1e-3 / per)));
  const runs: number[] = [];
  for (let r = 0; r < t.runs; r++) {
    let n = 0;
    const t0 = now();
    let t1: number;
    do {
      for (let i = 0; i < batch; i++) fn();
      n += batch;
      t1 = now();
    } while (t1 - t0 < t.minTime);
    runs.push(n / (t1 - t0));
  }
  return { perSec: median(runs), runs };
}

export interface Latency {
  medianMs: number;
  p90Ms: number;
  samples: number;
}

/** Times single calls of fn for about `time` seconds (after 10 untimed ones); median and p90. */
export function measureLatency(fn: () => void, time: number): Latency {
  for (let i = 0; i < 10; i++) fn();
  const samples: number[] = [];
  const start = performance.now();
  while (performance.now() - start < time * 1000 || samples.length < 5) {
    const t0 = performance.now();
    fn();
    samples.push(performance.now() - t0);
    if (samples.length >= 200000) break;
  }
  return { medianMs: median(samples), p90Ms: quantile(samples, 0.9), samples: samples.length };
}

export function emit(result: object): void {
  process.stdout.write(RESULT_PREFIX + JSON.stringify(result) + '\n');
}

/** Runs an async main; any error is printed and the process exits 1. */
export function runMain(main: () => Promise<void> | void): void {
  Promise.resolve()
    .then(main)
    .catch((e: unknown) => {
      console.error(e instanceof Error ? (e.stack ?? e.message) : e);
      process.exit(1);
    });
}
