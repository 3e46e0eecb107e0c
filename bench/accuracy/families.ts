// `npm run bench:accuracy -- --families`: ours against naive and Holt-Winters on seeded families
// of series, many fresh draws of one kind each, rather than one series per kind as in the dev and
// test parts. A family says whether a change helps a kind of series or one lucky draw of it, and
// it can be drawn again with other seeds (--family-seeds) to check a design on data nobody has
// looked at, without touching the test part.
//
// Each family is generated with its own seeds (FIRST_SEED on, apart from the synthetic series'
// and the anomaly streams'), run prequentially and scored exactly as the series of the dev part
// (accuracy.bench.ts: burn-in 20%, at least 50; MASE averaged over h = 1..12), and reported as
// geometric means over its draws. Holt-Winters is given the family's season; ours is told nothing.

import { maseScale, recordingOf, runPrequential, score } from './evaluate';
import { Naive } from './methods';
import { Ours } from './ours';
import { startHoltWinters, type PeerSeries } from './python-peer';
import { fmt, table } from './report';
import { Rng } from './rng';
import type { ForecasterOptions } from '../../worker/engine';

export const FIRST_SEED = 10000;

interface Family {
  name: string;
  description: string;
  period: number;
  make(r: Rng): Float64Array;
}

export const FAMILIES: Family[] = [
  {
    name: 'trend-240',
    description: 'a smooth trend whose slope wanders (AR 0.98), a mild monthly season, noise',
    period: 12,
    make(r) {
      const y = new Float64Array(240);
      const amp = r.uniform(0, 2);
      let level = 100;
      let slope = 0.5 * r.normal();
      for (let t = 0; t < y.length; t++) {
        slope = 0.98 * slope + 0.01 + 0.05 * r.normal();
        level += slope;
        y[t] = level + amp * Math.sin((2 * Math.PI * t) / 12) + 0.5 * r.normal();
      }
      return y;
    },
  },
  {
    name: 'econ-122',
    description: 'a monthly rate: a season, a random-walk level and a year of steady rise',
    period: 12,
    make(r) {
      const y = new Float64Array(122);
      const index = Array.from({ length: 12 }, () => 0.5 * r.normal());
      const rise = r.int(60, 100);
      let level = 5;
      for (let t = 0; t < y.length; t++) {
        level += 0.1 * r.normal() + (t >= rise && t < rise + 12 ? 0.3 : 0);
        y[t] = Math.max(0.5, level + index[t % 12] + 0.15 * r.normal());
      }
      return y;
    },
  },
  {
    name: 'season-60',
    description: '60 samples: a period-12 sine (amplitude 3), a slight trend, noise 0.7',
    period: 12,
    make(r) {
      const y = new Float64Array(60);
      for (let t = 0; t < y.length; t++)
        y[t] = 100 + 0.05 * t + 3 * Math.sin((2 * Math.PI * t) / 12) + 0.7 * r.normal();
      return y;
    },
  },
  {
    name: 'rw-drift-300',
    description: 'a random walk with a drift drawn per series (sd 0.3 of a step)',
    period: 0,
    make(r) {
      const y = new Float64Array(300);
      const drift = 0.3 * r.normal();
      let x = 100;
      for (let t = 0; t < y.length; t++) y[t] = x += drift + r.normal();
      return y;
    },
  },
  {
    name: 'rw-100',
    description: 'a random walk, 100 samples: nothing to learn, naive is the best there is',
    period: 0,
    make(r) {
      const y = new Float64Array(100);
      let x = 100;
      for (let t = 0; t < y.length; t++) y[t] = x += r.normal();
      return y;
    },
  },
];

interface Draw extends PeerSeries {
  family: Family;
}

export interface FamilyOptions {
  h: number;
  refit: number;
  seeds: number;
  /** Seeds FIRST_SEED + shift ... on: another draw of every family. */
  shift: number;
  noHw: boolean;
  oursOptions: ForecasterOptions;
}

export async function runFamilies(opt: FamilyOptions): Promise<void> {
  const { h } = opt;
  const draws: Draw[] = [];
  FAMILIES.forEach((family, f) => {
    for (let j = 0; j < opt.seeds; j++) {
      const values = family.make(new Rng(FIRST_SEED + opt.shift + 1000 * f + j));
      const burnIn = Math.max(50, Math.floor(0.2 * values.length));
      draws.push({ name: `${family.name}#${j}`, values, period: family.period, burnIn, family });
    }
  });
  const hw = opt.noHw
    ? ({ ok: false, reason: '--no-hw' } as const)
    : startHoltWinters(draws, h, opt.refit);
  const mase = new Map<string, { ours: number; naive: number; hw: number; ready: Uint8Array }>();
  for (const d of draws) {
    const ours = runPrequential(new Ours(h, 1, opt.oursOptions), d.values, d.burnIn, h);
    const naive = runPrequential(new Naive(h), d.values, d.burnIn, h);
    const scale = maseScale(d.values, d.burnIn);
    mase.set(d.name, {
      ours: score(ours, d.values, d.burnIn, scale, ours.ready).maseAvg,
      naive: score(naive, d.values, d.burnIn, scale, ours.ready).maseAvg,
      hw: NaN,
      ready: ours.ready,
    });
  }
  const peer = hw.ok ? await hw.results : null;
  if (peer) {
    for (const d of draws) {
      const rec = recordingOf('hw', peer.get(d.name)!.mean, d.values.length - d.burnIn, h, 0, '');
      const m = mase.get(d.name)!;
      m.hw = score(rec, d.values, d.burnIn, maseScale(d.values, d.burnIn), m.ready).maseAvg;
    }
  }
  const geo = (xs: number[]) => Math.exp(xs.reduce((a, x) => a + Math.log(x), 0) / xs.length);
  const rows = FAMILIES.map((family) => {
    const ms = draws.filter((d) => d.family === family).map((d) => mase.get(d.name)!);
    const ours = geo(ms.map((m) => m.ours));
    const naive = geo(ms.map((m) => m.naive));
    const hwGeo = peer ? geo(ms.map((m) => m.hw)) : NaN;
    const over = ms.filter((m) => m.ours > 1.02 * m.naive).length;
    return [
      family.name,
      String(ms.length),
      fmt(ours),
      fmt(naive),
      peer ? fmt(hwGeo) : '-',
      fmt(ours / naive),
      peer ? fmt(ours / hwGeo) : '-',
      `${over}/${ms.length}`,
      family.description,
    ];
  });
  console.log(
    `Seeded families (seeds ${FIRST_SEED + opt.shift}+, ${opt.seeds} draws each; h = ${h}; ` +
      `geometric means of MASE avg over the draws)${peer ? '' : `; hw skipped: ${hw.ok ? '' : hw.reason}`}`,
  );
  console.log(
    table(
      ['family', 'draws', 'ours', 'naive', 'hw', 'ours/naive', 'ours/hw', '> 1.02x naive', 'what'],
      rows,
      [0, 8],
    ),
  );
}
