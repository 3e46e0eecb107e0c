// Accuracy benchmark of the online forecaster (a report, not a test):
//
//   npm run bench:accuracy [-- --part dev|test|all] [-- --quick] [-- --series co2,syn-sine]
//     [-- --h 12] [-- --refit 12] [-- --ours '{"strategy":"recursive"}'] [-- --anomalies]
//     [-- --no-anomalies] [-- --no-hw] [-- --no-gru] [-- --print-split]
//     [-- --families [-- --family-seeds 20] [-- --family-shift 0]]
//
// --part: which part of the fixed dev/test split (bench/accuracy/data.ts) to run; dev by default,
// since designs are chosen on dev and test is only run to report. --series picks series by name
// (from all parts unless --part is given). --quick: the series marked quick, cut to 600 values,
// and a short anomaly section. --anomalies: only the anomaly section (bench/accuracy/anomalies.ts).
// --families: only ours, naive and Holt-Winters on seeded families of series, 20 fresh draws of
// each kind (bench/accuracy/families.ts); --family-shift draws other seeds.
//
// Prequential, test-then-train, one pass over each series: the first 20% (at least 50 values)
// is pushed as a burn-in; then at every time step t each method forecasts y[t+1..t+h] from
// y[0..t], and only then sees y[t+1]. Methods: our Forecaster (new Forecaster({ horizon: h,
// seed: 1 }), default budget: one training step per sample, synchronously in push(); told no
// season), the same with cell 'gru' ("ours-gru", unless --no-gru), the naive forecast (the last value), the seasonal naive forecast, Grafana's augurs
// (MSTL with an AutoETS trend model, or AutoETS alone without a season) refitted every --refit
// samples on all the data so far, and statsmodels' Holt-Winters ("hw", a Python subprocess
// working beside the rest: bench/accuracy/hw_peer.py) refitted periodically with its state
// updated at every sample. The baselines are given each series' known seasons.
//
// Scoring, on the origins where our forecaster is ready, the same origins for every method:
//   - MASE per horizon step k: the mean |forecast - actual| at step k, divided by the in-sample
//     MAE of the one-step naive forecast over the burn-in (the plain naive scale for every
//     series, also the seasonal ones). "avg" is the mean of MASE over k = 1..h; "rel" is a
//     method's MASE avg over seasonal naive's.
//   - coverage: the share of (origin, step) pairs inside the 80% interval, pooled over steps and
//     per step.
//   - wall time of every push() and forecast() call, burn-in included, as samples per second.
//
// Exit status: 0 whatever the targets say (they are printed as PASS/FAIL); 1 on a crash.

import { runAnomalies } from './accuracy/anomalies';
import { runFamilies } from './accuracy/families';
import { allSeries, drawSplit, realSeries, type Part, type SplitSeries } from './accuracy/data';
import {
  maseScale,
  recordingOf,
  runPrequential,
  score,
  type Recording,
  type Score,
} from './accuracy/evaluate';
import { Augurs, Naive, SeasonalNaive } from './accuracy/methods';
import { Ours } from './accuracy/ours';
import { startHoltWinters, statsmodelsVersion, type PeerResult } from './accuracy/python-peer';
import { METHODS, printAccuracy, type MethodName, type SeriesResult } from './accuracy/report';
import { syntheticSeries } from './accuracy/synthetic';
import type { ForecasterOptions } from '../worker/engine';
import { numArg, parseArgs, runMain, strArg } from './common';

const BURN_IN = 0.2;
const MIN_BURN_IN = 50;
const SEED = 1;
const COVERAGE = 0.8;
const QUICK_LENGTH = 600; // --quick: the quick series, cut to this many values

function log(msg: string): void {
  process.stderr.write(msg + '\n');
}

export function burnInOf(n: number): number {
  return Math.max(MIN_BURN_IN, Math.floor(BURN_IN * n));
}

