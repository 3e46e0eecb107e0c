// The anomaly section of the accuracy benchmark: precision, recall and false alarms of our
// Forecaster's anomalies (push() returns { anomalies }, each with the `time` of its sample: the
// sample index, since no times are pushed) against a rolling median/MAD z-score baseline run on
// the same streams in the same run.
//
// Streams:
//   - clean: seeded streams with no anomaly (seasonal, two seasons, a random walk, white noise, a
//     fast sensor): every flag is a false alarm; the false-alarm rate is the share of samples
//     flagged.
//   - injected: the same kinds of stream with one-sample spikes (up), dips (down) and permanent
//     level shifts injected at known indices, magnitudes in units of the stream's noise.
//   - labelled: the suthaharan single-hop sensor readings (temperature and humidity of 4 motes,
//     every 5 s; 2,000 readings around the events), with the data set's labels: motes 1 and 4
//     each have one introduced event (a run of labelled readings); motes 2 and 3 have none.
// Scoring (every stream from sample SCORED_FROM on, so both detectors are past their warm-up):
//   a spike or dip is detected if flagged 0-1 samples after it, a level shift if flagged 0-5
//   samples after its start, a labelled event if flagged anywhere within its labelled run; the
//   first flag that detects an event is a true positive; every other flag, a second one for the
//   same event included, is a false positive. Precision = true positives / flags; recall =
//   events detected / events. For the labelled streams the share of flags on labelled readings
//   is printed too (a long event flagged often is right every time, in that count).

import { Forecaster, type ForecasterOptions } from '../../worker/engine';
import { sensorMotes } from './data';
import { fmt, pct, table } from './report';
import { Rng } from './rng';

const TAU = 2 * Math.PI;
const SCORED_FROM = 300;
const SPIKE_TOLERANCE = 1;
const SHIFT_TOLERANCE = 5;
const TARGET_FALSE_ALARMS = 0.001;
// Stream lengths, for run time (about 100-300 samples/s for ours on this shared machine).
const CLEAN_LENGTH = 2000;
const INJECTED_LENGTH = 1500;
/** The labelled readings used: LABELLED_FROM .. +LABELLED_LENGTH of each mote (events at ~2350). */
const LABELLED_FROM = 1300;
const LABELLED_LENGTH = 2000;

/** The baseline: modified z-score (Iglewicz and Hoaglin) against the previous MAD_WINDOW values. */
export const MAD_WINDOW = 60;
export const MAD_THRESHOLD = 3.5;

type EventKind = 'spike' | 'dip' | 'shift' | 'labelled';

interface AnomalyEvent {
  kind: EventKind;
  /** The flags in [from, to] detect it. */
  from: number;
  to: number;
}

interface Stream {
  name: string;
  group: 'clean' | 'injected' | 'labelled';
  description: string;
  values: Float64Array;
  events: AnomalyEvent[];
  /** labelled streams: 1 on the readings the data set labels as an event. */
  label?: Uint8Array;
}

// ---------------------------------------------------------------------------------------------
// Streams

interface Base {
  name: string;
  description: string;
  /** The noise sd of one sample (a random walk: of one step): the unit of injected magnitudes. */
  sd: number;
  make: (seed: number, n: number) => Float64Array;
}

