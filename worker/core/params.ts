// All parameters of a model live in ONE typed buffer with named views into it; the gradients
// (and the optimizers' moments) have the same layout, so an optimizer step is one flat loop
// and a snapshot is one copy. Modules register their parameters when they are built, in
// PyTorch's state_dict order, and keep only offsets, never views, so the arena may grow while
// a model is being assembled.

import { CoreError } from './errors';

export type DType = 'float32' | 'float64';
export type Floats = Float32Array | Float64Array;

export interface ParamEntry {
  readonly name: string;
  readonly shape: readonly number[];
  readonly offset: number;
  readonly size: number;
}

export function allocFloats(dtype: DType, n: number): Floats {
  return dtype === 'float32' ? new Float32Array(n) : new Float64Array(n);
}

export class ParamArena {
  readonly dtype: DType;
  /** Parameter values, every entry back to back in registration order. */
  data: Floats;
  /** d loss / d data, same layout. Backward passes accumulate (+=) into it. */
  grad: Floats;
  /** The global L2 norm of grad measured by the last clipGrads / clipGradNorm. */
  gradNorm = NaN;
  readonly entries: ParamEntry[] = [];
  private readonly byName = new Map<string, ParamEntry>();

  constructor(dtype: DType = 'float32') {
    if (dtype !== 'float32' && dtype !== 'float64') {
      throw new CoreError(
        'bad-config',
        `dtype must be 'float32' or 'float64', found ${String(dtype)}`,
      );
    }
    this.dtype = dtype;
    this.data = allocFloats(dtype, 0);
    this.grad = allocFloats(dtype, 0);
  }

  get size(): number {
    return this.data.length;
  }

  /** Reserves a parameter and returns its offset. Only while a model is being built. */
  add(name: string, shape: readonly number[]): number {
    if (this.byName.has(name))
      throw new CoreError('bad-config', `parameter "${name}" registered twice`);
    const size = shape.reduce((a, b) => a * b, 1);
    const offset = this.data.length;
    const data = allocFloats(this.dtype, offset + size);
    const grad = allocFloats(this.dtype, offset + size);
    data.set(this.data);
    grad.set(this.grad);
    this.data = data;
    this.grad = grad;
    const entry: ParamEntry = { name, shape: [...shape], offset, size };
    this.entries.push(entry);
    this.byName.set(name, entry);
    return offset;
  }

  entry(name: string): ParamEntry {
    const e = this.byName.get(name);
    if (!e) throw new CoreError('missing-key', `no parameter named "${name}"`);
    return e;
  }

  zeroGrad(): void {
    this.grad.fill(0);
  }
}
