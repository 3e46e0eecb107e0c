// The kernels page: bench/kernels-browser/run.ts asks it, through window.kernels, to measure one
// variant at one shape; each request runs in a new dedicated worker (worker.ts).

import type { KernelsPage, KernelsRequest, KernelsResult } from './protocol';

const page: KernelsPage = {
  run(request: KernelsRequest): Promise<KernelsResult> {
    const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
    return new Promise<KernelsResult>((resolve, reject) => {
      worker.onmessage = (e: MessageEvent<{ result?: KernelsResult; error?: string }>) => {
        if (e.data.result) resolve(e.data.result);
        else reject(new Error(e.data.error ?? 'no result'));
      };
      worker.onerror = (e) => reject(new Error(`worker error: ${e.message}`));
      worker.postMessage(request);
    }).finally(() => worker.terminate());
  },
};
window.kernels = page;
