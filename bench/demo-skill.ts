// The demo's promise, measured without a browser: each simulated sensor of `npm run demo`
// (demo/server/simulate.ts, 240 readings a simulated day) fed to a Forecaster with the demo's
// model settings (horizon 24, window 32, hidden 32), as the worker runs it (a cpuShare budget:
// refits wait for training) when it keeps up: after each reading, train() until nothing is
// pending (about one training step per reading, as at the default 10 readings a second). Prints the forecaster's own skill against
// naive (stats().skill, what the status line shows) after 1, 2 and 3 simulated days, and the
// anomalies flagged.
//
//   npm run bench:demo [-- --days 3] [-- --seed 1]

import { simulatedSensors, simulationStart } from '../demo/server/simulate';
import { Forecaster } from '../worker/engine';
import { numArg, parseArgs, runMain } from './common';

const PER_DAY = 240;
const TARGET = 0.3; // skill on temperature and flow after three days

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const days = numArg(args, 'days', 3);
  const seed = numArg(args, 'seed', 1);
  const start = simulationStart(Date.UTC(2026, 0, 1, 12));
  const sensors = simulatedSensors(start, seed);
  console.log(`demo sensors, ${days} simulated days of ${PER_DAY} readings, seed ${seed}`);
  console.log(
    'sensor        ' +
      Array.from({ length: days }, (_, d) => `skill day ${d + 1}`).join('  ') +
      '  season  anomalies',
  );
  let pass = true;
  for (const s of sensors) {
    const f = new Forecaster({
      horizon: 24,
      window: 32,
      hiddenSize: 32,
      seed: 1,
      budget: { cpuShare: 1 },
    });
    const skills: string[] = [];
    for (let d = 0; d < days; d++) {
      for (let i = 0; i < PER_DAY; i++) {
        const r = s.next();
        f.push(r.value, r.t);
        while (f.pending && f.train(0) > 0); // 0: nothing to learn yet (warming up)
      }
      skills.push(`${(100 * f.stats().skill).toFixed(1).padStart(10)}%`);
    }
    const st = f.stats();
    const target = s.id === 'temperature' || s.id === 'flow';
    if (target && days >= 3 && !(st.skill >= TARGET)) pass = false;
    console.log(
      `${s.id.padEnd(12)} ${skills.join('  ')}  ${String(st.season).padStart(6)}  ${String(st.anomalies).padStart(9)}`,
    );
  }
  if (days >= 3)
    console.log(
      `${pass ? 'PASS' : 'FAIL'}  skill >= ${100 * TARGET}% on temperature and flow after 3 days`,
    );
}

runMain(main);
