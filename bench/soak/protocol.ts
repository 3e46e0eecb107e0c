// What the soak page (page.ts) and its runner (run.ts) pass each other through page.evaluate.

export interface SoakCounters {
  /** Samples pushed so far, per element. */
  pushed: number[];
  /** Samples the worker has taken in, per element (the latest `train` event's `samples`). */
  counted: number[];
  /** `forecast` events so far, per element. */
  forecasts: number[];
  /** Error events by code. */
  errors: Record<string, number>;
  /** Driver ticks that ran late enough to push more than one sample per element. */
  lateTicks: number;
}

export interface SoakPage {
  /** Creates `elements` elements, waits for their `ready`, feeds each `rate` samples a second. */
  setup(elements: number, rate: number): Promise<{ readyMs: number; hardwareConcurrency: number }>;
  counters(): SoakCounters;
  /** Stops the feed. */
  stop(): void;
}

declare global {
  interface Window {
    soak?: SoakPage;
  }
}