/** Distinct consecutive values: "12", "11->12"; 0 is no season. */
function describeSeasons(values: ArrayLike<number>, from = 0): string {
  const seq: number[] = [];
  for (let i = from; i < values.length; i++) {
    const v = values[i];
    if (Number.isNaN(v)) continue;
    if (seq.length === 0 || seq[seq.length - 1] !== v) seq.push(v);
  }
  if (seq.length === 0) return '?';
  const shown = seq.length > 4 ? [...seq.slice(0, 2), '...', ...seq.slice(-1)] : seq;
  return shown.map(String).join('->');
}

function evaluateSeries(
  s: SplitSeries,
  h: number,
  refit: number,
  idx: string,
  oursOptions: ForecasterOptions,
  gru: boolean,
): Omit<SeriesResult, 'scores' | 'recs'> & { recs: Partial<Record<MethodName, Recording>> } {
  const y = s.values;
  const n = y.length;
  const burnIn = burnInOf(n);
  let scale = maseScale(y, burnIn);
  let scaleNote = '';
  if (!(scale > 0)) {
    // a constant burn-in (all zeros, say): the one-step naive MAE over the whole series instead
    scale = maseScale(y, n);
    scaleNote = 'scale over the whole series (constant burn-in)';
  }
  const progress = (m: string) => (o: number) => {
    if (o > 0 && o % 500 === 0) log(`${idx} ${s.name}: ${m} ${o}/${n - burnIn}`);
  };
  const ours = new Ours(h, SEED, oursOptions);
  const primary = s.periods[0] ?? 0;
  const recs: Partial<Record<MethodName, Recording>> = {};
  // ours with the other cell too (the default is the LSTM), unless --no-gru or --ours names one
  const cells = gru ? (['ours', 'ours-gru'] as const) : (['ours'] as const);
  for (const m of [...cells, 'naive', 'snaive', 'augurs'] as const) {
    const method =
      m === 'ours'
        ? ours
        : m === 'ours-gru'
          ? new Ours(h, SEED, { ...oursOptions, cell: 'gru' })
          : m === 'naive'
            ? new Naive(h)
            : m === 'snaive'
              ? new SeasonalNaive(h, primary)
              : new Augurs(h, s.periods, refit, COVERAGE);
    const rec = runPrequential(method, y, burnIn, h, progress(m));
    log(`${idx} ${s.name}: ${m} done in ${(rec.ms / 1000).toFixed(2)} s ${rec.note}`);
    recs[m] = rec;
  }
  const o = recs.ours as Recording;
  const mask = o.ready;
  // How often ours served something else than the last value.
  let differ = 0;
  let pairs = 0;
  for (let i = 0; i < o.origins; i++) {
    if (!mask[i]) continue;
    const t = burnIn - 1 + i;
    for (let k = 1; k <= h && t + k < n; k++) {
      pairs++;
      if (o.mean[i * h + k - 1] !== y[t]) differ++;
    }
  }
  const first = mask.indexOf(1);
  const stats = ours.f.stats();
  return {
    series: s,
    n,
    burnIn,
    h,
    scale,
    scaleNote,
    seasons: s.periods.join('+') || '-',
    seasonal: s.periods.length > 0,
    oursSeasons: describeSeasons(o.inspected, first < 0 ? o.origins : first),
    scored: mask.reduce((a, b) => a + b, 0),
    recs,
    notNaive: pairs > 0 ? differ / pairs : NaN,
    trainSteps: stats.trainSteps,
  };
}

function pickSeries(quick: boolean, only: string, part: Part | 'all'): SplitSeries[] {
  let all = allSeries();
  if (only) {
    const names = only.split(',').map((x) => x.trim());
    for (const nm of names) {
      if (!all.some((s) => s.name === nm)) {
        throw new Error(
          `--series: no series ${nm}; there are ${all.map((s) => s.name).join(', ')}`,
        );
      }
    }
    all = all.filter((s) => names.includes(s.name));
  }
  if (part !== 'all') all = all.filter((s) => s.part === part);
  if (quick) {
    all = all
      .filter((s) => s.quick)
      .map((s) => ({ ...s, values: s.values.slice(0, QUICK_LENGTH) }));
  }
  return all;
}

