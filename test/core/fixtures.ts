// Typed access to the PyTorch reference fixtures written by scripts/torch-reference.py.

import { readFileSync } from 'node:fs';

type Matrix = number[][];
type Param = number[] | number[][];

export interface LstmCase {
  name: string;
  config: {
    inputSize: number;
    hiddenSize: number;
    numLayers: number;
    bias: boolean;
    bidirectional: boolean;
  };
  stateDict: Record<string, Param>;
  input: Matrix;
  h0: Matrix | null;
  c0: Matrix | null;
  output: Matrix;
  hn: Matrix;
  cn: Matrix;
  dOutput: Matrix;
  dHn: Matrix;
  dCn: Matrix;
  grads: { input: Matrix; h0: Matrix | null; c0: Matrix | null; params: Record<string, Param> };
}

type Tensor = number[][] | number[][][];

/** A case of recurrent.json: torch.nn.LSTM or torch.nn.GRU in PyTorch's (batched) shapes. */
export interface RecurrentCase {
  name: string;
  kind: 'lstm' | 'gru';
  config: {
    inputSize: number;
    hiddenSize: number;
    numLayers: number;
    bias: boolean;
    batchFirst: boolean;
    bidirectional: boolean;
    projSize?: number;
  };
  batch: number | null; // null: an unbatched (L, H_in) input
  stateDict: Record<string, Param>;
  input: Tensor;
  h0: Tensor | null;
  c0?: Tensor | null;
  output: Tensor;
  hn: Tensor;
  cn?: Tensor;
  dOutput: Tensor;
  dHn: Tensor;
  dCn?: Tensor;
  grads: { input: Tensor; h0: Tensor; c0?: Tensor; params: Record<string, Param> };
}

export interface LinearCase {
  name: string;
  config: { inFeatures: number; outFeatures: number; bias: boolean };
  stateDict: Record<string, Param>;
  input: Matrix;
  output: Matrix;
  dOutput: Matrix;
  grads: { input: Matrix; params: Record<string, Param> };
}

export interface LossCase {
  name: string;
  kind: 'mse' | 'huber' | 'l1';
  delta?: number;
  pred: number[];
  target: number[];
  loss: number;
  grad: number[];
}

export interface OptimCase {
  name: string;
  optimizer: 'adam' | 'adamw' | 'sgd';
  options: {
    lr: number;
    betas?: [number, number];
    eps?: number;
    weightDecay?: number;
    momentum?: number;
    dampening?: number;
    nesterov?: boolean;
  };
  params: Record<string, Param>;
  grads: Record<string, Param>[];
  trajectory: Record<string, Param>[];
}

export interface ClipCase {
  name: string;
  maxNorm: number;
  grads: Record<string, Param>;
  totalNorm: number;
  clipped: Record<string, Param>;
}

export interface TrainStepFixture {
  stateDict: Record<string, Param>;
  series: number[];
  window: number;
  steps: { loss: number; totalNorm: number; stateDict: Record<string, Param> }[];
}

function load<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8')) as T;
}

export const lstmFixture = load<{ torch: string; cases: LstmCase[] }>('lstm.json');
export const recurrentFixture = load<{ torch: string; cases: RecurrentCase[] }>('recurrent.json');
export const linearFixture = load<{ cases: LinearCase[]; lossCases: LossCase[] }>('linear.json');
export const optimFixture = load<{ cases: OptimCase[]; clipCases: ClipCase[] }>('optim.json');
export const trainStepFixture = load<TrainStepFixture>('train-step.json');
