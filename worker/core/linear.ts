// Linear layer with torch.nn.Linear's semantics: y = x W^T + b.
//
// N = rows (time steps), I = in features, O = out features.
// Parameters: weight (O, I), bias (O); initialised as PyTorch's, uniform in ±1/sqrt(I).

import { CoreError } from './errors';
import type { ParamSlot } from './lstm';
import { readNested, shapeOf, toMatrix, type Nested } from './nested';
import { allocFloats, ParamArena, type DType, type Floats } from './params';
import { Prng } from './prng';

export interface LinearOptions {
  inFeatures: number;
  outFeatures: number;
  bias?: boolean; // default true
  seed?: number; // default 0
  dtype?: DType; // when the Linear owns its arena; default 'float64'
}

/** y[n*O + o] = b[o] + Σ_i W[o*I + i] x[n*I + i], for n < N. */
export function linearForward(
  y: Floats, // (N, O) out
  x: Floats, // (N, I)
  w: Floats,
  pW: number, // (O, I)
  pB: number, // (O), or < 0 for none
  N: number,
  I: number,
  O: number,
): void {
  for (let n = 0; n < N; n++) {
    const xo = n * I;
    for (let o = 0; o < O; o++) {
      let acc = pB >= 0 ? w[pB + o] : 0;
      const wo = pW + o * I;
      for (let i = 0; i < I; i++) acc += w[wo + i] * x[xo + i];
      y[n * O + o] = acc;
    }
  }
}

/** Backward of linearForward; dx is overwritten, parameter gradients accumulate. */
export function linearBackward(
  dx: Floats, // (N, I) out
  dw: Floats, // +=, same layout as w
  dy: Floats, // (N, O)
  x: Floats, // (N, I)
  w: Floats,
  pW: number,
  pB: number,
  N: number,
  I: number,
  O: number,
): void {
  dx.fill(0, 0, N * I);
  for (let n = 0; n < N; n++) {
    const xo = n * I;
    for (let o = 0; o < O; o++) {
      const a = dy[n * O + o];
      if (pB >= 0) dw[pB + o] += a; // forward: y = ... + b
      const wo = pW + o * I;
      for (let i = 0; i < I; i++) {
        dw[wo + i] += a * x[xo + i]; // forward: y += W x
        dx[xo + i] += a * w[wo + i];
      }
    }
  }
}

export class Linear {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly bias: boolean;
  readonly arena: ParamArena;
  readonly prefix: string;
  readonly paramNames: readonly string[];
  /** (N, O) result of the last forwardSeq. */
  output: Floats;
  /** (N, I) d loss / d input after the last backwardSeq. */
  dinput: Floats;

  private readonly pW: number;
  private readonly pB: number;
  private capacity = 0;
  private lastN = 0;
  private lastX: Floats | null = null;

