// Optimisers over a whole ParamArena, each step one flat loop over data and grad, matching
// torch.optim (https://pytorch.org/docs/stable/generated/torch.optim.Adam.html, .AdamW, .SGD):
//
// Adam:   g = grad + wd * p                        (L2 penalty folded into the gradient)
//         m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
//         p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
// AdamW:  p *= 1 - lr * wd                         (decoupled decay), then Adam with g = grad
// SGD:    g = grad + wd * p;  buf = g at t = 1, else momentum buf + (1 - dampening) g
//         p -= lr * (nesterov ? g + momentum buf : buf)
//
// And clipGradNorm, as torch.nn.utils.clip_grad_norm_ with norm_type 2.

import { CoreError } from './errors';
import { allocFloats, type Floats, type ParamArena } from './params';

export interface AdamOptions {
  lr?: number; // default 1e-3
  betas?: readonly [number, number]; // default [0.9, 0.999]
  eps?: number; // default 1e-8
  weightDecay?: number; // default 0 for Adam, 1e-2 for AdamW
}

export interface SGDOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
}

export interface Optimizer {
  lr: number;
  /** Steps taken so far. */
  t: number;
  step(): void;
  /** The moments, to snapshot and restore; same layout as the arena. */
  readonly moments: readonly Floats[];
}

function checkNumber(what: string, v: number, min: number, max = Infinity): number {
  if (typeof v !== 'number' || !(v >= min && v <= max)) {
    throw new CoreError(
      'bad-config',
      `${what} must be a number in [${min}, ${max}], found ${String(v)}`,
    );
  }
  return v;
}

export class Adam implements Optimizer {
  lr: number;
  t = 0;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  readonly decoupled: boolean;
  readonly m: Floats; // first moments, same layout as the arena
  readonly v: Floats; // second moments
  get moments(): readonly Floats[] {
    return [this.m, this.v];
  }

  constructor(
    readonly arena: ParamArena,
    options: AdamOptions = {},
    decoupled = false,
  ) {
    const name = decoupled ? 'AdamW' : 'Adam';
    this.lr = checkNumber(`${name}: lr`, options.lr ?? 1e-3, 0);
    const [b1, b2] = options.betas ?? [0.9, 0.999];
    this.beta1 = checkNumber(`${name}: betas[0]`, b1, 0, 0.999999);
    this.beta2 = checkNumber(`${name}: betas[1]`, b2, 0, 0.999999);
    this.eps = checkNumber(`${name}: eps`, options.eps ?? 1e-8, 0);
    this.weightDecay = checkNumber(
      `${name}: weightDecay`,
      options.weightDecay ?? (decoupled ? 1e-2 : 0),
      0,
    );
    this.decoupled = decoupled;
    this.m = allocFloats(arena.dtype, arena.size);
    this.v = allocFloats(arena.dtype, arena.size);
  }

  step(): void {
    const { data: p, grad } = this.arena;
    const { m, v, beta1: b1, beta2: b2, eps, lr, weightDecay: wd } = this;
    if (p.length !== m.length)
      throw new CoreError('bad-call', 'the arena grew after its optimiser was made');
    this.t++;
    const stepSize = lr / (1 - b1 ** this.t);
    const bc2Sqrt = Math.sqrt(1 - b2 ** this.t);
    const decay = this.decoupled ? 1 - lr * wd : 1;
    const l2 = this.decoupled ? 0 : wd;
    for (let i = 0; i < p.length; i++) {
      const pi = p[i] * decay;
      const g = grad[i] + l2 * pi;
      const mi = b1 * m[i] + (1 - b1) * g;
      const vi = b2 * v[i] + (1 - b2) * g * g;
      m[i] = mi;
      v[i] = vi;
      p[i] = pi - (stepSize * mi) / (Math.sqrt(vi) / bc2Sqrt + eps);
    }
  }
}

export class AdamW extends Adam {
  constructor(arena: ParamArena, options: AdamOptions = {}) {
    super(arena, options, true);
  }
}

export class SGD implements Optimizer {
  lr: number;
  t = 0;
  readonly momentum: number;
  readonly dampening: number;
  readonly weightDecay: number;
  readonly nesterov: boolean;
  readonly buf: Floats; // momentum buffer, same layout as the arena
  get moments(): readonly Floats[] {
    return [this.buf];
  }

  constructor(
    readonly arena: ParamArena,
    options: SGDOptions,
  ) {
    this.lr = checkNumber('SGD: lr', options.lr, 0);
    this.momentum = checkNumber('SGD: momentum', options.momentum ?? 0, 0);
    this.dampening = checkNumber('SGD: dampening', options.dampening ?? 0, 0);
    this.weightDecay = checkNumber('SGD: weightDecay', options.weightDecay ?? 0, 0);
    this.nesterov = options.nesterov ?? false;
    if (this.nesterov && (this.momentum <= 0 || this.dampening !== 0)) {
      throw new CoreError('bad-config', 'SGD: nesterov needs momentum > 0 and dampening 0');
    }
    this.buf = allocFloats(arena.dtype, arena.size);
  }

  step(): void {
    const { data: p, grad } = this.arena;
    const { buf, lr, momentum: mu, dampening, weightDecay: wd, nesterov } = this;
    if (p.length !== buf.length)
      throw new CoreError('bad-call', 'the arena grew after its optimiser was made');
    const first = this.t === 0;
    this.t++;
    for (let i = 0; i < p.length; i++) {
      let g = grad[i] + wd * p[i];
      if (mu !== 0) {
        const b = first ? g : mu * buf[i] + (1 - dampening) * g;
        buf[i] = b;
        g = nesterov ? g + mu * b : b;
      }
      p[i] -= lr * g;
    }
  }
}

/**
 * Scales the arena's gradients so that their global L2 norm is at most maxNorm, as
 * torch.nn.utils.clip_grad_norm_: coefficient maxNorm / (norm + 1e-6), clamped at 1.
 * Returns the norm before clipping (also left in arena.gradNorm). If it is not finite the
 * gradients are left untouched (PyTorch would multiply them by NaN): the caller must skip the step.
 */
export function clipGradNorm(arena: ParamArena, maxNorm: number): number {
  clipGrads(arena, maxNorm);
  return arena.gradNorm;
}

/**
 * clipGradNorm for a hot path: the same, returning nothing; the norm is in arena.gradNorm.
 * (V8 boxes a returned double whenever it does not inline the call, which would allocate.)
 */
export function clipGrads(arena: ParamArena, maxNorm: number): void {
  const g = arena.grad;
  let sq = 0;
  for (let i = 0; i < g.length; i++) sq += g[i] * g[i];
  const norm = Math.sqrt(sq);
  arena.gradNorm = norm;
  if (!Number.isFinite(norm)) return;
  const coef = maxNorm / (norm + 1e-6);
  if (coef < 1) for (let i = 0; i < g.length; i++) g[i] *= coef;
}
