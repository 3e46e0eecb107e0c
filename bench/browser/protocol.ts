// What the benchmark page (main.ts) and its runner (run.ts) pass each other through
// page.evaluate: the page's API on `window.bench` and the plain, JSON-able results it returns.
// Times are milliseconds on the page's performance.now() clock unless named otherwise.

export interface FeedConfig {
  /** <lstm-forecast> elements in a grid. */
  elements: number;
  /** Samples per second fed to each element. */
  rate: number;
  /** Sets `paused` on every element: no drawing, the rest as usual (to tell drawing from the rest). */
  paused: boolean;
}

/** requestAnimationFrame over a stretch of time. */
export interface FrameStats {
  seconds: number;
  frames: number;
  fps: number;
  /** Longest gap between two consecutive frames. */
  worstGapMs: number;
  /** Gaps over 25 ms (1.5 frames at 60 Hz): frames that were late or dropped. */
  slowFrames: number;
}

/** One script in a long animation frame (the Long Animation Frames API's attribution). */
export interface ScriptInfo {
  /** e.g. "FrameRequestCallback", "TimerHandler:setInterval", "Worker.onmessage", "MessagePort.onmessage". */
  invoker: string;
  source: string;
  durationMs: number;
}

export interface LongTaskInfo {
  /** Start, seconds into the measured window. */
  atS: number;
  durationMs: number;
  /** The longtask entry's own attribution (Chromium only says "self" and the frame). */
  attribution: string;
  /** The long animation frame that overlaps it: its scripts, longest first, and its rendering. */
  scripts: ScriptInfo[];
  renderMs: number | null;
  styleAndLayoutMs: number | null;
}

export interface LongTaskStats {
  supported: boolean;
  count: number;
  over50: number;
  maxMs: number;
  /** Of the ones over 50 ms. */
  totalMs: number;
  /** The longest ones, longest first (at most 10). */
  longest: LongTaskInfo[];
}

/** Long animation frames (Chromium's LoAF entries, frames over 50 ms) in the window, summed up. */
export interface LoafStats {
  supported: boolean;
  count: number;
  maxMs: number;
  /** Script time in all of them by invoker and source, longest first (at most 12). */
  scripts: ScriptInfo[];
}

export interface Quantiles {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

/** What `end()` returns: the frames, long tasks and feed of the measured window. */
export interface WindowResult {
  frames: FrameStats;
  longTasks: LongTaskStats;
  loaf: LoafStats;
  /** Samples pushed in the window, over all elements. */
  samplesPushed: number;
  /** Samples per second per element actually pushed (the driver catches up when a tick is late). */
  achievedRate: number;
  /** Driver ticks that had to push more than one sample per element (late ticks). */
  lateTicks: number;
  /** Timer ticks that ran, and the longest gap between two. */
  ticks: number;
  worstTickGapMs: number;
  forecasts: number;
  trains: number;
  anomalies: number;
  /**
   * Per element at the end of the window: samples pushed that its worker had not yet taken in
   * (as of the element's latest `train` event), i.e. queued in the element, the lease or the worker.
   */
  inFlight: number[];
  /** Per element, in the window: its train steps, the samples its model took in, its forecasts. */
  perElement: { trainSteps: number; samples: number; forecasts: number }[];
  /** Long tasks from the creation of the elements to the end of the window (warm-up included). */
  longTasksSinceSetup: LongTaskStats;
}

/** What `finish()` returns, after the feed stopped and the last forecasts came in. */
export interface FinishResult {
  /** Push-to-forecast latency of the samples pushed in the measured window, all elements pooled. */
  latency: Quantiles;
  /** The same by when the sample was pushed (the window in up to 6 equal parts): a queue that grows shows. */
  latencyOverTime: (Quantiles & { fromS: number })[];
  /** Per element p95, to see whether one element (one worker) lags behind the others. */
  perElementP95: number[];
  /** Samples of the window no forecast ever covered (within the drain time). */
  unmatched: number;
  /** Over the whole run, warm-up included. */
  totalPushed: number;
  totalForecasts: number;
  errors: { code: string; message: string; count: number }[];
}

export interface SetupResult {
  hardwareConcurrency: number;
  /** Milliseconds from creating the elements to the last `ready` event. */
  readyMs: number;
  userAgent: string;
  devicePixelRatio: number;
  viewport: [number, number];
  entryTypes: string[];
}

/** window.bench: the page's side. Each call is one page.evaluate from the runner. */
export interface BenchPage {
  /** Frames of the page with no element in it, for `seconds`. */
  idle(seconds: number): Promise<FrameStats>;
  /** Creates the elements, waits for each one's `ready`, starts feeding them. */
  setup(config: FeedConfig): Promise<SetupResult>;
  /** Starts the measured window (frames, long tasks and the latency of each sample from here). */
  begin(): void;
  /** Ends the measured window. The feed goes on until finish(). */
  end(): WindowResult;
  /** Stops the feed and waits (at most drainMs) for forecasts of the window's last samples. */
  finish(drainMs: number): Promise<FinishResult>;
}

declare global {
  interface Window {
    bench?: BenchPage;
  }
}
