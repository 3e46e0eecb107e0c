// Seeded synthetic series for the accuracy benchmark, one family per character a dashboard
// meets: multiplicative seasonality with trend, short series, two seasons, level shifts and
// changes of period, spikes, random walks, counts with zeros, a fast sensor with a daily cycle.
// The same numbers on every run (each family has its own seed, so adding one moves no other).

import type { Series } from './data';
import { Rng } from './rng';

const TAU = 2 * Math.PI;

type Syn = Omit<Series, 'source'>;

/** Multiplicative season on an exponential or linear trend, multiplicative noise. */
function multTrend(
  seed: number,
  n: number,
  m: number,
  growth: number,
  linear: number,
  amp: number,
  noise: number,
): Float64Array {
  const r = new Rng(seed);
  const phase = r.uniform(0, TAU);
  const y = new Float64Array(n);
  for (let t = 0; t < n; t++) {
    const level = 100 * Math.exp(growth * t) + linear * t;
    const s = 1 + amp * Math.sin((TAU * t) / m + phase) + 0.3 * amp * Math.sin((2 * TAU * t) / m);
    y[t] = level * s * (1 + noise * r.normal());
  }
  return y;
}

/** A seasonal pattern (two harmonics) plus AR(1) noise and a linear trend, additive. */
function additiveSeasonal(
  seed: number,
  n: number,
  m: number,
  amp: number,
  trend: number,
  noise: number,
  ar = 0.5,
): Float64Array {
  const r = new Rng(seed);
  const phase = r.uniform(0, TAU);
  const y = new Float64Array(n);
  let e = 0;
  for (let t = 0; t < n; t++) {
    e = ar * e + noise * r.normal();
    y[t] =
      50 +
      trend * t +
      amp * Math.sin((TAU * t) / m + phase) +
      0.4 * amp * Math.cos((2 * TAU * t) / m) +
      e;
  }
  return y;
}

/** Hourly data with a daily (24) and a weekly (168) cycle: quiet nights, quieter weekends. */
function twoSeasons(seed: number, n: number, base: number, trend: number): Float64Array {
  const r = new Rng(seed);
  const y = new Float64Array(n);
  let e = 0;
  for (let t = 0; t < n; t++) {
    const hour = t % 24;
    const day = Math.floor(t / 24) % 7;
    const daily = Math.max(0, Math.sin((TAU * (hour - 6)) / 24)) ** 1.5; // 0 at night, 1 at noon
    const weekend = day >= 5 ? 0.45 : 1;
    e = 0.6 * e + r.normal();
    y[t] = base + trend * t + 40 * daily * weekend + 4 * weekend + 2.5 * e;
  }
  return y;
}

function randomWalk(seed: number, n: number, drift: number, sd: number, start = 100): Float64Array {
  const r = new Rng(seed);
  const y = new Float64Array(n);
  let x = start;
  for (let t = 0; t < n; t++) {
    x += drift + sd * r.normal();
    y[t] = x;
  }
  return y;
}

