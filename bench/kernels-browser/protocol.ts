// What the kernels page (page.ts), its workers (worker.ts) and its runner (run.ts) pass each
// other: one request per variant and shape, one result back.

import type { Timing } from '../common';
import type { StepMeasure } from '../step';

export type Impl = 'ours-js' | 'ours-simd' | 'tfjs-wasm';

export interface KernelsRequest {
  impl: Impl;
  hidden: number;
  layers: number;
  timing: Timing;
}

export interface KernelsResult extends StepMeasure {
  impl: Impl;
  hidden: number;
  layers: number;
  /** The kernels that ran: ours' Kernels name ('js' if any array missed the SIMD memory), or
   * TF.js's backend with its SIMD and threads flags. */
  ran: string;
}

export interface KernelsPage {
  /** Measures one variant at one shape in a new dedicated worker (its own V8 isolate). */
  run(request: KernelsRequest): Promise<KernelsResult>;
}

declare global {
  interface Window {
    kernels?: KernelsPage;
  }
}
