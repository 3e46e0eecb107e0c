// Accuracy benchmark of the online forecaster (a report, not a test):
//
//   npm run bench:accuracy [-- --quick] [-- --series co2,syn-sine] [-- --h 12] [-- --refit 12]
//   [-- --ours '{"strategy":"recursive"}']  (options for our Forecaster, to compare settings)
//
// Prequential, test-then-train, one pass over each series: the first 20% is pushed as a
// burn-in; then at every time step t each method forecasts y[t+1..t+h] from y[0..t], and only
// then sees y[t+1]. Methods: our Forecaster (new Forecaster({ horizon: h, seed: 1 }), default
// budget: one training step per sample, synchronously in push()), the naive forecast (the last
// value), the seasonal naive forecast, and Grafana's augurs (MSTL with an AutoETS trend model,
// or AutoETS alone without a season) refitted every --refit samples on all the data so far.
//
// Scoring, on the origins where our forecaster is ready (it warms up for window + h samples),
// the same origins for every method:
//   - MASE per horizon step k: the mean |forecast - actual| at step k, divided by the in-sample
//     MAE of the one-step naive forecast over the burn-in (the plain naive scale for every
//     series, also the seasonal ones). "avg" is the mean of MASE over k = 1..h.
//   - coverage: the share of (origin, step) pairs inside the 80% interval, pooled over steps,
//     and at step 1.
//   - wall time of every push() and forecast() call, burn-in included.
// The season of the baselines: the known period for the synthetic series; for the real ones,
// detected online by the autocorrelation of the first differences of all the values seen so
// far, re-detected every --refit samples (bench/accuracy/methods.ts, seasonSchedule).
//
// Exit status: 0 whatever the targets say (they are printed as PASS/FAIL); 1 on a crash.

import { realSeries, syntheticSeries, type Series } from './accuracy/data';
import {
  geomean,
  MASE_FLOOR,
  ratio,
  maseScale,
  runPrequential,
  score,
  type Recording,
  type Score,
} from './accuracy/evaluate';
import { Augurs, Naive, SeasonalNaive, seasonSchedule, type SeasonAt } from './accuracy/methods';
import { Ours } from './accuracy/ours';
import type { ForecasterOptions } from '../worker/engine';
import { numArg, parseArgs, runMain, strArg } from './common';

const BURN_IN = 0.2;
const SEED = 1;
const COVERAGE = 0.8;
const QUICK_LENGTH = 600;
const EXACT = 0.01; // a baseline with MASE avg below this is "exact" on the series // --quick: the quick series, cut to this many values

const TARGETS = {
  perSeriesVsNaive: 1.02, // ours/naive, MASE averaged over horizons, on every series
  geoVsNaive: 1.0, // geometric mean over all series: ours below naive
  geoVsAugurs: 0.95, // geometric mean over the seasonal series: "clearly below" augurs
  coverageTol: 0.03, // 80% intervals: coverage within ±3 points
};

const METHODS = ['ours', 'naive', 'snaive', 'augurs'] as const;
type MethodName = (typeof METHODS)[number];

interface SeriesResult {
  series: Series;
  n: number;
  burnIn: number;
  h: number;
  scale: number;
  /** The baselines' seasons over the scored part, e.g. "12" or "11->12" or "-" for none. */
  seasons: string;
  /** Seasonal: a season >= 2 in force at the last origin. */
  seasonal: boolean;
  oursSeasons: string;
  scored: number;
  recs: Record<MethodName, Recording>;
  scores: Record<MethodName, Score>;
  /** Share of scored (origin, step) pairs where ours served something other than the last value. */
  notNaive: number;
  trainSteps: number;
}

function log(msg: string): void {
  process.stderr.write(msg + '\n');
}

const pad = (s: string, n: number): string => s.padStart(n);
const padR = (s: string, n: number): string => s.padEnd(n);

function fmt(x: number, digits = 3): string {
  if (!Number.isFinite(x)) return '-';
  return x.toFixed(digits);
}

function pct(x: number): string {
  return Number.isFinite(x) ? (100 * x).toFixed(1) : '-';
}

