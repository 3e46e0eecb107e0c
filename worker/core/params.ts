// All parameters of a model live in ONE typed buffer with named views into it; the gradients
// (and the optimizers' moments) have the same layout, so an optimizer step is one flat loop
// and a snapshot is one copy. Modules register their parameters when they are built, in
// PyTorch's state_dict order, and keep only offsets, never views, so the arena may grow while
// a model is being assembled.

import { CoreError } from './errors';
import type { Kernels } from './kernels';
import { readNested, toNested } from './nested';

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
  /**
   * The kernels the models on this arena run on (worker/core/kernels.ts), who also allocate
   * data, grad and the models' caches; none: the JS kernels and plain typed arrays.
   */
  readonly kernels: Kernels | undefined;
  private readonly byName = new Map<string, ParamEntry>();
  private dataCap: Floats | null = null; // with kernels: data and grad are views of these
  private gradCap: Floats | null = null;

  constructor(dtype: DType = 'float32', kernels?: Kernels) {
    if (dtype !== 'float32' && dtype !== 'float64') {
      throw new CoreError(
        'bad-config',
        `dtype must be 'float32' or 'float64', found ${String(dtype)}`,
      );
    }
    this.dtype = dtype;
    this.kernels = kernels;
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
    const n = offset + size;
    if (!this.kernels) {
      const data = allocFloats(this.dtype, n);
      const grad = allocFloats(this.dtype, n);
      data.set(this.data);
      grad.set(this.grad);
      this.data = data;
      this.grad = grad;
    } else {
      // The kernels' memory is never freed: grow by doubling, so that what a model leaves
      // behind while it is built stays under twice its size.
      if (!this.dataCap || !this.gradCap || n > this.dataCap.length) {
        const cap = Math.max(n, 2 * (this.dataCap?.length ?? 0));
        this.dataCap = this.kernels.alloc(this.dtype, cap);
        this.gradCap = this.kernels.alloc(this.dtype, cap);
        this.dataCap.set(this.data);
        this.gradCap.set(this.grad);
      }
      this.data = this.dataCap.subarray(0, n);
      this.grad = this.gradCap.subarray(0, n);
    }
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

  /** Zeroes the gradients of the named parameters (under prefix) only. */
  zeroGradOf(prefix: string, names: readonly string[]): void {
    for (const name of names) {
      const e = this.entry(prefix + name);
      this.grad.fill(0, e.offset, e.offset + e.size);
    }
  }

  /** The named parameters (under prefix) of `from` (data or grad) as PyTorch-shaped arrays. */
  nested(
    prefix: string,
    names: readonly string[],
    from: Floats,
  ): Record<string, number[] | number[][]> {
    const out: Record<string, number[] | number[][]> = {};
    for (const name of names) {
      const e = this.entry(prefix + name);
      out[name] = toNested(from, e.offset, e.shape);
    }
    return out;
  }

  /**
   * Loads a state dict whose keys are `names` (without prefix): validates all of it (missing and
   * extra keys, shapes, finiteness), then copies it in; all or nothing. `what` names the caller.
   */
  load(prefix: string, names: readonly string[], sd: Record<string, unknown>, what: string): void {
    if (sd === null || typeof sd !== 'object' || Array.isArray(sd)) {
      throw new CoreError(
        'bad-shape',
        `${what}: expected an object of named parameters, found ${sd === null ? 'null' : typeof sd}`,
      );
    }
    const expected = new Set(names);
    for (const key of Object.keys(sd)) {
      if (!expected.has(key)) {
        throw new CoreError(
          'unexpected-key',
          `${what}: unexpected key "${key}" (expected ${names.join(', ')})`,
        );
      }
    }
    const staged = allocFloats(this.dtype, this.size);
    for (const name of names) {
      const e = this.entry(prefix + name);
      if (!(name in sd)) {
        throw new CoreError(
          'missing-key',
          `${what}: missing key "${name}" of shape [${e.shape.join(', ')}]`,
        );
      }
      readNested(`${what}: "${name}"`, sd[name], e.shape, staged, e.offset);
    }
    for (const name of names) {
      const e = this.entry(prefix + name);
      this.data.set(staged.subarray(e.offset, e.offset + e.size), e.offset);
    }
  }
}
