// Simulated sensors for the demo: four plant readings with the structure real ones have (a daily
// cycle, bursts, regime changes, spikes), each a seeded generator of { t, value } on a simulated
// clock. Every sample advances the clock by SIM_STEP_MS whatever the sample rate, so the series
// look the same at any rate and a faster rate only makes simulated time run faster.

import type { StreamInfo } from '../catalogue';

/** Simulated time between two samples: 6 minutes, so 10 samples/s is one simulated hour a second. */
export const SIM_STEP_MS = 6 * 60 * 1000;

const SIMULATED = 'simulated by demo/server/simulate.ts';
const HOUR_MS = 3600 * 1000;
const DAY_MS = 24 * HOUR_MS;

export interface Reading {
  /** Simulated time, ms since the epoch. */
  t: number;
  value: number;
}

/** What the page needs to know about a stream, less its URLs. */
export type SensorInfo = Omit<StreamInfo, 'sse' | 'ws'>;

export interface Sensor extends SensorInfo {
  /** The next reading. */
  next(): Reading;
}

/** mulberry32: a small seeded PRNG, plenty for noise. */
export class Rng {
  private s: number;
  private spare = NaN;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  /** Uniform in [0, 1). */
  uniform(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let x = this.s;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  }
  /** Standard normal (Box-Muller, the second value kept for the next call). */
  normal(): number {
    if (!Number.isNaN(this.spare)) {
      const z = this.spare;
      this.spare = NaN;
      return z;
    }
    const u = 1 - this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }
}

/** Hours since local midnight (fractional) of a simulated time. */
function hourOfDay(t: number): number {
  const d = new Date(t);
  return d.getHours() + d.getMinutes() / 60 + d.getSeconds() / 3600;
}

/** A bump of height 1 at `center` hours with width `sd` hours, wrapping around midnight. */
function dailyBump(hour: number, center: number, sd: number): number {
  let d = Math.abs(hour - center);
  d = Math.min(d, 24 - d);
  return Math.exp(-0.5 * (d / sd) ** 2);
}

const round = (x: number, digits: number) => Number(x.toFixed(digits));

/**
 * Outdoor air temperature: a daily cycle peaking mid-afternoon, a slow weather drift over days
 * (an Ornstein-Uhlenbeck process) and sensor noise.
 */
function temperature(start: number, seed: number): Sensor {
  const rng = new Rng(seed);
  let t = start;
  let drift = 0;
  const driftKeep = Math.exp(-SIM_STEP_MS / (2 * DAY_MS)); // weather changes over about 2 days
  const driftNoise = 2.5 * Math.sqrt(1 - driftKeep ** 2); // stationary sd 2.5 °C
  return {
    id: 'temperature',
    label: 'Outdoor temperature',
    short: 'Temperature',
    unit: '°C',
    description: 'A daily cycle and weather drifting over days.',
    transport: 'sse',
    origin: SIMULATED,
    next() {
      t += SIM_STEP_MS;
      drift = drift * driftKeep + driftNoise * rng.normal();
      const daily = 5.5 * Math.cos((2 * Math.PI * (hourOfDay(t) - 15)) / 24);
      return { t, value: round(14 + daily + drift + 0.12 * rng.normal(), 2) };
    },
  };
}

/**
 * Vibration of a pump (RMS velocity): a quiet floor, higher while the day shift runs it, and
 * bursts of a few simulated hours (cavitation) that rise fast and die away.
 */
function vibration(start: number, seed: number): Sensor {
  const rng = new Rng(seed);
  let t = start;
  let burst = 0; // current burst amplitude, decays
  let load = 0; // 0 = stopped, 1 = running; follows the shift with a lag
  return {
    id: 'vibration',
    label: 'Pump vibration',
    short: 'Vibration',
    unit: 'mm/s',
    description: 'Runs on the day shift; bursts of cavitation.',
    transport: 'ws',
    origin: SIMULATED,
    next() {
      t += SIM_STEP_MS;
      const h = hourOfDay(t);
      const running = h >= 6 && h < 22 ? 1 : 0;
      load += 0.25 * (running - load);
      if (rng.uniform() < 1 / 90) burst += 3 + 5 * rng.uniform(); // about one every 9 h
      burst *= 0.88;
      const level = 0.6 + 1.8 * load + burst;
      const noise = (0.08 + 0.06 * load + 0.15 * burst) * rng.normal();
      return { t, value: round(Math.max(0.05, level + noise), 3) };
    },
  };
}

/**
 * Electrical power of a production line: it switches between idle, normal and high output
 * (regime changes every several simulated hours, ramping over a few samples), with a small daily
 * swing and meter noise.
 */
function power(start: number, seed: number): Sensor {
  const rng = new Rng(seed);
  const regimes = [9, 34, 58]; // kW
  let t = start;
  let regime = 1;
  let level = regimes[regime];
  return {
    id: 'power',
    label: 'Line power',
    short: 'Power',
    unit: 'kW',
    description: 'Idle, normal or high output, switching every few hours.',
    transport: 'sse',
    origin: SIMULATED,
    next() {
      t += SIM_STEP_MS;
      if (rng.uniform() < 1 / 70) {
        const others = [0, 1, 2].filter((r) => r !== regime);
        regime = others[Math.floor(rng.uniform() * others.length)];
      }
      level += 0.35 * (regimes[regime] - level);
      const daily = 2.5 * Math.sin((2 * Math.PI * hourOfDay(t)) / 24);
      return { t, value: round(level + daily + 0.9 * rng.normal(), 2) };
    },
  };
}

/**
 * Water flow into a district: low at night, peaks in the morning and evening, multiplicative
 * noise, and now and then a one-sample spike (a meter glitch or a pressure surge).
 */
function flow(start: number, seed: number): Sensor {
  const rng = new Rng(seed);
  let t = start;
  return {
    id: 'flow',
    label: 'District water flow',
    short: 'Flow',
    unit: 'L/min',
    description: 'Morning and evening peaks, now and then a spike.',
    transport: 'ws',
    origin: SIMULATED,
    next() {
      t += SIM_STEP_MS;
      const h = hourOfDay(t);
      const demand =
        60 + 150 * dailyBump(h, 7.5, 1.4) + 110 * dailyBump(h, 19, 2) + 40 * dailyBump(h, 13, 3);
      let value = demand * (1 + 0.03 * rng.normal());
      if (rng.uniform() < 1 / 160) value *= rng.uniform() < 0.75 ? 1.6 + rng.uniform() : 0.3;
      return { t, value: round(value, 1) };
    },
  };
}

/**
 * The four simulated sensors, their clocks starting at `start` (ms). The same seed gives the same
 * series, so tests can pin them down.
 */
export function simulatedSensors(start: number, seed = 1): Sensor[] {
  return [
    temperature(start, seed * 101),
    vibration(start, seed * 211),
    power(start, seed * 307),
    flow(start, seed * 401),
  ];
}

/** Local midnight of the day of `now`: where the simulated clocks start. */
export function simulationStart(now = Date.now()): number {
  const d = new Date(now);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}
