// The benchmark page: N <lstm-forecast> elements in a grid, each fed `rate` samples per second
// by one driver, and the instruments: a requestAnimationFrame counter, PerformanceObservers for
// long tasks and long animation frames, and the push-to-forecast latency of every sample.
// bench/browser/run.ts drives it through window.bench (see ./protocol).
//
// Latency of sample i: from its push() (performance.now() just before the call) to the first
// `forecast` event with detail.from >= its time, i.e. the first forecast that starts from it or
// from a later sample. It includes the element's batching (one flush per animation frame), the
// trip to the worker and back, and the wait behind other work on both threads.

import '../../src/lstm-forecast';
import type { ForecastEventDetail, LstmForecast } from '../../src/lstm-forecast';
import type {
  BenchPage,
  FeedConfig,
  FinishResult,
  FrameStats,
  LoafStats,
  LongTaskInfo,
  LongTaskStats,
  Quantiles,
  ScriptInfo,
  SetupResult,
  WindowResult,
} from './protocol';
import { Prng } from '../../worker/core';

const READY_TIMEOUT_MS = 60_000;
const SLOW_FRAME_MS = 25; // 1.5 frames at 60 Hz
const LONG_TASK_MS = 50;

// --------------------------------------------------------------------------------------------
// Signals: a seeded PRNG, and four kinds of realistic series with noise

/** Uniform [0, 1) numbers from the core's seeded generator. */
function mulberry32(seed: number): () => number {
  const prng = new Prng(seed);
  return () => prng.next();
}

interface Signal {
  label: string;
  /** The value of sample `i`. */
  next(i: number): number;
}

function makeSignal(k: number, rate: number): Signal {
  const rand = mulberry32(1000 + k);
  const gauss = (): number => {
    const u = 1 - rand();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
  };
  const sec = (i: number): number => i / rate;
  const base = 10 + 3 * k;
  switch (k % 4) {
    case 0: // a slow season with a faster ripple: a temperature-like reading
      return {
        label: `${k + 1}: two seasons`,
        next: (i) =>
          base +
          4 * Math.sin((2 * Math.PI * sec(i)) / 6) +
          Math.sin((2 * Math.PI * sec(i)) / 1.3) +
          0.3 * gauss(),
      };
    case 1: {
      // mean-reverting random walk (Ornstein-Uhlenbeck): a price-like series
      let x = 0;
      return {
        label: `${k + 1}: mean-reverting walk`,
        next: () => {
          x += -0.02 * x + 0.25 * gauss();
          return base + x;
        },
      };
    }
    case 2: // a sawtooth load with noise: a queue that fills and drains
      return {
        label: `${k + 1}: sawtooth`,
        next: (i) => base + 5 * ((sec(i) / 2.5) % 1) + 0.4 * gauss(),
      };
    default: // a fast sine with occasional spikes: a sensor with glitches
      return {
        label: `${k + 1}: sine with spikes`,
        next: (i) =>
          base +
          3 * Math.sin((2 * Math.PI * i) / 40) +
          0.2 * gauss() +
          (rand() < 0.002 ? 6 * (rand() < 0.5 ? -1 : 1) : 0),
      };
  }
}

// --------------------------------------------------------------------------------------------
// Frames: one requestAnimationFrame loop for the page's life; timestamps kept while recording

let recordingFrames = false;
let frameTimes: number[] = [];

function onFrame(t: number): void {
  if (recordingFrames) frameTimes.push(t);
  requestAnimationFrame(onFrame);
}
requestAnimationFrame(onFrame);

function frameStats(times: readonly number[], from: number, to: number): FrameStats {
  const ts = times.filter((t) => t >= from && t <= to);
  let worst = 0;
  let slow = 0;
  for (let i = 1; i < ts.length; i++) {
    const gap = ts[i] - ts[i - 1];
    worst = Math.max(worst, gap);
    if (gap > SLOW_FRAME_MS) slow++;
  }
  // the gaps at either end of the window count too (a frame stuck across its edge)
  if (ts.length > 0) worst = Math.max(worst, ts[0] - from, to - ts[ts.length - 1]);
  const seconds = (to - from) / 1000;
  return {
    seconds,
    frames: ts.length,
    fps: ts.length / seconds,
    worstGapMs: ts.length > 0 ? worst : to - from,
    slowFrames: slow,
  };
}