/** A text table; columns are right-aligned except the first and those in `left`. */
function table(head: string[], rows: string[][], left: number[] = []): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const isLeft = (i: number) => i === 0 || left.includes(i);
  const line = (r: string[]) =>
    r
      .map((c, i) => (isLeft(i) ? padR(c, w[i]) : pad(c, w[i])))
      .join('  ')
      .trimEnd();
  const out = [line(head), w.map((x) => '-'.repeat(x)).join('  '), ...rows.map(line)];
  return out.map((l) => '  ' + l).join('\n');
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
  s: Series,
  h: number,
  refit: number,
  idx: string,
  oursOptions: ForecasterOptions,
): SeriesResult {
  const y = s.values;
  const n = y.length;
  const burnIn = Math.floor(BURN_IN * n);
  const scale = maseScale(y, burnIn);
  const season: SeasonAt =
    s.period !== undefined ? () => s.period as number : seasonSchedule(y, burnIn, refit);
  const progress = (m: string) => (o: number) => {
    if (o > 0 && o % 500 === 0) log(`${idx} ${s.name}: ${m} ${o}/${n - burnIn}`);
  };
  const ours = new Ours(h, SEED, oursOptions);
  const run = (m: MethodName): Recording => {
    const method =
      m === 'ours'
        ? ours
        : m === 'naive'
          ? new Naive(h)
          : m === 'snaive'
            ? new SeasonalNaive(h, season)
            : new Augurs(h, season, refit, COVERAGE);
    const rec = runPrequential(method, y, burnIn, h, progress(m));
    log(`${idx} ${s.name}: ${m} done in ${(rec.ms / 1000).toFixed(2)} s ${rec.note}`);
    return rec;
  };
  const recs = {} as Record<MethodName, Recording>;
  for (const m of METHODS) recs[m] = run(m);
  const mask = recs.ours.ready;
  const scores = {} as Record<MethodName, Score>;
  for (const m of METHODS) scores[m] = score(recs[m], y, burnIn, scale, mask);

  // How often ours served something else than the last value.
  let differ = 0;
  let pairs = 0;
  const o = recs.ours;
  for (let i = 0; i < o.origins; i++) {
    if (!mask[i]) continue;
    const t = burnIn - 1 + i;
    for (let k = 1; k <= h && t + k < n; k++) {
      pairs++;
      if (o.mean[i * h + k - 1] !== y[t]) differ++;
    }
  }
  const first = mask.indexOf(1);
  const seasonAt = new Float64Array(n - burnIn);
  for (let i = 0; i < seasonAt.length; i++) seasonAt[i] = season(burnIn + i);
  const scoredFrom = first < 0 ? seasonAt.length : first;
  return {
    series: s,
    n,
    burnIn,
    h,
    scale,
    seasons: describeSeasons(seasonAt, scoredFrom),
    seasonal: season(n - 1) >= 2,
    oursSeasons: describeSeasons(o.inspected, scoredFrom),
    scored: mask.reduce((a, b) => a + b, 0),
    recs,
    scores,
    notNaive: pairs > 0 ? differ / pairs : NaN,
    trainSteps: ours.f.stats().trainSteps,
  };
}