export function syntheticSeries(): Series[] {
  const out: Syn[] = [];

  // multiplicative seasonality with trend (the kind the engine served naive on)
  out.push(
    {
      name: 'syn-mult-monthly-exp',
      description: 'monthly, exponential growth 1%/month, multiplicative season ±25%, 3% noise',
      kind: 'syn-mult',
      values: multTrend(101, 144, 12, 0.01, 0, 0.25, 0.03),
      periods: [12],
      quick: true,
    },
    {
      name: 'syn-mult-monthly-lin',
      description: 'monthly, linear trend, multiplicative season ±30%, 4% noise',
      kind: 'syn-mult',
      values: multTrend(102, 240, 12, 0, 0.8, 0.3, 0.04),
      periods: [12],
    },
    {
      name: 'syn-mult-quarterly',
      description: 'quarterly, exponential growth 2%/quarter, multiplicative season ±20%',
      kind: 'syn-mult',
      values: multTrend(103, 120, 4, 0.02, 0, 0.2, 0.03),
      periods: [4],
    },
  );

  // short series, 60 to 150 points
  out.push(
    {
      name: 'syn-short-72',
      description: '72 months: additive season and a trend, AR(1) noise',
      kind: 'syn-short',
      values: additiveSeasonal(201, 72, 12, 8, 0.2, 1.5),
      periods: [12],
    },
    {
      name: 'syn-short-rw-100',
      description: '100 points: a random walk',
      kind: 'syn-short',
      values: randomWalk(202, 100, 0, 1),
      periods: [],
    },
    {
      name: 'syn-short-mult-150',
      description: '150 months: multiplicative season ±35% on a rising level, 5% noise',
      kind: 'syn-short',
      values: multTrend(203, 150, 12, 0.006, 0, 0.35, 0.05),
      periods: [12],
    },
    {
      name: 'syn-short-trend-60',
      description: '60 points: a damped upward trend with noise, no season',
      kind: 'syn-short',
      values: (() => {
        const r = new Rng(204);
        return Float64Array.from(
          { length: 60 },
          (_, t) => 20 + 30 * (1 - Math.exp(-t / 40)) + r.normal(),
        );
      })(),
      periods: [],
    },
  );

  // two seasons: hourly, daily and weekly cycle
  out.push(
    {
      name: 'syn-two-season',
      description: 'hourly, 12 weeks: daily (24) and weekly (168) cycle, AR(1) noise',
      kind: 'syn-two-season',
      values: twoSeasons(301, 2000, 20, 0),
      periods: [24, 168],
      quick: true,
    },
    {
      name: 'syn-two-season-trend',
      description: 'hourly, 10 weeks: daily and weekly cycle on a slow upward trend',
      kind: 'syn-two-season',
      values: twoSeasons(302, 1680, 60, 0.01),
      periods: [24, 168],
    },
  );

  // level shifts and changes of period
  {
    const r = new Rng(401);
    const n = 2000;
    const y = new Float64Array(n);
    let phase = 0;
    for (let i = 0; i < n; i++) {
      const period = i < 0.8 * n ? 24 : 12;
      phase += TAU / period;
      const level = i < 0.6 * n ? 20 : 26;
      y[i] = level + 3 * Math.sin(phase) + Math.sin(2 * phase + 1) + 0.5 * r.normal();
    }
    out.push({
      name: 'syn-season-shift',
      description: 'period 24 + noise; level +6 at 60%; period 24 -> 12 at 80%',
      kind: 'syn-shift',
      values: y,
      periods: [24],
      quick: true,
    });
  }
  {
    const r = new Rng(402);
    const n = 1800;
    const shifts = [500, 950, 1400];
    const steps = [8, -12, 6];
    const y = new Float64Array(n);
    let level = 100;
    for (let i = 0; i < n; i++) {
      const j = shifts.indexOf(i);
      if (j >= 0) level += steps[j];
      y[i] = level + 5 * Math.sin((TAU * i) / 48) + r.normal();
    }
    out.push({
      name: 'syn-level-shifts',
      description: 'period 48 + noise; level shifts of +8, -12, +6 at 500, 950, 1400',
      kind: 'syn-shift',
      values: y,
      periods: [48],
    });
  }
  {
    const r = new Rng(403);
    const n = 1500;
    const y = new Float64Array(n);
    let phase = 0;
    for (let i = 0; i < n; i++) {
      phase += TAU / (i < n / 2 ? 30 : 45);
      y[i] = 10 + 4 * Math.sin(phase) + 0.6 * r.normal();
    }
    out.push({
      name: 'syn-period-change',
      description: 'a cycle of 30 that becomes 45 at half-way, noise sd 0.6',
      kind: 'syn-shift',
      values: y,
      periods: [30],
    });
  }

  // spikes
  {
    const r = new Rng(501);
    const n = 2000;
    const y = new Float64Array(n);
    let walk = 50;
    for (let i = 0; i < n; i++) {
      walk += 0.02 + 0.3 * r.normal();
      const spike = r.next() < 0.01 ? (r.next() < 0.5 ? -1 : 1) * r.uniform(4, 8) : 0;
      y[i] = walk + spike;
    }
    out.push({
      name: 'syn-drift-spikes',
      description: 'random walk with drift, ~1% one-sample spikes of 4-8',
      kind: 'syn-spikes',
      values: y,
      periods: [],
    });
  }
  {
    const r = new Rng(502);
    const n = 2000;
    const base = additiveSeasonal(503, n, 48, 6, 0, 0.8);
    const y = base.map((v) => (r.next() < 0.02 ? v + r.uniform(8, 20) : v));
    out.push({
      name: 'syn-seasonal-spikes',
      description: 'half-hourly daily cycle (48) + AR noise, 2% upward spikes of 8-20',
      kind: 'syn-spikes',
      values: y,
      periods: [48],
    });
  }

  // random walks
  out.push(
    {
      name: 'syn-random-walk',
      description: 'a random walk, sd 1 per step, 1000 points',
      kind: 'syn-walk',
      values: randomWalk(601, 1000, 0, 1),
      periods: [],
    },
    {
      name: 'syn-random-walk-drift',
      description: 'a random walk with drift 0.1 (sd 1), 500 points',
      kind: 'syn-walk',
      values: randomWalk(602, 500, 0.1, 1),
      periods: [],
    },
  );

  // counts with zeros
  {
    const r = new Rng(701);
    const n = 1500;
    const y = new Float64Array(n);
    for (let t = 0; t < n; t++) {
      const rate = 0.15 + 2.5 * Math.max(0, Math.sin((TAU * ((t % 24) - 7)) / 24)) ** 2;
      y[t] = r.poisson(rate);
    }
    out.push({
      name: 'syn-counts-daily',
      description: 'hourly Poisson counts, rate 0.15 at night to 2.65 at noon: many zeros',
      kind: 'syn-counts',
      values: y,
      periods: [24],
    });
  }
  {
    const r = new Rng(702);
    const n = 500;
    const y = new Float64Array(n);
    for (let t = 0; t < n; t++) y[t] = r.next() < 0.25 ? 1 + r.poisson(3) : 0;
    out.push({
      name: 'syn-counts-intermittent',
      description: 'intermittent demand: 75% zeros, else 1 + Poisson(3)',
      kind: 'syn-counts',
      values: y,
      periods: [],
    });
  }

  // A sensor sampled every 10 s with a daily cycle: 8,640 samples a day is longer than any
  // buffer here, so the stream is generated at 10 s (a daily cycle, a slow drift and AR(1)
  // noise at 10 s) and then subsampled every 30th reading, one per 5 minutes: a daily cycle
  // of 288 samples, 2,016 samples = 7 days.
  {
    const r = new Rng(801);
    const perDay = 8640;
    const every = 30;
    const n = 7 * perDay;
    const y: number[] = [];
    let e = 0;
    for (let t = 0; t < n; t++) {
      e = 0.995 * e + 0.05 * r.normal();
      if (t % every !== 0) continue;
      const day = (TAU * t) / perDay;
      y.push(21 + 3 * Math.sin(day - 2) + 0.8 * Math.sin(2 * day) + 0.0001 * (t / every) + e);
    }
    out.push({
      name: 'syn-sensor-10s',
      description: 'a 10-s sensor with a daily cycle, subsampled to 5 min: season 288, 7 days',
      kind: 'syn-sensor',
      values: Float64Array.from(y),
      periods: [288],
    });
  }
  out.push({
    name: 'syn-sensor-48',
    description: 'a half-hourly sensor: daily cycle (48), AR(1) noise, slow drift',
    kind: 'syn-sensor',
    values: additiveSeasonal(802, 1500, 48, 4, 0.002, 0.5, 0.8),
    periods: [48],
  });

  // clean signals
  out.push(
    {
      name: 'syn-sine',
      description: 'clean sine, period 50, amplitude 10',
      kind: 'syn-clean',
      values: Float64Array.from({ length: 1000 }, (_, i) => 10 * Math.sin((TAU * i) / 50)),
      periods: [50],
    },
    {
      name: 'syn-noise',
      description: 'constant 5 plus N(0, 1) noise',
      kind: 'syn-clean',
      values: (() => {
        const r = new Rng(902);
        return Float64Array.from({ length: 1000 }, () => 5 + r.normal());
      })(),
      periods: [],
    },
  );

  return out.map((s) => ({ ...s, source: 'synthetic' }));
}
