// Conversions between PyTorch-shaped nested number arrays (what users and JSON hold) and our
// flat row-major typed arrays, with validation that names what was expected and what was found.
// Not on the hot path: the convenience layer and state dicts use these.

import { CoreError } from './errors';
import type { Floats } from './params';

export type Nested = number | readonly Nested[] | ArrayLike<number>;

/** Shape of a nested array, as far as it is rectangular along its first elements. */
export function shapeOf(value: unknown): number[] | null {
  if (typeof value === 'number') return [];
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    return [(value as unknown as ArrayLike<number>).length];
  }
  if (!Array.isArray(value)) return null;
  if (value.length === 0) return [0];
  const inner = shapeOf(value[0]);
  return inner === null ? null : [value.length, ...inner];
}

function describe(value: unknown): string {
  const s = shapeOf(value);
  if (s) return `shape [${s.join(', ')}]`;
  if (value === null) return 'null';
  return Array.isArray(value) ? 'a ragged array' : `a ${typeof value}`;
}

/**
 * Copies `value`, which must have exactly `shape`, into `out` at `offset` (row-major).
 * Throws a CoreError naming `what` otherwise. Validates everything before writing anything.
 */
export function readNested(
  what: string,
  value: unknown,
  shape: readonly number[],
  out: Floats,
  offset = 0,
): void {
  const size = shape.reduce((a, b) => a * b, 1);
  const flat = new Float64Array(size);
  let n = 0;
  const walk = (v: unknown, depth: number, path: string): void => {
    if (depth === shape.length) {
      if (typeof v !== 'number') {
        throw new CoreError(
          'bad-shape',
          `${what}: expected shape [${shape.join(', ')}], found ${describe(value)} (${path || 'value'} is ${describe(v)})`,
        );
      }
      if (!Number.isFinite(v)) {
        throw new CoreError('non-finite', `${what}${path} is ${v}, expected a finite number`);
      }
      flat[n++] = v;
      return;
    }
    const isList =
      Array.isArray(v) ||
      (ArrayBuffer.isView(v) && !(v instanceof DataView) && depth === shape.length - 1);
    const len = isList ? (v as ArrayLike<unknown>).length : -1;
    if (len !== shape[depth]) {
      throw new CoreError(
        'bad-shape',
        `${what}: expected shape [${shape.join(', ')}], found ${describe(value)}` +
          (path ? ` (${path} has ${len < 0 ? describe(v) : `length ${len}`})` : ''),
      );
    }
    const list = v as ArrayLike<unknown>;
    for (let i = 0; i < len; i++) walk(list[i], depth + 1, `${path}[${i}]`);
  };
  walk(value, 0, '');
  out.set(flat, offset);
}

/** Validates like readNested and returns a fresh Float64Array. */
export function toFlat(what: string, value: unknown, shape: readonly number[]): Float64Array {
  const out = new Float64Array(shape.reduce((a, b) => a * b, 1));
  readNested(what, value, shape, out);
  return out;
}

/** Rows x cols block of `src` starting at `offset`, as nested arrays. */
export function toMatrix(
  src: ArrayLike<number>,
  offset: number,
  rows: number,
  cols: number,
): number[][] {
  const m: number[][] = [];
  for (let r = 0; r < rows; r++) {
    const row = new Array<number>(cols);
    for (let k = 0; k < cols; k++) row[k] = src[offset + r * cols + k];
    m.push(row);
  }
  return m;
}

export function toVector(src: ArrayLike<number>, offset: number, n: number): number[] {
  const v = new Array<number>(n);
  for (let k = 0; k < n; k++) v[k] = src[offset + k];
  return v;
}

/** A 1-D or 2-D block as nested arrays of the given shape. */
export function toNested(
  src: ArrayLike<number>,
  offset: number,
  shape: readonly number[],
): number[] | number[][] {
  return shape.length === 1
    ? toVector(src, offset, shape[0])
    : toMatrix(src, offset, shape[0], shape[1]);
}
