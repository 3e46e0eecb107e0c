// The Forecaster's public shapes: options, what push() and forecast() return, the stats and the
// events a subscriber receives. All of them are structured-cloneable.

import type { ErrorInfo } from './errors';

export interface ForecasterOptions {
  /** Steps ahead to forecast. Default 12. */
  horizon?: number;
  /** Length of the input window the LSTM is trained on by truncated BPTT. Default 32. */
  window?: number;
  /** LSTM hidden size. Default 32. */
  hiddenSize?: number;
  /**
   * The recurrent cell: 'lstm' (torch.nn.LSTM, the default) or 'gru' (torch.nn.GRU: fewer
   * parameters, faster per step). Its parameters are named 'lstm.*' either way.
   */
  cell?: 'lstm' | 'gru';
  /** LSTM layers. Default 1. */
  numLayers?: number;
  /** Dropout between LSTM layers (training only). Default 0. */
  dropout?: number;
  /** Default 3e-3. */
  learningRate?: number;
  /** Default 'adam'. */
  optimizer?: 'adam' | 'adamw' | 'sgd';
  /** Values per time step; the target is feature `targetIndex`. Default 1. */
  features?: number;
  /** Default 0. */
  targetIndex?: number;
  /** 'direct': one head predicts all horizon steps; 'recursive': predictions fed back. */
  strategy?: 'direct' | 'recursive';
  /** Coverage of the prediction intervals. Default 0.8. */
  coverage?: number;
  /** Samples kept for training replay. Default 2048. */
  capacity?: number;
  /**
   * How much to train: a number of optimiser steps per accepted sample, run synchronously in
   * push() (the default, 1, deterministic for a seed), or a share of CPU time that the host
   * spends by calling train(ms) (the worker does).
   */
  budget?: { stepsPerSample: number } | { cpuShare: number };
  /** Windows replayed from the buffer in each optimiser step, besides the latest. Default 3. */
  replay?: number;
  /** What training does with samples flagged as anomalies. Default 'skip'. */
  anomalies?: 'skip' | 'downweight' | 'train';
  /**
   * The season in samples (a day of hourly data: 24), if you know it: the filter and the
   * seasonal naive forecast use it, and the buffer keeps at least three of it. 0 (the default)
   * detects it from the data.
   */
  season?: number;
  /**
   * How rare a residual must be to be called an anomaly: samples beyond the anomalyLevel
   * two-sided quantile of the filter's recent one-step residuals. Default 0.999 (at most about
   * 1 false alarm per 1,000 clean samples).
   */
  anomalyLevel?: number;
  /**
   * What runs the network's matrix products: 'auto' (the default) WebAssembly SIMD where it runs
   * (not where WebAssembly, its SIMD or the page's Content-Security-Policy refuses it), else
   * JS; 'js' the JS kernels always. stats().kernels says which run.
   */
  kernels?: 'auto' | 'js';
  /** Seed of every random choice (initialisation, replay, dropout). Default 0. */
  seed?: number;
}

export interface Forecast {
  /** Each of length horizon, in the data's own units. */
  mean: Float64Array;
  lower: Float64Array;
  upper: Float64Array;
  /** Time of each forecast step: the last time plus k times the typical spacing. */
  time: Float64Array;
  /** Time (or sample index) of the last sample the forecast starts from. */
  from: number;
  /** False while warming up: then mean is the last value and the interval is NaN. */
  ready: boolean;
}

/**
 * A sample whose de-seasonalised one-step residual is beyond the anomalyLevel bar (the drawn
 * band is the `coverage` one).
 */
export interface Anomaly {
  /** Stable: the sample's index (samples counted from the first pushed), the same on a replay. */
  id: number;
  time: number;
  value: number;
  expected: number;
  /** The one-step interval at anomalyLevel that it fell outside. */
  lower: number;
  upper: number;
  /** |value - expected| / half-width of that interval: > 1 for every anomaly. */
  score: number;
}

export interface PushResult {
  accepted: number;
  gaps: number;
  rejected: number;
  anomalies: Anomaly[];
  /** The first reason a sample was rejected, if any. */
  error?: ErrorInfo;
}

export interface ForecasterStats {
  /** Samples pushed in all: accepted + gaps + rejected. */
  pushed: number;
  accepted: number;
  gaps: number;
  rejected: number;
  anomalies: number;
  /** Samples still needed before the first forecast. */
  warmupRemaining: number;
  trainSteps: number;
  /** Training steps per second of wall time over the last few seconds (0 if not measured). */
  stepsPerSecond: number;
  /** Mean training loss (normalised units) over recent steps. */
  loss: number;
  learningRate: number;
  divergences: number;
  /** Samples waiting for training (cpuShare budget): when it grows, training keeps to recent windows. */
  backlog: number;
  /** Detected season length in samples, 0 if none. */
  season: number;
  /** What runs the network's matrix products: WebAssembly SIMD or the JS fallback. */
  kernels: 'wasm-simd' | 'js';
  /** Recent mean absolute error per horizon step, of the forecast as served. */
  mae: Float64Array;
  /** Same for the naive forecast (the last value). */
  naiveMae: Float64Array;
  /** 1 - MAE / naive MAE, averaged over horizons: > 0 means better than doing nothing. */
  skill: number;
  /** Share of recent samples that fell inside their one-step interval. */
  coverage: number;
  /**
   * The smoothing filter in force: its constants as last fitted, whether it works on log y, its
   * season (0: none) and unit (the scale of the network's inputs and targets, in z units).
   */
  filter: {
    alpha: number;
    beta: number;
    gamma: number;
    phi: number;
    log: boolean;
    season: number;
    unit: number;
  };
}

/** What a subscriber receives after each push (the worker batches it per push call). */
export interface ForecastUpdate {
  forecast: Forecast;
  anomalies: Anomaly[];
  stats: ForecasterStats;
}
