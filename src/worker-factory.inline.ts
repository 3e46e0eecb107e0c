// The worker for the all-in-one builds: Vite bundles forecast.worker.ts into this module as text
// and starts it from a Blob URL, so the worker is of the page's origin wherever the bundle came
// from. A Content-Security-Policy without `blob:` in worker-src refuses it: that page wants the
// strict-CSP build (dist/csp/), made from ./worker-factory.ts. Chosen by scripts/build.ts.

import ForecastWorker from '../worker/forecast.worker?worker&inline';

export function createForecastWorker(): Worker {
  return new ForecastWorker({ name: 'lstm-forecast' });
}