async function runAccuracy(
  series: SplitSeries[],
  part: string,
  h: number,
  refit: number,
  quick: boolean,
  noHw: boolean,
  oursOptions: ForecasterOptions,
  gru: boolean,
): Promise<void> {
  const t0 = performance.now();
  console.log(
    `Accuracy benchmark (part: ${part}${quick ? `, --quick: ${QUICK_LENGTH} values per series` : ''}): ` +
      `prequential (test-then-train), burn-in ${BURN_IN * 100}% of each series (at least ${MIN_BURN_IN}), ` +
      `h = ${h}, ours = Forecaster(${JSON.stringify({ ...oursOptions, horizon: h, seed: SEED })}) with the default budget, ` +
      `augurs refitted every ${refit} samples, hw refitted every max(${refit}, 10% of the history, one season) samples with its state updated at every sample`,
  );
  console.log(`node ${process.version}, ${process.platform}/${process.arch}`);

  // The Python peer starts first and works beside the rest.
  const hw = noHw
    ? ({ ok: false, reason: '--no-hw' } as const)
    : startHoltWinters(
        series.map((s) => ({
          name: s.name,
          values: s.values,
          period: s.periods[0] ?? 0,
          burnIn: burnInOf(s.values.length),
        })),
        h,
        refit,
      );
  if (hw.ok) console.log(`hw: statsmodels ${statsmodelsVersion()} ExponentialSmoothing`);
  else console.log(`hw: skipped: ${hw.reason}`);
  console.log('');

  const partial = series.map((s, i) =>
    evaluateSeries(s, h, refit, `[${i + 1}/${series.length}]`, oursOptions, gru),
  );
  let hwResults: Map<string, PeerResult> | null = null;
  if (hw.ok) {
    log('waiting for the hw peer ...');
    hwResults = await hw.results;
  }
  const results: SeriesResult[] = partial.map((r) => {
    const recs = { ...r.recs };
    if (hwResults) {
      const p = hwResults.get(r.series.name) as PeerResult;
      recs.hw = recordingOf('hw', p.mean, r.n - r.burnIn, h, p.ms, p.note);
    }
    const mask = (recs.ours as Recording).ready;
    const scores: Partial<Record<MethodName, Score>> = {};
    for (const m of METHODS) {
      const rec = recs[m];
      if (rec) scores[m] = score(rec, r.series.values, r.burnIn, r.scale, mask);
    }
    return { ...r, recs, scores };
  });
  printAccuracy(results, {
    h,
    coverage: COVERAGE,
    hw: hw.ok,
    wallSeconds: (performance.now() - t0) / 1000,
  });
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args['print-split'] === true) {
    const all = [...realSeries(), ...syntheticSeries()];
    const split = drawSplit(all);
    for (const s of all) console.log(`  '${s.name}': '${split[s.name]}', // ${s.kind}`);
    return;
  }
  const quick = args.quick === true;
  const h = numArg(args, 'h', 12);
  const refit = numArg(args, 'refit', 12);
  const only = strArg(args, 'series', '');
  const part = strArg(args, 'part', only ? 'all' : 'dev');
  if (part !== 'dev' && part !== 'test' && part !== 'all') {
    throw new Error(`--part: dev, test or all, not ${part}`);
  }
  const oursOptions = JSON.parse(strArg(args, 'ours', '{}')) as ForecasterOptions;
  const t0 = performance.now();
  if (args.families === true) {
    const seeds = numArg(args, 'family-seeds', 20);
    const shift = numArg(args, 'family-shift', 0);
    await runFamilies({ h, refit, seeds, shift, noHw: args['no-hw'] === true, oursOptions });
  } else if (args.anomalies !== true) {
    const series = pickSeries(quick, only, part);
    if (series.length === 0) throw new Error('no series selected');
    // the GRU beside the LSTM, unless --no-gru or --ours chose a cell
    const gru = args['no-gru'] !== true && oursOptions.cell === undefined;
    await runAccuracy(series, part, h, refit, quick, args['no-hw'] === true, oursOptions, gru);
  }
  if (args['no-anomalies'] !== true && args.families !== true) {
    if (args.anomalies !== true) console.log('');
    runAnomalies({ quick, oursOptions, seed: SEED });
  }
  console.log('');
  console.log(`total wall time ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

runMain(main);
