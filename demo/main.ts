// Drives demo/sine.worker.ts and prints its training loss every STEPS_PER_REPORT steps.
import * as Comlink from 'comlink';
import type { SineApi } from './sine.worker';

const STEPS_PER_REPORT = 50;
const TOTAL_STEPS = 3000;

function byId<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`demo/index.html has no #${id}`);
  return el as T;
}

async function main(): Promise<void> {
  const status = byId<HTMLParagraphElement>('status');
  const log = byId<HTMLPreElement>('log');
  const worker = new Worker(new URL('./sine.worker.ts', import.meta.url), { type: 'module' });
  const sine = Comlink.wrap<SineApi>(worker);

  status.textContent = 'Training…';
  while (true) {
    const { step, loss, msPerStep } = await sine.train(STEPS_PER_REPORT);
    const line = `step ${String(step).padStart(5)}  loss ${loss.toExponential(3)}  ${msPerStep.toFixed(2)} ms/step`;
    log.textContent += line + '\n';
    log.scrollTop = log.scrollHeight;
    if (step >= TOTAL_STEPS) break;
  }
  status.textContent = `Done: ${TOTAL_STEPS} steps.`;
  worker.terminate();
}

main().catch((err: unknown) => {
  byId('status').textContent = `Error: ${err instanceof Error ? err.message : String(err)}`;
  console.error(err);
});
