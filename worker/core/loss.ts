// Losses with reduction 'mean', as torch.nn.functional's: each returns the loss and writes
// d loss / d pred into dpred (when given). n = number of elements.

import type { Floats } from './params';

type Values = Floats | readonly number[];

/** mean((pred - target)^2) */
export function mseLoss(pred: Values, target: Values, n: number, dpred?: Floats): number {
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const d = pred[i] - target[i];
    sum += d * d;
    if (dpred) dpred[i] = (2 * d) / n;
  }
  return sum / n;
}

/** mean(|pred - target|); the gradient at 0 is 0, as torch's sign(). */
export function l1Loss(pred: Values, target: Values, n: number, dpred?: Floats): number {
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const d = pred[i] - target[i];
    sum += Math.abs(d);
    if (dpred) dpred[i] = (d > 0 ? 1 : d < 0 ? -1 : 0) / n;
  }
  return sum / n;
}

/** torch.nn.functional.huber_loss: 0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta). */
export function huberLoss(
  pred: Values,
  target: Values,
  n: number,
  dpred?: Floats,
  delta = 1,
): number {
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const d = pred[i] - target[i];
    const a = Math.abs(d);
    if (a < delta) {
      sum += 0.5 * d * d;
      if (dpred) dpred[i] = d / n;
    } else {
      sum += delta * (a - 0.5 * delta);
      if (dpred) dpred[i] = (d > 0 ? delta : -delta) / n;
    }
  }
  return sum / n;
}
