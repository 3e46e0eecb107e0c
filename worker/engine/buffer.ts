// The ring of recent samples that training replays: N = capacity, F = features.
// Sample i (counted from the first ever pushed) lives in slot i % N while i >= count - N.

export const GAP = 1; // the target was missing (NaN, null, ...): not trained on
export const ANOMALY = 2; // the target fell outside its interval

export class SampleBuffer {
  readonly capacity: number;
  readonly features: number;
  /** (N, F) values, gaps filled with the previous value, so inputs are always finite. */
  readonly values: Float64Array;
  /** (N) the target as pushed, NaN for a gap. */
  readonly target: Float64Array;
  readonly flags: Uint8Array; // (N) GAP | ANOMALY
  readonly times: Float64Array; // (N)
  /** Samples ever stored; the next one gets this index. */
  count = 0;

  constructor(capacity: number, features: number) {
    this.capacity = capacity;
    this.features = features;
    this.values = new Float64Array(capacity * features);
    this.target = new Float64Array(capacity);
    this.flags = new Uint8Array(capacity);
    this.times = new Float64Array(capacity);
  }

  /** Index of the oldest sample still held. */
  get oldest(): number {
    return Math.max(0, this.count - this.capacity);
  }

  slot(i: number): number {
    return i % this.capacity;
  }

  /** Filled target value of sample i (gaps hold the last value before them). */
  y(i: number, targetIndex: number): number {
    return this.values[this.slot(i) * this.features + targetIndex];
  }

  push(
    row: ArrayLike<number>,
    rowOff: number,
    target: number,
    flags: number,
    time: number,
  ): number {
    const i = this.count++;
    const s = this.slot(i);
    for (let f = 0; f < this.features; f++) this.values[s * this.features + f] = row[rowOff + f];
    this.target[s] = target;
    this.flags[s] = flags;
    this.times[s] = time;
    return i;
  }
}