// --------------------------------------------------------------------------------------------
// Long tasks and long animation frames (LoAF, Chromium 123+: which scripts ran in a long frame)

/** The Long Animation Frames API's entries (not in TypeScript's DOM lib yet). */
interface LoafScript {
  invoker: string;
  invokerType: string;
  sourceURL: string;
  sourceFunctionName: string;
  sourceCharPosition: number;
  duration: number;
  forcedStyleAndLayoutDuration: number;
}
interface LoafEntry extends PerformanceEntry {
  renderStart: number;
  styleAndLayoutStart: number;
  blockingDuration: number;
  scripts: LoafScript[];
}
interface LongTaskEntry extends PerformanceEntry {
  attribution?: { name: string; containerType: string; containerName: string }[];
}

const supported = PerformanceObserver.supportedEntryTypes;
const longTasks: LongTaskEntry[] = [];
const loafs: LoafEntry[] = [];
function observe<T extends PerformanceEntry>(type: string, into: T[]): void {
  if (!supported.includes(type)) return;
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) into.push(e as T);
  }).observe({ type, buffered: true });
}
observe('longtask', longTasks);
observe('long-animation-frame', loafs);

/** "/src/chart.ts" for a module URL served by Vite (origin and query dropped). */
function shortUrl(url: string): string {
  if (!url) return '';
  try {
    const u = new URL(url);
    return u.origin === location.origin ? u.pathname : u.href;
  } catch {
    return url;
  }
}

function scriptSource(s: LoafScript): string {
  const fn = s.sourceFunctionName || '(anonymous)';
  const url = shortUrl(s.sourceURL);
  return url ? `${fn} ${url}:${s.sourceCharPosition}` : fn;
}

function longTaskStats(from: number, to: number): LongTaskStats {
  const inWindow = longTasks.filter((e) => e.startTime >= from && e.startTime <= to);
  const longest = [...inWindow].sort((a, b) => b.duration - a.duration).slice(0, 10);
  const info = (e: LongTaskEntry): LongTaskInfo => {
    const a = e.attribution?.[0];
    const loaf = loafs.find(
      (l) => l.startTime <= e.startTime + 1 && e.startTime < l.startTime + l.duration,
    );
    const end = loaf ? loaf.startTime + loaf.duration : 0;
    return {
      atS: (e.startTime - from) / 1000,
      durationMs: e.duration,
      attribution: a ? `${e.name} (${a.containerType || a.name})` : e.name,
      scripts: loaf
        ? [...loaf.scripts]
            .sort((x, y) => y.duration - x.duration)
            .slice(0, 5)
            .map((s) => ({ invoker: s.invoker, source: scriptSource(s), durationMs: s.duration }))
        : [],
      renderMs: loaf && loaf.renderStart > 0 ? end - loaf.renderStart : null,
      styleAndLayoutMs:
        loaf && loaf.styleAndLayoutStart > 0 ? end - loaf.styleAndLayoutStart : null,
    };
  };
  return {
    supported: supported.includes('longtask'),
    count: inWindow.length,
    over50: inWindow.filter((e) => e.duration > LONG_TASK_MS).length,
    maxMs: inWindow.reduce((m, e) => Math.max(m, e.duration), 0),
    totalMs: inWindow.reduce((s, e) => s + (e.duration > LONG_TASK_MS ? e.duration : 0), 0),
    longest: longest.map(info),
  };
}

function loafStats(from: number, to: number): LoafStats {
  const inWindow = loafs.filter((e) => e.startTime >= from && e.startTime <= to);
  const byScript = new Map<string, ScriptInfo>();
  for (const l of inWindow) {
    for (const s of l.scripts) {
      const source = scriptSource(s);
      const key = `${s.invoker}\u0000${source}`;
      const acc = byScript.get(key) ?? { invoker: s.invoker, source, durationMs: 0 };
      acc.durationMs += s.duration;
      byScript.set(key, acc);
    }
  }
  return {
    supported: supported.includes('long-animation-frame'),
    count: inWindow.length,
    maxMs: inWindow.reduce((m, e) => Math.max(m, e.duration), 0),
    scripts: [...byScript.values()].sort((a, b) => b.durationMs - a.durationMs).slice(0, 12),
  };
}

// --------------------------------------------------------------------------------------------
// The elements, the feed, and the latency of each sample

