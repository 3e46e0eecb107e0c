// The methods compared by the accuracy benchmark, behind one online interface: they see the
// series only through push(), one value at a time, and forecast the next h values from what
// they have seen. Our Forecaster is wrapped in bench/accuracy/ours.ts; statsmodels' Holt-Winters
// runs in a Python subprocess (bench/accuracy/python-peer.ts).
//
// The baselines are given each series' known season lengths (Series.periods), as a user who
// knows the data would configure them; a season is used once the history holds two of it.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { AutoETS, initSync as initEts } from '@bsull/augurs/ets';
import { MSTL, initSync as initMstl } from '@bsull/augurs/mstl';

export interface MethodForecast {
  /** Each of length h: the forecasts of the next h values. */
  mean: ArrayLike<number>;
  /** The prediction interval, if the method gives one. */
  lower?: ArrayLike<number>;
  upper?: ArrayLike<number>;
  /** False while the method is warming up; only our forecaster can say false. */
  ready: boolean;
}

export interface Method {
  readonly name: string;
  push(value: number): void;
  forecast(): MethodForecast;
  /** A note for the report (fallbacks, fits, the detected season), or ''. */
  note(): string;
  /** A number to record at each origin, outside the timed calls (ours: its season). */
  inspect?(): number;
}

/** Values seen so far, in a growing array. */
class History {
  private buf = new Float64Array(256);
  length = 0;
  push(v: number): void {
    if (this.length === this.buf.length) {
      const b = new Float64Array(this.buf.length * 2);
      b.set(this.buf);
      this.buf = b;
    }
    this.buf[this.length++] = v;
  }
  at(i: number): number {
    return this.buf[i];
  }
  /** The values seen so far (a view: valid until the next push). */
  view(): Float64Array {
    return this.buf.subarray(0, this.length);
  }
}

/** The last value, repeated. */
export class Naive implements Method {
  readonly name = 'naive';
  private last = NaN;
  private readonly mean: Float64Array;
  constructor(h: number) {
    this.mean = new Float64Array(h);
  }
  push(value: number): void {
    this.last = value;
  }
  forecast(): MethodForecast {
    this.mean.fill(this.last);
    return { mean: this.mean, ready: true };
  }
  note(): string {
    return '';
  }
}

/**
 * The value one season earlier, y[t+k] = y[t+k-m*ceil(k/m)] with the series' primary season m;
 * with no season (or less than one season seen), the naive forecast.
 */
export class SeasonalNaive implements Method {
  readonly name = 'snaive';
  private readonly hist = new History();
  private readonly mean: Float64Array;
  constructor(
    h: number,
    private readonly m: number,
  ) {
    this.mean = new Float64Array(h);
  }
  push(value: number): void {
    this.hist.push(value);
  }
  forecast(): MethodForecast {
    const n = this.hist.length;
    const t = n - 1;
    const m = this.m;
    for (let k = 1; k <= this.mean.length; k++) {
      const back = m >= 2 && n >= m ? m * Math.ceil(k / m) : k; // t + k - back <= t
      this.mean[k - 1] = this.hist.at(t + k - back);
    }
    return { mean: this.mean, ready: true };
  }
  note(): string {
    return '';
  }
}

let augursReady = false;

/** Loads augurs' MSTL and ETS wasm modules from node_modules (synchronously, no fetch). */
export function initAugurs(): void {
  if (augursReady) return;
  const dir = path.dirname(createRequire(import.meta.url).resolve('@bsull/augurs/mstl'));
  initMstl({ module: readFileSync(path.join(dir, 'mstl_bg.wasm')) });
  initEts({ module: readFileSync(path.join(dir, 'ets_bg.wasm')) });
  augursReady = true;
}

/**
 * Grafana's augurs, refitted every `every` samples on everything seen so far: MSTL with an
 * AutoETS trend model on the series' seasons that the history holds at least twice (STL needs
 * two), AutoETS alone ("ZZN": error, trend and no season chosen by AICc) when none fits. Between
 * refits it forecasts from the latest fit at the longer leads: at `d` samples after the fit,
 * steps d+1..d+h of the fit's forecast. If a fit fails, the previous one is kept (or the
 * naive forecast is used until a fit succeeds).
 */
export class Augurs implements Method {
  readonly name = 'augurs';
  private readonly hist = new History();
  private fitAt = -1; // history length at the latest fit
  private point: number[] = [];
  private lower: number[] | undefined;
  private upper: number[] | undefined;
  private readonly mean: Float64Array;
  private readonly lo: Float64Array;
  private readonly hi: Float64Array;
  fits = 0;
  mstlFits = 0;
  failures = 0;
  private lastError = '';
  private lastPeriods = '-';

  constructor(
    private readonly h: number,
    private readonly periods: readonly number[],
    private readonly every: number,
    private readonly level = 0.8,
  ) {
    initAugurs();
    this.mean = new Float64Array(h);
    this.lo = new Float64Array(h);
    this.hi = new Float64Array(h);
  }

  push(value: number): void {
    this.hist.push(value);
  }

  private refit(): void {
    const y = this.hist.view();
    const horizon = this.every + this.h;
    const periods = this.periods.filter((p) => p >= 2 && y.length >= 2 * p + 1);
    this.lastPeriods = periods.join('+') || '-';
    try {
      if (periods.length > 0) {
        const m = MSTL.ets(periods);
        try {
          m.fit(y);
          const f = m.predict(horizon, this.level);
          this.setFit(f.point, f.intervals?.lower, f.intervals?.upper);
          this.mstlFits++;
        } finally {
          m.free();
        }
      } else {
        const m = new AutoETS(1, 'ZZN');
        try {
          m.fit(y);
          const f = m.predict(horizon, this.level);
          this.setFit(f.point, f.intervals?.lower, f.intervals?.upper);
        } finally {
          m.free();
        }
      }
      this.fits++;
      this.fitAt = y.length;
    } catch (e) {
      this.failures++;
      this.lastError = e instanceof Error ? e.message : String(e);
      // Keep the previous fit; try again at the next sample.
    }
  }

  private setFit(point: number[], lower?: number[], upper?: number[]): void {
    if (!point.every(Number.isFinite)) throw new Error('non-finite forecast');
    this.point = point;
    this.lower = lower;
    this.upper = upper;
  }

  forecast(): MethodForecast {
    const n = this.hist.length;
    if (this.fitAt < 0 || n - this.fitAt >= this.every) this.refit();
    if (this.fitAt < 0 || n - this.fitAt + this.h > this.point.length) {
      this.mean.fill(this.hist.at(n - 1));
      return { mean: this.mean, ready: true };
    }
    const d = n - this.fitAt;
    for (let k = 0; k < this.h; k++) {
      this.mean[k] = this.point[d + k];
      this.lo[k] = this.lower ? this.lower[d + k] : NaN;
      this.hi[k] = this.upper ? this.upper[d + k] : NaN;
    }
    return { mean: this.mean, lower: this.lo, upper: this.hi, ready: true };
  }

  note(): string {
    const kind = this.mstlFits === this.fits ? 'MSTL' : this.mstlFits === 0 ? 'ETS' : 'ETS->MSTL';
    let s = `${kind} (seasons ${this.lastPeriods}), ${this.fits} fits`;
    if (this.failures > 0) s += `, ${this.failures} failed (${this.lastError})`;
    return s;
  }
}