  constructor(options: LinearOptions, slot: ParamSlot = {}) {
    const int = (name: string, v: unknown): number => {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
        throw new CoreError(
          'bad-config',
          `Linear: ${name} must be an integer >= 1, found ${String(v)}`,
        );
      }
      return v;
    };
    this.inFeatures = int('inFeatures', options.inFeatures);
    this.outFeatures = int('outFeatures', options.outFeatures);
    this.bias = options.bias ?? true;
    this.arena = slot.arena ?? new ParamArena(options.dtype ?? 'float64');
    this.prefix = slot.prefix ?? '';
    const { inFeatures: I, outFeatures: O } = this;
    this.pW = this.arena.add(this.prefix + 'weight', [O, I]);
    this.pB = this.bias ? this.arena.add(this.prefix + 'bias', [O]) : -1;
    this.paramNames = this.bias ? ['weight', 'bias'] : ['weight'];
    const prng = new Prng(options.seed ?? 0);
    const k = 1 / Math.sqrt(I);
    const n = O * I + (this.bias ? O : 0);
    for (let i = 0; i < n; i++) this.arena.data[this.pW + i] = prng.uniform(-k, k);
    this.output = allocFloats(this.arena.dtype, 0);
    this.dinput = allocFloats(this.arena.dtype, 0);
    this.ensureCapacity(1);
  }

  ensureCapacity(N: number): void {
    if (N <= this.capacity) return;
    const cap = Math.max(N, this.capacity * 2);
    this.output = allocFloats(this.arena.dtype, cap * this.outFeatures);
    this.dinput = allocFloats(this.arena.dtype, cap * this.inFeatures);
    this.capacity = cap;
  }

  /** Forward over N rows of x (N, I) into this.output. Keeps x by reference for backwardSeq. */
  forwardSeq(x: Floats, N: number): void {
    this.ensureCapacity(N);
    linearForward(
      this.output,
      x,
      this.arena.data,
      this.pW,
      this.pB,
      N,
      this.inFeatures,
      this.outFeatures,
    );
    this.lastN = N;
    this.lastX = x;
  }

  backwardSeq(dy: Floats, N: number): void {
    if (N !== this.lastN || this.lastX === null) {
      throw new CoreError(
        'bad-call',
        `Linear.backwardSeq over ${N} rows, but the last forwardSeq had ${this.lastN}`,
      );
    }
    linearBackward(
      this.dinput,
      this.arena.grad,
      dy,
      this.lastX,
      this.arena.data,
      this.pW,
      this.pB,
      N,
      this.inFeatures,
      this.outFeatures,
    );
  }

  /** One row, for stepping: y[yOff : yOff+O] = W x[xOff : xOff+I] + b. Allocates nothing. */
  forwardRow(y: Floats, yOff: number, x: Floats, xOff: number): void {
    const { inFeatures: I, outFeatures: O } = this;
    const w = this.arena.data;
    for (let o = 0; o < O; o++) {
      let acc = this.pB >= 0 ? w[this.pB + o] : 0;
      const wo = this.pW + o * I;
      for (let i = 0; i < I; i++) acc += w[wo + i] * x[xOff + i];
      y[yOff + o] = acc;
    }
  }

  /**
   * Backward of forwardRow: dx[dxOff : dxOff+I] = W^T dy (overwritten); parameter gradients
   * accumulate. x is the row forwardRow saw.
   */
  backwardRow(dx: Floats, dxOff: number, dy: Floats, dyOff: number, x: Floats, xOff: number): void {
    const { inFeatures: I, outFeatures: O } = this;
    const w = this.arena.data;
    const dw = this.arena.grad;
    dx.fill(0, dxOff, dxOff + I);
    for (let o = 0; o < O; o++) {
      const a = dy[dyOff + o];
      if (this.pB >= 0) dw[this.pB + o] += a;
      const wo = this.pW + o * I;
      for (let i = 0; i < I; i++) {
        dw[wo + i] += a * x[xOff + i];
        dx[dxOff + i] += a * w[wo + i];
      }
    }
  }

  // Convenience layer, in PyTorch's shapes.

  stateDict(): Record<string, number[] | number[][]> {
    return this.arena.nested(this.prefix, this.paramNames, this.arena.data);
  }

  loadStateDict(sd: Record<string, unknown>): void {
    this.arena.load(this.prefix, this.paramNames, sd, 'Linear.loadStateDict');
  }

  forward(input: Nested): number[][] {
    const shape = shapeOf(input);
    const N = shape && shape.length === 2 ? shape[0] : 0;
    if (N < 1) {
      throw new CoreError(
        'bad-shape',
        `Linear.forward: input expected shape [N, ${this.inFeatures}], found ${shape ? `shape [${shape.join(', ')}]` : typeof input}`,
      );
    }
    const x = allocFloats(this.arena.dtype, N * this.inFeatures);
    readNested('Linear.forward: input', input, [N, this.inFeatures], x);
    this.forwardSeq(x, N);
    return toMatrix(this.output, 0, N, this.outFeatures);
  }

  /** Gradients of sum(output * dOutput) through the last forward(), of this call alone. */
  backward(dOutput: Nested): { input: number[][]; params: Record<string, number[] | number[][]> } {
    const N = this.lastN;
    const dy = allocFloats(this.arena.dtype, N * this.outFeatures);
    readNested('Linear.backward: dOutput', dOutput, [N, this.outFeatures], dy);
    this.arena.zeroGradOf(this.prefix, this.paramNames);
    this.backwardSeq(dy, N);
    const params = this.arena.nested(this.prefix, this.paramNames, this.arena.grad);
    return { input: toMatrix(this.dinput, 0, N, this.inFeatures), params };
  }
}
