// The accuracy benchmark's series: real ones read from the data files of the npm package
// vega-datasets (in node_modules; nothing is downloaded) and synthetic sensor streams drawn
// from a seeded PRNG.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Prng } from '../../worker/core';

export interface Series {
  name: string;
  /** One line for the table of series. */
  description: string;
  /** Where the values come from (file and column, or "synthetic"). */
  source: string;
  values: Float64Array;
  /** The known season length for synthetic series (0 = none); undefined: detect it. */
  period?: number;
  /** Part of the short set used by --quick. */
  quick?: boolean;
}

/** Longest series kept (the most recent points of a longer one), for run time. */
export const MAX_LENGTH = 2000;

function dataDir(): string {
  // The package exports only its JS entry (build/index.js); the data files sit next to build/.
  const entry = createRequire(import.meta.url).resolve('vega-datasets');
  return path.join(path.dirname(entry), '..', 'data');
}

function readText(file: string): string {
  return readFileSync(path.join(dataDir(), file), 'utf8');
}

/** A minimal CSV reader: the files used here have no quoted fields. */
function readCsv(file: string, sep = ','): Record<string, string>[] {
  const lines = readText(file)
    .split(/\r?\n/)
    .filter((l) => l.length > 0);
  const head = lines[0].split(sep);
  return lines.slice(1).map((line) => {
    const cells = line.split(sep);
    const row: Record<string, string> = {};
    head.forEach((h, i) => (row[h] = cells[i]));
    return row;
  });
}

/** Checks the values and keeps at most MAX_LENGTH of them, the last ones or the first ones. */
function toValues(xs: readonly number[], file: string, keep: 'first' | 'last' = 'last') {
  for (const x of xs) if (!Number.isFinite(x)) throw new Error(`${file}: a value is not a number`);
  if (xs.length <= MAX_LENGTH) return Float64Array.from(xs);
  return Float64Array.from(
    keep === 'last' ? xs.slice(xs.length - MAX_LENGTH) : xs.slice(0, MAX_LENGTH),
  );
}

function column(
  file: string,
  col: string,
  filter?: (r: Record<string, string>) => boolean,
  keep: 'first' | 'last' = 'last',
): Float64Array {
  const rows = readCsv(file).filter((r) => (filter ? filter(r) : true));
  return toValues(
    rows.map((r) => Number(r[col])),
    file,
    keep,
  );
}

