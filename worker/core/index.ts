// The numeric core: plain TypeScript numerics with no DOM and no worker API.
// Runs in a Web Worker, on the main thread and in Node as it is.

export { CoreError, type CoreErrorCode } from './errors';
export { ParamArena, allocFloats, type DType, type Floats, type ParamEntry } from './params';
export { Prng } from './prng';
export {
  LSTM,
  lstmLayerForward,
  lstmLayerBackward,
  type BackwardScratch,
  type LSTMOptions,
  type LSTMState,
  type LSTMGradients,
  type ParamSlot,
} from './lstm';
export {
  GRU,
  gruLayerForward,
  gruLayerBackward,
  type GRUBackwardScratch,
  type GRUOptions,
  type GRUGradients,
} from './gru';
export {
  matvec,
  matvecBatch,
  transpose,
  transposeSeq,
  type RecurrentOptions,
  type Seq,
} from './recurrent';
export { jsKernels, simdKernels, type Kernels, type KernelsName } from './kernels';
export { Linear, linearForward, linearBackward, type LinearOptions } from './linear';
export { mseLoss, l1Loss, huberLoss } from './loss';
export {
  Adam,
  AdamW,
  SGD,
  clipGradNorm,
  clipGrads,
  type AdamOptions,
  type SGDOptions,
  type Optimizer,
} from './optim';
export { shapeOf, toFlat, type Nested } from './nested';
