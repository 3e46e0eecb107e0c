// Starts worker/forecast.worker.ts in a real Node worker_thread and wraps it with Comlink.
//
// Node 20 does not apply module hooks given as a Worker's execArgv (`--import tsx`: fixed in Node
// 22.2, nodejs/node#47747), so the thread starts from a two-line bootstrap that registers tsx's
// hooks in the thread itself, then imports the TypeScript entry.

import { Worker } from 'node:worker_threads';
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter';
import '../../worker/protocol'; // EngineErrors arrive as EngineErrors
import type { ForecastApi } from '../../worker/forecast.worker';

const ENTRY = new URL('../../worker/forecast.worker.ts', import.meta.url).href;

export interface ForecastWorker {
  worker: Worker;
  api: Comlink.Remote<ForecastApi>;
}

export function startForecastWorker(): ForecastWorker {
  const bootstrap = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(ENTRY)}); });`;
  const worker = new Worker(bootstrap, { eval: true });
  const endpoint = nodeEndpoint(worker as unknown as Parameters<typeof nodeEndpoint>[0]);
  return { worker, api: Comlink.wrap<ForecastApi>(endpoint) };
}