/** One element's samples in push order, and how far forecasts have covered them. */
interface Track {
  el: LstmForecast;
  signal: Signal;
  lastTime: number;
  times: number[];
  pushedAt: number[];
  /** Whether the sample is in the measured window. */
  counted: boolean[];
  /** The first sample no forecast has covered yet. */
  next: number;
  latencies: number[];
  /** Samples the worker had taken in by its latest update (the `train` event's `samples`). */
  ingested: number;
  /** The latest `train` event's trainSteps, and forecast events so far. */
  trainSteps: number;
  forecasts: number;
  /** ingested, trainSteps and forecasts when the measured window began. */
  atBegin: { ingested: number; trainSteps: number; forecasts: number };
}

const tracks: Track[] = [];
let driver: ReturnType<typeof setInterval> | null = null;
let feedStart = 0;
let sent = 0; // samples per element so far
let counting = false;
let windowStart = 0;
let setupStart = 0;
let windowEnd = 0;
const counts = { pushed: 0, forecasts: 0, trains: 0, anomalies: 0, ticks: 0, lateTicks: 0 };
let windowCounts = { ...counts };
let lastTick = 0;
let worstTickGap = 0;
/** (push time in the window, latency) pairs of every sample counted. */
const latencyAt: number[] = [];
const errors = new Map<string, { code: string; message: string; count: number }>();

function onForecast(track: Track, detail: ForecastEventDetail): void {
  const now = performance.now();
  counts.forecasts++;
  track.forecasts++;
  const { times, pushedAt, counted } = track;
  let i = track.next;
  while (i < times.length && times[i] <= detail.from) {
    if (counted[i]) {
      track.latencies.push(now - pushedAt[i]);
      latencyAt.push(pushedAt[i] - windowStart, now - pushedAt[i]);
    }
    i++;
  }
  track.next = i;
}

/** One driver tick: every sample due by now (at `rate` per second from the start), to each element. */
function tick(rate: number): void {
  const now = performance.now();
  counts.ticks++;
  if (counting) worstTickGap = Math.max(worstTickGap, now - lastTick);
  lastTick = now;
  const due = Math.floor(((now - feedStart) * rate) / 1000) + 1;
  if (due - sent > 1) counts.lateTicks++;
  for (; sent < due; sent++) {
    for (const track of tracks) {
      const value = track.signal.next(sent);
      const time = Math.max(Date.now(), track.lastTime + 1);
      track.lastTime = time;
      track.times.push(time);
      track.counted.push(counting);
      track.pushedAt.push(performance.now());
      track.el.push(value, time);
      counts.pushed++;
    }
  }
}

async function setup(config: FeedConfig): Promise<SetupResult> {
  const grid = document.getElementById('grid');
  if (!grid) throw new Error('bench/browser/index.html has no #grid');
  const cols = Math.ceil(Math.sqrt(config.elements));
  const rows = Math.ceil(config.elements / cols);
  grid.style.gridTemplateColumns = `repeat(${cols}, minmax(0, 1fr))`;
  grid.style.gridTemplateRows = `repeat(${rows}, minmax(0, 1fr))`;
  const t0 = performance.now();
  setupStart = t0;
  const ready: Promise<void>[] = [];
  for (let k = 0; k < config.elements; k++) {
    const el = document.createElement('lstm-forecast');
    el.horizon = 12;
    el.paused = config.paused;
    const track: Track = {
      el,
      signal: makeSignal(k, config.rate),
      lastTime: -Infinity,
      times: [],
      pushedAt: [],
      counted: [],
      next: 0,
      latencies: [],
      ingested: 0,
      trainSteps: 0,
      forecasts: 0,
      atBegin: { ingested: 0, trainSteps: 0, forecasts: 0 },
    };
    el.label = track.signal.label;
    el.addEventListener('forecast', (e) => onForecast(track, e.detail));
    el.addEventListener('train', (e) => {
      counts.trains++;
      track.ingested = e.detail.samples;
      track.trainSteps = e.detail.trainSteps;
    });
    el.addEventListener('anomaly', () => counts.anomalies++);
    el.addEventListener('forecast-error', (e) => {
      const { code, message } = e.detail;
      const entry = errors.get(code) ?? { code, message, count: 0 };
      entry.count++;
      errors.set(code, entry);
    });
    ready.push(
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`element ${k + 1} sent no ready event in ${READY_TIMEOUT_MS} ms`)),
          READY_TIMEOUT_MS,
        );
        el.addEventListener('ready', () => (clearTimeout(timer), resolve()), { once: true });
      }),
    );
    grid.append(el);
    tracks.push(track);
  }
  await Promise.all(ready);
  const readyMs = performance.now() - t0;
  feedStart = performance.now();
  lastTick = feedStart;
  driver = setInterval(() => tick(config.rate), 1000 / config.rate);
  return {
    hardwareConcurrency: navigator.hardwareConcurrency,
    readyMs,
    userAgent: navigator.userAgent,
    devicePixelRatio,
    viewport: [innerWidth, innerHeight],
    entryTypes: [...supported],
  };
}

