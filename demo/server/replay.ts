// Real series to replay instead of the simulator, read from the npm package vega-datasets (a
// devDependency), so the demo fetches nothing from the internet. Each replay plays its rows in
// order with their own timestamps and starts again at the end, shifted in time so that time
// keeps increasing.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Reading, Sensor } from './simulate';

export interface ReplaySpec {
  id: string;
  label: string;
  short: string;
  unit: string;
  description: string;
  /** A CSV file in vega-datasets/data/. */
  file: string;
  /** Column with the time: an ISO 8601 date or date-time (read as UTC). */
  timeColumn: string;
  valueColumn: string;
}

export const REPLAYS: readonly ReplaySpec[] = [
  {
    id: 'seattle-temperature',
    label: 'Seattle temperature',
    short: 'Temperature',
    unit: '°C',
    description: 'Hourly normals, 2010: a daily cycle over a yearly one.',
    file: 'seattle-weather-hourly-normals.csv',
    timeColumn: 'date',
    valueColumn: 'temperature',
  },
  {
    id: 'seattle-pressure',
    label: 'Seattle air pressure',
    short: 'Pressure',
    unit: 'hPa',
    description: 'Hourly normals, 2010: swings with weather systems.',
    file: 'seattle-weather-hourly-normals.csv',
    timeColumn: 'date',
    valueColumn: 'pressure',
  },
  {
    id: 'co2',
    label: 'CO₂ at Mauna Loa',
    short: 'CO₂',
    unit: 'ppm',
    description: 'Monthly since 1958: a rising trend, a yearly cycle.',
    file: 'co2-concentration.csv',
    timeColumn: 'Date',
    valueColumn: 'CO2',
  },
  {
    id: 'sp500',
    label: 'S&P 500 close',
    short: 'S&P 500',
    unit: 'USD',
    description: 'Trading days 2000–2020: close to a random walk.',
    file: 'sp500-2000.csv',
    timeColumn: 'date',
    valueColumn: 'close',
  },
];

/** The folder of vega-datasets' data files. */
export function datasetsDir(): string {
  // The package exports only its JS entry (build/index.js); the data sits beside build/.
  const entry = createRequire(import.meta.url).resolve('vega-datasets');
  return join(dirname(entry), '..', 'data');
}

/** A time as the CSV writes it, read as UTC: "2010-01-01" or "2010-01-01T01:00:00". */
function parseTime(text: string): number {
  const iso = /T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(text) ? `${text}Z` : text;
  return Date.parse(iso);
}

/** Reads a replay's rows: finite values at strictly increasing times, in time order. */
export function readReplay(spec: ReplaySpec, dir = datasetsDir()): Reading[] {
  const text = readFileSync(join(dir, spec.file), 'utf8');
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = lines[0].split(',').map((h) => h.trim());
  const ti = header.indexOf(spec.timeColumn);
  const vi = header.indexOf(spec.valueColumn);
  if (ti < 0 || vi < 0) {
    throw new Error(`${spec.file} has no column "${ti < 0 ? spec.timeColumn : spec.valueColumn}"`);
  }
  const rows: Reading[] = [];
  for (const line of lines.slice(1)) {
    const cells = line.split(',');
    const t = parseTime(cells[ti]?.trim() ?? '');
    const value = Number(cells[vi]);
    if (!Number.isFinite(t) || !Number.isFinite(value) || cells[vi].trim() === '') continue;
    if (rows.length > 0 && t <= rows[rows.length - 1].t) continue;
    rows.push({ t, value });
  }
  if (rows.length < 2) throw new Error(`${spec.file}: fewer than 2 usable rows`);
  return rows;
}

/** A replay as a stream: its rows in order, then again from the start, one period later. */
export function replaySensor(spec: ReplaySpec, rows = readReplay(spec)): Sensor {
  const first = rows[0].t;
  const last = rows[rows.length - 1].t;
  // One loop is the span plus the median spacing, so the seam looks like any other step.
  const gaps = rows
    .slice(1)
    .map((r, i) => r.t - rows[i].t)
    .sort((a, b) => a - b);
  const period = last - first + gaps[gaps.length >> 1];
  let i = 0;
  let loop = 0;
  return {
    id: spec.id,
    label: spec.label,
    short: spec.short,
    unit: spec.unit,
    description: spec.description,
    transport: 'sse',
    origin: `vega-datasets/data/${spec.file}`,
    next() {
      const r = rows[i];
      const reading = { t: r.t + loop * period, value: r.value };
      if (++i === rows.length) {
        i = 0;
        loop++;
      }
      return reading;
    },
  };
}