/** Hourly event counts: github.csv lists only the hours with events; a missing hour is 0. */
function hourlyCounts(file: string, first: number): Float64Array {
  const rows = readCsv(file);
  const hour = (s: string) => Math.round(Date.parse(s.replace(/\//g, '-') + 'Z') / 3.6e6);
  const t0 = hour(rows[0].time);
  const n = hour(rows[rows.length - 1].time) - t0 + 1;
  const out = new Float64Array(Math.min(n, first));
  for (const r of rows) {
    const i = hour(r.time) - t0;
    if (i < out.length) out[i] += Number(r.count);
  }
  return out;
}

function unemployment(series: string): Float64Array {
  const file = 'unemployment-across-industries.json';
  const rows = JSON.parse(readText(file)) as { series: string; date: string; rate: number }[];
  const xs = rows
    .filter((r) => r.series === series)
    .sort((a, b) => Date.parse(a.date) - Date.parse(b.date))
    .map((r) => r.rate);
  return toValues(xs, file);
}

export function realSeries(): Series[] {
  return [
    {
      name: 'co2',
      description: 'Mauna Loa CO2, monthly 1958-2020: strong trend plus a yearly season',
      source: 'co2-concentration.csv, CO2',
      values: column('co2-concentration.csv', 'CO2'),
    },
    {
      name: 'seattle-tmax',
      description: 'Seattle daily maximum temperature 2012-2015: noisy, yearly season',
      source: 'seattle-weather.csv, temp_max',
      values: column('seattle-weather.csv', 'temp_max'),
      quick: true,
    },
    {
      name: 'seattle-hourly',
      description: 'Seattle hourly temperature normals, Jan-Mar: smooth daily cycle',
      source: 'seattle-weather-hourly-normals.csv, temperature (first 2000 h)',
      values: column('seattle-weather-hourly-normals.csv', 'temperature', undefined, 'first'),
    },
    {
      name: 'github-hourly',
      description: 'GitHub events per hour, 2015: intermittent counts, daily cycle',
      source: 'github.csv, count per hour (missing hours = 0; first 2000 h)',
      values: hourlyCounts('github.csv', MAX_LENGTH),
    },
    {
      name: 'sp500-daily',
      description: 'S&P 500 daily close, 2012-05 to 2020-04: random walk, ends in a crash',
      source: 'sp500-2000.csv, close (last 2000)',
      values: column('sp500-2000.csv', 'close'),
    },
    {
      name: 'sp500-monthly',
      description: 'S&P 500 monthly, 2000-2010: short random walk with crashes',
      source: 'sp500.csv, price',
      values: column('sp500.csv', 'price'),
    },
    {
      name: 'stock-AAPL',
      description: 'Apple monthly price 2000-2010: short, exponential growth',
      source: 'stocks.csv, price where symbol = AAPL',
      values: column('stocks.csv', 'price', (r) => r.symbol === 'AAPL'),
      quick: true,
    },
    {
      name: 'stock-MSFT',
      description: 'Microsoft monthly price 2000-2010: short, flat random walk',
      source: 'stocks.csv, price where symbol = MSFT',
      values: column('stocks.csv', 'price', (r) => r.symbol === 'MSFT'),
    },
    {
      name: 'unemp-construction',
      description: 'US construction unemployment rate, monthly 2000-2010: season, 2008 jump',
      source: 'unemployment-across-industries.json, rate where series = Construction',
      values: unemployment('Construction'),
    },
    {
      name: 'us-nonfarm',
      description: 'US nonfarm employment, monthly 2006-2015: smooth trend, 2008 dip',
      source: 'us-employment.csv, nonfarm',
      values: column('us-employment.csv', 'nonfarm'),
    },
    {
      name: 'global-temp',
      description: 'Global temperature anomaly, yearly 1880-2023: noisy upward trend',
      source: 'global-temp.csv, temp',
      values: column('global-temp.csv', 'temp'),
    },
  ];
}

/** Synthetic sensor streams, the same numbers on every run (seeded). */
export function syntheticSeries(seed = 20240601): Series[] {
  const rng = new Prng(seed);

  // (a) A daily cycle of period 24 with noise; the level shifts up at 60%; from 80% on the
  // cycle has period 12.
  const n1 = 2000;
  const a = new Float64Array(n1);
  let phase = 0;
  for (let i = 0; i < n1; i++) {
    const period = i < 0.8 * n1 ? 24 : 12;
    phase += (2 * Math.PI) / period;
    const level = i < 0.6 * n1 ? 20 : 26;
    a[i] = level + 3 * Math.sin(phase) + Math.sin(2 * phase + 1) + 0.5 * rng.normal();
  }

  // (b) A drifting random walk with occasional one-sample spikes (about 1% of samples).
  const n2 = 2000;
  const b = new Float64Array(n2);
  let walk = 50;
  for (let i = 0; i < n2; i++) {
    walk += 0.02 + 0.3 * rng.normal();
    const spike = rng.next() < 0.01 ? (rng.next() < 0.5 ? -1 : 1) * rng.uniform(4, 8) : 0;
    b[i] = walk + spike;
  }

  // (c) A clean sine of period 50.
  const n3 = 1000;
  const c = new Float64Array(n3);
  for (let i = 0; i < n3; i++) c[i] = 10 * Math.sin((2 * Math.PI * i) / 50);

  // (d) A constant with white noise: the naive forecast is bad here, the mean is best.
  const n4 = 1000;
  const d = new Float64Array(n4);
  for (let i = 0; i < n4; i++) d[i] = 5 + rng.normal();

  return [
    {
      name: 'syn-season-shift',
      description: 'period 24 + noise; level +6 at 60%; period 24 -> 12 at 80%',
      source: 'synthetic',
      values: a,
      period: 24,
      quick: true,
    },
    {
      name: 'syn-drift-spikes',
      description: 'random walk with drift, ~1% one-sample spikes of 4-8',
      source: 'synthetic',
      values: b,
      period: 0,
    },
    {
      name: 'syn-sine',
      description: 'clean sine, period 50, amplitude 10',
      source: 'synthetic',
      values: c,
      period: 50,
    },
    {
      name: 'syn-noise',
      description: 'constant 5 plus N(0, 1) noise',
      source: 'synthetic',
      values: d,
      period: 0,
    },
  ];
}