const BASES: Base[] = [
  {
    name: 'sine24',
    description: 'period 24, amplitude 5, N(0, 1) noise',
    sd: 1,
    make: (seed, n) => {
      const r = new Rng(seed);
      return Float64Array.from(
        { length: n },
        (_, t) => 20 + 5 * Math.sin((TAU * t) / 24) + r.normal(),
      );
    },
  },
  {
    name: 'daily48',
    description: 'period 48, two harmonics, AR(1) noise (innovation sd 0.5)',
    sd: 0.5,
    make: (seed, n) => {
      const r = new Rng(seed);
      let e = 0;
      return Float64Array.from({ length: n }, (_, t) => {
        e = 0.5 * e + 0.5 * r.normal();
        return 10 + 4 * Math.sin((TAU * t) / 48) + 1.5 * Math.cos((2 * TAU * t) / 48) + e;
      });
    },
  },
  {
    name: 'walk',
    description: 'random walk, steps N(0, 1)',
    sd: 1,
    make: (seed, n) => {
      const r = new Rng(seed);
      let x = 100;
      return Float64Array.from({ length: n }, () => (x += r.normal()));
    },
  },
  {
    name: 'noise',
    description: 'constant 5 plus N(0, 1)',
    sd: 1,
    make: (seed, n) => {
      const r = new Rng(seed);
      return Float64Array.from({ length: n }, () => 5 + r.normal());
    },
  },
  {
    name: 'two-season',
    description: 'hourly: daily and weekly cycle (amplitude 30), AR(1) noise (innovation sd 1)',
    sd: 1,
    make: (seed, n) => {
      const r = new Rng(seed);
      let e = 0;
      return Float64Array.from({ length: n }, (_, t) => {
        const daily = Math.max(0, Math.sin((TAU * ((t % 24) - 6)) / 24)) ** 1.5;
        const weekend = Math.floor(t / 24) % 7 >= 5 ? 0.5 : 1;
        e = 0.5 * e + r.normal();
        return 20 + 30 * daily * weekend + e;
      });
    },
  },
  {
    name: 'sensor288',
    description: 'a 5-min sensor: daily cycle of 288 (amplitude 3), noise sd 0.1',
    sd: 0.1,
    make: (seed, n) => {
      const r = new Rng(seed);
      return Float64Array.from(
        { length: n },
        (_, t) => 21 + 3 * Math.sin((TAU * t) / 288 - 2) + 0.1 * r.normal(),
      );
    },
  },
];

/**
 * Injects events from SCORED_FROM on, one every 70-130 samples (150 after a level shift, so
 * that it can be absorbed): spikes and dips of 6-10 sd, level shifts of 8-12 sd (alternating
 * up and down).
 */
function inject(
  values: Float64Array,
  sd: number,
  rng: Rng,
): { values: Float64Array; events: AnomalyEvent[] } {
  const y = values.slice();
  const events: AnomalyEvent[] = [];
  let i = SCORED_FROM + rng.int(20, 60);
  let shiftSign = 1;
  let shift = 0; // the sum of the shifts so far, added from their start on
  let next = 0;
  const kinds: EventKind[] = [];
  while (i < y.length - 20) {
    const u = rng.next();
    const kind: EventKind = u < 0.4 ? 'spike' : u < 0.8 ? 'dip' : 'shift';
    kinds.push(kind);
    for (let t = next; t < i; t++) y[t] += shift;
    next = i;
    if (kind === 'shift') {
      shift += shiftSign * rng.uniform(8, 12) * sd;
      shiftSign = -shiftSign;
      events.push({ kind, from: i, to: i + SHIFT_TOLERANCE });
      i += 150 + rng.int(0, 60);
    } else {
      y[i] += (kind === 'spike' ? 1 : -1) * rng.uniform(6, 10) * sd;
      events.push({ kind, from: i, to: i + SPIKE_TOLERANCE });
      i += rng.int(70, 130);
    }
  }
  for (let t = next; t < y.length; t++) y[t] += shift;
  return { values: y, events };
}

export function seededStreams(quick: boolean): Stream[] {
  const n = quick ? 1500 : CLEAN_LENGTH;
  const ni = quick ? 1500 : INJECTED_LENGTH;
  const bases = quick ? BASES.filter((b) => b.name === 'daily48' || b.name === 'walk') : BASES;
  const out: Stream[] = [];
  bases.forEach((b, j) => {
    out.push({
      name: `clean-${b.name}`,
      group: 'clean',
      description: b.description,
      values: b.make(1000 + j, n),
      events: [],
    });
  });
  bases.forEach((b, j) => {
    const { values, events } = inject(b.make(2000 + j, ni), b.sd, new Rng(3000 + j));
    out.push({
      name: `inject-${b.name}`,
      group: 'injected',
      description: `${b.description}; ${events.length} events`,
      values,
      events,
    });
  });
  return out;
}