function begin(): void {
  windowStart = performance.now();
  counting = true;
  recordingFrames = true;
  frameTimes = [];
  windowCounts = { ...counts };
  worstTickGap = 0;
  for (const t of tracks)
    t.atBegin = { ingested: t.ingested, trainSteps: t.trainSteps, forecasts: t.forecasts };
}

function end(): WindowResult {
  windowEnd = performance.now();
  counting = false;
  recordingFrames = false;
  const d = <K extends keyof typeof counts>(k: K): number => counts[k] - windowCounts[k];
  const seconds = (windowEnd - windowStart) / 1000;
  return {
    frames: frameStats(frameTimes, windowStart, windowEnd),
    longTasks: longTaskStats(windowStart, windowEnd),
    loaf: loafStats(windowStart, windowEnd),
    samplesPushed: d('pushed'),
    achievedRate: d('pushed') / Math.max(1, tracks.length) / seconds,
    lateTicks: d('lateTicks'),
    ticks: d('ticks'),
    worstTickGapMs: worstTickGap,
    forecasts: d('forecasts'),
    trains: d('trains'),
    anomalies: d('anomalies'),
    inFlight: tracks.map((t) => t.times.length - t.ingested),
    longTasksSinceSetup: longTaskStats(setupStart, windowEnd),
    perElement: tracks.map((t) => ({
      trainSteps: t.trainSteps - t.atBegin.trainSteps,
      samples: t.ingested - t.atBegin.ingested,
      forecasts: t.forecasts - t.atBegin.forecasts,
    })),
  };
}

function quantiles(xs: number[]): Quantiles {
  const s = Float64Array.from(xs).sort();
  const n = s.length;
  const q = (p: number): number => (n === 0 ? NaN : s[Math.min(n - 1, Math.ceil(p * n) - 1)]);
  return {
    n,
    p50: q(0.5),
    p95: q(0.95),
    p99: q(0.99),
    max: n === 0 ? NaN : s[n - 1],
    mean: n === 0 ? NaN : s.reduce((a, b) => a + b, 0) / n,
  };
}

async function finish(drainMs: number): Promise<FinishResult> {
  if (driver !== null) clearInterval(driver);
  driver = null;
  const unmatched = (): number =>
    tracks.reduce((sum, t) => {
      let n = 0;
      for (let i = t.next; i < t.times.length; i++) if (t.counted[i]) n++;
      return sum + n;
    }, 0);
  const t0 = performance.now();
  while (unmatched() > 0 && performance.now() - t0 < drainMs) {
    await new Promise((r) => setTimeout(r, 50));
  }
  const buckets = Math.min(6, Math.max(1, Math.round((windowEnd - windowStart) / 5000)));
  const width = (windowEnd - windowStart) / buckets;
  const byTime: number[][] = Array.from({ length: buckets }, () => []);
  for (let i = 0; i < latencyAt.length; i += 2) {
    byTime[Math.min(buckets - 1, Math.floor(latencyAt[i] / width))].push(latencyAt[i + 1]);
  }
  return {
    latencyOverTime: byTime.map((xs, b) => ({ fromS: (b * width) / 1000, ...quantiles(xs) })),
    latency: quantiles(tracks.flatMap((t) => t.latencies)),
    perElementP95: tracks.map((t) => quantiles(t.latencies).p95),
    unmatched: unmatched(),
    totalPushed: counts.pushed,
    totalForecasts: counts.forecasts,
    errors: [...errors.values()],
  };
}

async function idle(seconds: number): Promise<FrameStats> {
  const from = performance.now();
  frameTimes = [];
  recordingFrames = true;
  await new Promise((r) => setTimeout(r, seconds * 1000));
  recordingFrames = false;
  return frameStats(frameTimes, from, performance.now());
}

const bench: BenchPage = { idle, setup, begin, end, finish };
window.bench = bench;
