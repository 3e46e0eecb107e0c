// What push() accepts: the shape of a call (refused whole, with bad-shape) and each sample's
// values and time (rejected one by one, with bad-value or bad-time). Gaps (NaN, ±Infinity, null,
// undefined) are accepted and kept as gaps.

import { EngineError, type ErrorInfo } from './errors';

/** Finite values beyond this are rejected: the filter, the errors and their squares must stay finite. */
export const MAX_MAGNITUDE = 1e100;

export interface Batch {
  list: ArrayLike<unknown>;
  /** Samples in the call. */
  n: number;
  times: ArrayLike<unknown> | null;
}

/** The call's shape, or an EngineError('bad-shape') that names what is wrong. */
export function readBatch(values: unknown, times: unknown, F: number): Batch {
  const list: ArrayLike<unknown> = isList(values) ? values : [values];
  const n = Math.floor(list.length / F);
  if (list.length % F !== 0 || list.length === 0) {
    throw new ShapeError(
      Math.max(1, n),
      `push: expected a multiple of ${F} value${F > 1 ? 's' : ''} (features = ${F}), found ${list.length}`,
    );
  }
  let timeList: ArrayLike<unknown> | null = null;
  if (times !== undefined && times !== null) {
    timeList = isList(times) ? times : [times];
    if (timeList.length !== n) {
      throw new ShapeError(
        n,
        `push: ${n} sample${n === 1 ? '' : 's'} but ${timeList.length} times`,
      );
    }
  }
  return { list, n, times: timeList };
}

/** A call refused whole: `samples` of it are counted as rejected. */
export class ShapeError extends EngineError {
  readonly samples: number;
  constructor(samples: number, message: string) {
    super('bad-shape', message);
    this.samples = samples;
  }
}

/**
 * Reads sample s of the batch into row (F); returns why it is rejected, or null. lastTime: the
 * newest accepted time (NaN for none).
 */
export function readRow(
  b: Batch,
  s: number,
  F: number,
  row: Float64Array,
  lastTime: number,
): ErrorInfo | null {
  const off = s * F;
  for (let f = 0; f < F; f++) {
    const v = b.list[off + f];
    if (typeof v === 'number') {
      if (Math.abs(v) > MAX_MAGNITUDE && Number.isFinite(v)) {
        return {
          code: 'bad-value',
          message: `push: value ${v} is beyond ±${MAX_MAGNITUDE} (its squares would overflow)`,
        };
      }
      row[f] = v;
    } else if (v === null || v === undefined) row[f] = NaN;
    else return { code: 'bad-value', message: `push: value ${describe(v)} is not a number` };
  }
  const time = b.times ? b.times[s] : undefined;
  if (time !== undefined) {
    if (typeof time !== 'number' || !Number.isFinite(time)) {
      return { code: 'bad-time', message: `push: time ${describe(time)} is not a finite number` };
    }
    if (time <= lastTime) {
      return {
        code: 'bad-time',
        message: `push: time ${time} ${time === lastTime ? 'repeats' : 'goes back from'} ${lastTime}`,
      };
    }
  }
  return null;
}

function isList(v: unknown): v is ArrayLike<unknown> {
  return Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof DataView));
}

function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v);
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'bigint') return `${String(v)}n (a BigInt)`;
  return typeof v === 'object' ? 'an object' : String(v);
}
