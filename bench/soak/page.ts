// The soak page: N <lstm-forecast> elements fed R samples a second each, and nothing else that
// grows: the page keeps counters only (no per-sample record, unlike bench/browser's latency
// page), so that its heap is the element's, the chart's and the pool's.

import '../../src/lstm-forecast';
import type { LstmForecast } from '../../src/lstm-forecast';
import { Prng } from '../../worker/core';
import type { SoakCounters, SoakPage } from './protocol';

const pushed: number[] = [];
const counted: number[] = [];
const forecasts: number[] = [];
const errors: Record<string, number> = {};
let lateTicks = 0;
let driver: ReturnType<typeof setInterval> | null = null;

async function setup(elements: number, rate: number) {
  const grid = document.getElementById('grid')!;
  const cols = Math.ceil(Math.sqrt(elements));
  grid.style.gridTemplateColumns = `repeat(${cols}, minmax(0, 1fr))`;
  grid.style.gridTemplateRows = `repeat(${Math.ceil(elements / cols)}, minmax(0, 1fr))`;
  const t0 = performance.now();
  const els: LstmForecast[] = [];
  const ready: Promise<unknown>[] = [];
  for (let k = 0; k < elements; k++) {
    const el = document.createElement('lstm-forecast');
    el.label = `series ${k + 1}`;
    pushed.push(0);
    counted.push(0);
    forecasts.push(0);
    el.addEventListener('train', (e) => (counted[k] = e.detail.samples));
    el.addEventListener('forecast', () => forecasts[k]++);
    el.addEventListener(
      'forecast-error',
      (e) => (errors[e.detail.code] = (errors[e.detail.code] ?? 0) + 1),
    );
    ready.push(new Promise((r) => el.addEventListener('ready', r, { once: true })));
    grid.append(el);
    els.push(el);
  }
  await Promise.all(ready);
  const readyMs = performance.now() - t0;
  // a seasonal signal with noise per element, from a seeded generator
  const prng = new Prng(9);
  const start = performance.now();
  let sent = 0;
  driver = setInterval(() => {
    const due = Math.floor(((performance.now() - start) * rate) / 1000) + 1;
    if (due - sent > 1) lateTicks++;
    for (; sent < due; sent++) {
      for (let k = 0; k < els.length; k++) {
        const v = 10 + k + 3 * Math.sin((2 * Math.PI * sent) / (40 + 7 * k)) + 0.3 * prng.next();
        els[k].push(v);
        pushed[k]++;
      }
    }
  }, 1000 / rate);
  return { readyMs, hardwareConcurrency: navigator.hardwareConcurrency };
}

function counters(): SoakCounters {
  return {
    pushed: [...pushed],
    counted: [...counted],
    forecasts: [...forecasts],
    errors: { ...errors },
    lateTicks,
  };
}

function stop(): void {
  if (driver !== null) clearInterval(driver);
  driver = null;
}

const soak: SoakPage = { setup, counters, stop };
window.soak = soak;