function pickSeries(quick: boolean, only: string): Series[] {
  let all = [...realSeries(), ...syntheticSeries()];
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
  if (quick) {
    all = all
      .filter((s) => s.quick)
      .map((s) => ({ ...s, values: s.values.slice(0, QUICK_LENGTH) }));
  }
  return all;
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const quick = args.quick === true;
  const h = numArg(args, 'h', 12);
  const refit = numArg(args, 'refit', 12);
  const series = pickSeries(quick, strArg(args, 'series', ''));
  const oursOptions = JSON.parse(strArg(args, 'ours', '{}')) as ForecasterOptions;
  if (series.length === 0) throw new Error('no series selected');
  const t0 = performance.now();

  console.log(
    `Accuracy benchmark: prequential (test-then-train), burn-in ${BURN_IN * 100}% of each series, ` +
      `h = ${h}, ours = Forecaster(${JSON.stringify({ ...oursOptions, horizon: h, seed: SEED })}) with the default budget, ` +
      `augurs refitted every ${refit} samples${quick ? ` (--quick: ${QUICK_LENGTH} values per series)` : ''}`,
  );
  console.log(`node ${process.version}, ${process.platform}/${process.arch}`);
  console.log('');
  console.log('Series');
  console.log(
    table(
      ['series', 'n', 'burn-in', 'description', 'source'],
      series.map((s) => [
        s.name,
        String(s.values.length),
        String(Math.floor(BURN_IN * s.values.length)),
        s.description,
        s.source,
      ]),
      [3, 4],
    ),
  );
  console.log('');

  const results: SeriesResult[] = [];
  series.forEach((s, i) => {
    results.push(evaluateSeries(s, h, refit, `[${i + 1}/${series.length}]`, oursOptions));
  });

  // MASE per series
  console.log('MASE (naive-scaled) per series: at h=1 / averaged over h=1..' + h);
  console.log(
    table(
      [
        'series',
        'scored',
        'season',
        'ours season',
        ...METHODS.flatMap((m) => [`${m} h1`, `${m} avg`]),
      ],
      results.map((r) => [
        r.series.name,
        String(r.scored),
        r.seasons,
        r.oursSeasons,
        ...METHODS.flatMap((m) => [fmt(r.scores[m].mase1), fmt(r.scores[m].maseAvg)]),
      ]),
    ),
  );
  console.log('');

  // Ratios and per-series target
  console.log(
    `Ours relative to each baseline (MASE averaged over horizons), and the per-series target ` +
      `ours/naive <= ${TARGETS.perSeriesVsNaive}`,
  );
  const perSeriesPass = results.map((r) => {
    return ratio(r.scores.ours.maseAvg, r.scores.naive.maseAvg) <= TARGETS.perSeriesVsNaive;
  });
  console.log(
    table(
      [
        'series',
        'ours/naive',
        'target',
        'ours/snaive',
        'ours/augurs',
        'h1 ours/naive',
        'best',
        'not-naive %',
      ],
      results.map((r, i) => {
        const sc = r.scores;
        const best = METHODS.reduce((a, m) => (sc[m].maseAvg < sc[a].maseAvg ? m : a), 'ours');
        return [
          r.series.name,
          fmt(ratio(sc.ours.maseAvg, sc.naive.maseAvg)),
          perSeriesPass[i] ? 'PASS' : 'FAIL',
          fmt(ratio(sc.ours.maseAvg, sc.snaive.maseAvg)),
          fmt(ratio(sc.ours.maseAvg, sc.augurs.maseAvg)),
          fmt(ratio(sc.ours.mase1, sc.naive.mase1)),
          best,
          pct(r.notNaive),
        ];
      }),
    ),
  );
  console.log(
    '  not-naive %: share of scored forecasts where ours served something other than the last value',
  );
  console.log('');

  // Coverage
  console.log(`Interval coverage (target ${pct(COVERAGE)}% ± ${TARGETS.coverageTol * 100})`);
  const covOk = (c: number) => Math.abs(c - COVERAGE) <= TARGETS.coverageTol + 1e-12;
  console.log(
    table(
      ['series', 'ours %', 'ours h1 %', 'within', 'augurs %', 'augurs h1 %'],
      results.map((r) => [
        r.series.name,
        pct(r.scores.ours.coverage),
        pct(r.scores.ours.coverage1),
        covOk(r.scores.ours.coverage) ? 'yes' : 'no',
        pct(r.scores.augurs.coverage),
        pct(r.scores.augurs.coverage1),
      ]),
    ),
  );
  let inside = 0;
  let inside1 = 0;
  let pairs = 0;
  let pairs1 = 0;
  for (const r of results) {
    const sc = r.scores.ours;
    inside += sc.coverage * sc.pairs;
    pairs += sc.pairs;
    inside1 += sc.coverage1 * sc.pairs1;
    pairs1 += sc.pairs1;
  }
  const pooled = inside / pairs;
  const pooled1 = inside1 / pairs1;
  console.log(
    `  pooled over all series: ${pct(pooled)}% (h=1: ${pct(pooled1)}%); ` +
      `${results.filter((r) => covOk(r.scores.ours.coverage)).length} of ${results.length} series within ±${TARGETS.coverageTol * 100}`,
  );
  console.log('');

  // Wall time
  console.log('Wall time per method (s; push + forecast, burn-in included) and our throughput');
  let oursMs = 0;
  let oursSamples = 0;
  let steps = 0;
  console.log(
    table(
      ['series', ...METHODS.map((m) => `${m} s`), 'ours samples/s', 'train steps/sample'],
      results.map((r) => {
        oursMs += r.recs.ours.ms;
        oursSamples += r.n;
        steps += r.trainSteps;
        return [
          r.series.name,
          ...METHODS.map((m) => fmt(r.recs[m].ms / 1000, 2)),
          fmt(r.n / (r.recs.ours.ms / 1000), 0),
          fmt(r.trainSteps / r.n, 2),
        ];
      }),
    ),
  );
  const totals = METHODS.map((m) => results.reduce((a, r) => a + r.recs[m].ms, 0) / 1000);
  console.log(`  total: ${METHODS.map((m, i) => `${m} ${fmt(totals[i], 1)} s`).join(', ')}`);
  const rate = oursSamples / (oursMs / 1000);
  console.log(
    `  keeps up: ours processes ${fmt(rate, 0)} samples/s (push + forecast, hidden 32, ` +
      `${fmt(steps / oursSamples, 2)} training steps per sample over all series; no training ` +
      `during the warm-up of window + h samples)`,
  );
  console.log('');

  // Geometric means
  const seasonal = results.filter((r) => r.seasonal);
  const gm = (rs: SeriesResult[], m: MethodName, key: 'mase1' | 'maseAvg') =>
    geomean(rs.map((r) => r.scores[m][key]));
  // A baseline that is (nearly) exact on a series dominates any geometric mean of ratios.
  const exact = (r: SeriesResult) => METHODS.some((m) => r.scores[m].maseAvg < EXACT);
  const seasonalInexact = seasonal.filter((r) => !exact(r));
  console.log(
    `Geometric mean of MASE over series (MASE below ${MASE_FLOOR} counts as ${MASE_FLOOR})`,
  );
  const groups: [string, SeriesResult[]][] = [
    [`all (${results.length})`, results],
    [`seasonal (${seasonal.length})`, seasonal],
    [`seasonal, no exact baseline (${seasonalInexact.length})`, seasonalInexact],
    [`non-seasonal (${results.length - seasonal.length})`, results.filter((r) => !r.seasonal)],
  ];
  console.log(
    table(
      [
        'series',
        ...METHODS.flatMap((m) => [`${m} h1`, `${m} avg`]),
        'ours/naive',
        'ours/snaive',
        'ours/augurs',
      ],
      groups
        .filter(([, rs]) => rs.length > 0)
        .map(([name, rs]) => [
          name,
          ...METHODS.flatMap((m) => [fmt(gm(rs, m, 'mase1')), fmt(gm(rs, m, 'maseAvg'))]),
          ...(['naive', 'snaive', 'augurs'] as const).map((m) =>
            fmt(ratio(gm(rs, 'ours', 'maseAvg'), gm(rs, m, 'maseAvg'))),
          ),
        ]),
    ),
  );
  console.log(
    `  seasonal (a season in force for the baselines at the end): ` +
      `${seasonal.map((r) => r.series.name).join(', ') || 'none'}`,
  );
  const exacts = results.filter(exact).map((r) => r.series.name);
  if (exacts.length > 0) {
    console.log(
      `  exact: a baseline has MASE avg < ${EXACT} on ${exacts.join(', ')}; ` +
        'the targets count them, the row without them is for information',
    );
  }
  console.log('');

  // Targets
  const checks: { name: string; value: string; pass: boolean }[] = [];
  results.forEach((r, i) =>
    checks.push({
      name: `${r.series.name}: ours/naive (avg over h) <= ${TARGETS.perSeriesVsNaive}`,
      value: fmt(ratio(r.scores.ours.maseAvg, r.scores.naive.maseAvg)),
      pass: perSeriesPass[i],
    }),
  );
  const geoNaive = ratio(gm(results, 'ours', 'maseAvg'), gm(results, 'naive', 'maseAvg'));
  checks.push({
    name: `geometric mean over all series: ours/naive < ${TARGETS.geoVsNaive}`,
    value: fmt(geoNaive),
    pass: geoNaive < TARGETS.geoVsNaive,
  });
  if (seasonal.length > 0) {
    const geoAug = ratio(gm(seasonal, 'ours', 'maseAvg'), gm(seasonal, 'augurs', 'maseAvg'));
    checks.push({
      name: `geometric mean over seasonal series: ours/augurs <= ${TARGETS.geoVsAugurs}`,
      value: fmt(geoAug),
      pass: geoAug <= TARGETS.geoVsAugurs,
    });
  }
  checks.push({
    name: `80% interval coverage, pooled, within ±${TARGETS.coverageTol * 100} points`,
    value: `${pct(pooled)}%`,
    pass: covOk(pooled),
  });
  console.log('Targets');
  for (const c of checks) {
    console.log(`  ${c.pass ? 'PASS' : 'FAIL'}  ${padR(c.name, 64)} ${c.value}`);
  }
  const passed = checks.filter((c) => c.pass).length;
  console.log('');
  console.log(
    `summary: ${passed} of ${checks.length} targets met; ` +
      `wall time ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
}

runMain(main);
