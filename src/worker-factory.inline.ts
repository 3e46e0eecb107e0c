// The worker for the all-in-one builds: Vite bundles forecast.worker.ts into this module as text
// and starts it from a Blob URL, so the worker is of the page's origin wherever the bundle came
// from. A Content-Security-Policy without `blob:` in worker-src refuses it: that page wants the
// strict-CSP build (dist/csp/), made from ./worker-factory.ts. Chosen by scripts/build.ts.

import ForecastWorker from '../worker/forecast.worker?worker&inline';

export function createForecastWorker(): Worker {
  return new ForecastWorker({ name: 'lstm-forecast' });
}

/** What the pool tells the page when the browser refuses to start this worker (see ./pool). */
export const WORKER_REFUSED =
  'the browser refused to start the forecast worker from a blob: URL, most likely because the ' +
  "page's Content-Security-Policy does not allow worker-src blob:. Use the strict-CSP build, " +
  "dist/csp/ (import 'lstm-forecast/csp'), whose worker is a file served beside it, or allow " +
  'worker-src blob: in the policy';
