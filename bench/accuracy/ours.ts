// Our Forecaster behind the benchmark's Method interface: default options but the horizon and
// the seed, so the default budget (one optimiser step per accepted sample, synchronously in
// push()) and the default network (LSTM hidden 32, one layer, window 32).

import { Forecaster, type ForecasterOptions } from '../../worker/engine';
import type { Method, MethodForecast } from './methods';

export class Ours implements Method {
  readonly name = 'ours';
  readonly f: Forecaster;
  constructor(h: number, seed = 1, options: ForecasterOptions = {}) {
    this.f = new Forecaster({ ...options, horizon: h, seed });
  }
  push(value: number): void {
    this.f.push(value);
  }
  forecast(): MethodForecast {
    return this.f.forecast();
  }
  /** The season the forecaster uses now (outside the timed calls). */
  inspect(): number {
    return this.f.stats().season;
  }
  note(): string {
    const s = this.f.stats();
    return `season ${s.season}, ${s.trainSteps} train steps, ${s.divergences} divergences`;
  }
}