export function labelledStreams(quick: boolean): Stream[] {
  const out: Stream[] = [];
  for (const m of sensorMotes()) {
    for (const v of ['temperature', 'humidity'] as const) {
      if (quick && !((m.mote === 1 && v === 'temperature') || (m.mote === 4 && v === 'humidity'))) {
        continue;
      }
      const cut = (xs: Float64Array | Uint8Array) =>
        xs.subarray(LABELLED_FROM, LABELLED_FROM + LABELLED_LENGTH);
      const label = cut(m.label) as Uint8Array;
      const events: AnomalyEvent[] = [];
      for (let i = 0; i < label.length; i++) {
        if (label[i] === 1 && (i === 0 || label[i - 1] === 0)) {
          let j = i;
          while (j + 1 < label.length && label[j + 1] === 1) j++;
          events.push({ kind: 'labelled', from: i, to: j });
        }
      }
      out.push({
        name: `mote${m.mote}-${v === 'temperature' ? 'temp' : 'humid'}`,
        group: 'labelled',
        description: `suthaharan mote ${m.mote} (${m.indoor ? 'indoor' : 'outdoor'}), ${v}, readings ${LABELLED_FROM + 1}-${LABELLED_FROM + label.length}; ${events.map((e) => `event at ${e.from}-${e.to}`).join(', ') || 'no event'}`,
        values: cut(m[v]) as Float64Array,
        events,
        label,
      });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Detectors

interface Flags {
  /** Sorted sample indices flagged. */
  at: number[];
  /** Anomalies reported twice for the same sample (by time), not counted again. */
  duplicates: number;
  ms: number;
}

function runOurs(y: Float64Array, options: ForecasterOptions, seed: number): Flags {
  const f = new Forecaster({ horizon: 12, ...options, seed });
  const seen = new Set<number>();
  let duplicates = 0;
  const t0 = performance.now();
  for (let i = 0; i < y.length; i++) {
    const r = f.push(y[i]);
    f.forecast(); // as the worker does after every push
    for (const a of r.anomalies) {
      const t = Number.isFinite(a.time) ? Math.round(a.time) : i;
      if (seen.has(t)) duplicates++;
      else seen.add(t);
    }
  }
  const ms = performance.now() - t0;
  return { at: [...seen].sort((a, b) => a - b), duplicates, ms };
}

/** The median of xs[0..n) (sorts a copy into `tmp`). */
function median(xs: Float64Array, n: number, tmp: Float64Array): number {
  const s = tmp.subarray(0, n);
  s.set(xs.subarray(0, n));
  s.sort();
  return n % 2 ? s[n >> 1] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/**
 * The rolling median/MAD z-score: z = 0.6745 |y - median| / MAD over the previous MAD_WINDOW
 * values; flagged when z > MAD_THRESHOLD. With MAD = 0 (quantised, flat data) the mean absolute
 * deviation from the median stands in (z = |y - median| / (1.2533 MeanAD)), as is usual; with
 * both 0, any change is flagged.
 */
export function runMad(y: Float64Array): Flags {
  const W = MAD_WINDOW;
  const win = new Float64Array(W);
  const dev = new Float64Array(W);
  const tmp = new Float64Array(W);
  const at: number[] = [];
  const t0 = performance.now();
  for (let i = W; i < y.length; i++) {
    win.set(y.subarray(i - W, i));
    const med = median(win, W, tmp);
    let meanAd = 0;
    for (let j = 0; j < W; j++) {
      dev[j] = Math.abs(win[j] - med);
      meanAd += dev[j];
    }
    meanAd /= W;
    const mad = median(dev, W, tmp);
    const d = Math.abs(y[i] - med);
    const z =
      mad > 0 ? (0.6745 * d) / mad : meanAd > 0 ? d / (1.2533 * meanAd) : d > 0 ? Infinity : 0;
    if (z > MAD_THRESHOLD) at.push(i);
  }
  return { at, duplicates: 0, ms: performance.now() - t0 };
}

// ---------------------------------------------------------------------------------------------
// Scoring

interface Tally {
  samples: number;
  flags: number;
  tp: number;
  events: number;
  detected: number;
  byKind: Record<EventKind, { events: number; detected: number }>;
  /** labelled streams: flags on labelled readings. */
  onLabel: number;
  duplicates: number;
  ms: number;
  pushed: number;
}

function emptyTally(): Tally {
  const k = () => ({ events: 0, detected: 0 });
  return {
    samples: 0,
    flags: 0,
    tp: 0,
    events: 0,
    detected: 0,
    byKind: { spike: k(), dip: k(), shift: k(), labelled: k() },
    onLabel: 0,
    duplicates: 0,
    ms: 0,
    pushed: 0,
  };
}

function tallyStream(s: Stream, flags: Flags): Tally {
  const t = emptyTally();
  const at = flags.at.filter((i) => i >= SCORED_FROM && i < s.values.length);
  const events = s.events.filter((e) => e.from >= SCORED_FROM);
  const detected = new Uint8Array(events.length);
  t.samples = s.values.length - SCORED_FROM;
  t.flags = at.length;
  for (const i of at) {
    if (s.label && s.label[i] === 1) t.onLabel++;
    const e = events.findIndex((ev) => i >= ev.from && i <= ev.to);
    if (e >= 0 && !detected[e]) {
      detected[e] = 1;
      t.tp++;
    }
  }
  t.events = events.length;
  events.forEach((ev, j) => {
    t.byKind[ev.kind].events++;
    t.byKind[ev.kind].detected += detected[j];
  });
  t.detected = detected.reduce((a, b) => a + b, 0);
  t.duplicates = flags.duplicates;
  t.ms = flags.ms;
  t.pushed = s.values.length;
  return t;
}

function add(a: Tally, b: Tally): Tally {
  const out = emptyTally();
  for (const k of [
    'samples',
    'flags',
    'tp',
    'events',
    'detected',
    'onLabel',
    'duplicates',
    'ms',
    'pushed',
  ] as const) {
    out[k] = a[k] + b[k];
  }
  for (const k of ['spike', 'dip', 'shift', 'labelled'] as const) {
    out.byKind[k] = {
      events: a.byKind[k].events + b.byKind[k].events,
      detected: a.byKind[k].detected + b.byKind[k].detected,
    };
  }
  return out;
}

const precision = (t: Tally) => (t.flags > 0 ? t.tp / t.flags : NaN);
const recall = (t: Tally) => (t.events > 0 ? t.detected / t.events : NaN);
const falseAlarms = (t: Tally) => (t.flags - t.tp) / t.samples;

export interface AnomalyOptions {
  quick: boolean;
  oursOptions: ForecasterOptions;
  seed: number;
}

export function runAnomalies(opt: AnomalyOptions): void {
  const t0 = performance.now();
  const streams = [...seededStreams(opt.quick), ...labelledStreams(opt.quick)];
  const optsShown = JSON.stringify({ horizon: 12, ...opt.oursOptions, seed: opt.seed });
  console.log(
    `Anomalies: ours = Forecaster(${optsShown}) (anomalyLevel: the engine's default), every sample pushed ` +
      `and then forecast() as the worker does; baseline = rolling median/MAD z-score over the previous ` +
      `${MAD_WINDOW} samples, flagged above ${MAD_THRESHOLD}. Scored from sample ${SCORED_FROM} on; a spike or ` +
      `dip counts as detected if flagged 0-${SPIKE_TOLERANCE} samples after it, a level shift 0-${SHIFT_TOLERANCE} ` +
      `after its start, a labelled event anywhere in its run; further flags for one event are false positives.` +
      (opt.quick ? ' (--quick: fewer and shorter streams)' : ''),
  );
  console.log('');
  const rows: string[][] = [];
  const totals: Record<string, { ours: Tally; mad: Tally }> = {};
  streams.forEach((s, i) => {
    const ours = tallyStream(s, runOurs(s.values, opt.oursOptions, opt.seed));
    const mad = tallyStream(s, runMad(s.values));
    process.stderr.write(
      `[anomalies ${i + 1}/${streams.length}] ${s.name}: ours ${ours.flags} flags, mad ${mad.flags}\n`,
    );
    const g = (totals[s.group] ??= { ours: emptyTally(), mad: emptyTally() });
    g.ours = add(g.ours, ours);
    g.mad = add(g.mad, mad);
    rows.push([
      s.name,
      s.group,
      String(s.values.length),
      String(ours.events),
      ...[ours, mad].flatMap((t) => [
        String(t.flags),
        t.events > 0 ? `${t.detected}/${t.events}` : '-',
        pct(precision(t)),
        pct(falseAlarms(t)),
      ]),
      s.description,
    ]);
  });
  console.log(
    'Per stream (flags scored; detected/events; precision %; false alarms: flags that detect nothing, % of samples)',
  );
  console.log(
    table(
      [
        'stream',
        'group',
        'n',
        'events',
        'ours flags',
        'ours det',
        'ours prec %',
        'ours FA %',
        'mad flags',
        'mad det',
        'mad prec %',
        'mad FA %',
        'description',
      ],
      rows,
      [1, 12],
    ),
  );
  const dups = Object.values(totals).reduce((a, g) => a + g.ours.duplicates, 0);
  if (dups > 0)
    console.log(`  ours reported ${dups} anomalies twice for the same sample (counted once)`);
  console.log('');

  console.log('Per group (pooled over its streams)');
  const groupRows: string[][] = [];
  for (const [name, g] of Object.entries(totals)) {
    for (const [who, t] of [
      ['ours', g.ours],
      ['mad', g.mad],
    ] as const) {
      const kinds = (['spike', 'dip', 'shift', 'labelled'] as const)
        .filter((k) => t.byKind[k].events > 0)
        .map((k) => `${k} ${t.byKind[k].detected}/${t.byKind[k].events}`)
        .join(', ');
      groupRows.push([
        name,
        who,
        String(t.samples),
        String(t.flags),
        t.events > 0 ? `${t.detected}/${t.events}` : '-',
        pct(recall(t)),
        pct(precision(t)),
        fmt(100 * falseAlarms(t), 3),
        name === 'labelled' ? pct(t.flags > 0 ? t.onLabel / t.flags : NaN) : '-',
        fmt(t.pushed / (t.ms / 1000), 0),
        kinds || '-',
      ]);
    }
  }
  console.log(
    table(
      [
        'group',
        'detector',
        'samples',
        'flags',
        'detected',
        'recall %',
        'precision %',
        'FA %',
        'on label %',
        'samples/s',
        'by kind',
      ],
      groupRows,
      [1, 10],
    ),
  );
  console.log(
    '  FA %: flags that detect no event, per 100 scored samples; on label %: flags on labelled readings',
  );
  console.log('');

  const checks: { name: string; value: string; pass: boolean }[] = [];
  const clean = totals.clean;
  if (clean) {
    const fa = falseAlarms(clean.ours);
    checks.push({
      name: `false alarms on clean seeded streams <= ${pct(TARGET_FALSE_ALARMS)}% of samples`,
      value: `${fmt(100 * fa, 3)}% (${clean.ours.flags} of ${clean.ours.samples}; mad ${fmt(100 * falseAlarms(clean.mad), 3)}%)`,
      pass: fa <= TARGET_FALSE_ALARMS,
    });
  }
  const inj = totals.injected;
  if (inj) {
    const r = recall(inj.ours);
    const rm = recall(inj.mad);
    checks.push({
      name: "injected: recall above the MAD baseline's",
      value: `${pct(r)}% vs ${pct(rm)}%`,
      pass: r > rm,
    });
    const p = precision(inj.ours);
    const pm = precision(inj.mad);
    checks.push({
      name: "injected: precision above the MAD baseline's",
      value: `${pct(p)}% vs ${pct(pm)}%`,
      pass: p > pm,
    });
  }
  console.log('Anomaly targets');
  for (const c of checks)
    console.log(`  ${c.pass ? 'PASS' : 'FAIL'}  ${c.name.padEnd(66)} ${c.value}`);
  console.log('');
  console.log(
    `anomaly summary: ${checks.filter((c) => c.pass).length} of ${checks.length} targets met; wall time ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
}
