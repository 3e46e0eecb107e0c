// How the pool starts a forecast worker. This is the form for a bundler: a module worker at a URL
// relative to this module, which Vite's dev server serves as it is and a build emits as a file of
// its own next to the bundle (the strict-CSP build, dist/csp/). The all-in-one builds
// (dist/lstm-forecast.js, dist/lstm-forecast.iife.js) swap this module for
// ./worker-factory.inline.ts (see scripts/build.ts), because browsers refuse a worker script
// from another origin, and a page loading the bundle from a CDN is another origin.

export function createForecastWorker(): Worker {
  return new Worker(new URL('../worker/forecast.worker.ts', import.meta.url), {
    type: 'module',
    name: 'lstm-forecast',
  });
}

/**
 * What the pool tells the page when the browser refuses to start this worker at all (an error
 * event with no message: a policy or a failed fetch, not a failing script).
 */
export const WORKER_REFUSED =
  'the browser refused to start the forecast worker (lstm-forecast.worker.js, beside ' +
  "lstm-forecast.js): serve it from the page's own origin, and if the page has a " +
  "Content-Security-Policy, let its worker-src (or script-src) allow that file's URL";
