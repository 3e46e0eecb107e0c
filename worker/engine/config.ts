// Options with their defaults, validated once, with errors that name the option and the value.

import { EngineError } from './errors';
import type { ForecasterOptions } from './types';

export interface ResolvedOptions {
  horizon: number;
  window: number;
  hiddenSize: number;
  numLayers: number;
  dropout: number;
  learningRate: number;
  optimizer: 'adam' | 'adamw' | 'sgd';
  features: number;
  targetIndex: number;
  strategy: 'direct' | 'recursive';
  season: number;
  anomalyLevel: number;
  cell: 'lstm' | 'gru';
  kernels: 'auto' | 'js';
  coverage: number;
  capacity: number;
  budget: { stepsPerSample: number } | { cpuShare: number };
  replay: number;
  anomalies: 'skip' | 'downweight' | 'train';
  seed: number;
}

export const DEFAULTS: ResolvedOptions = {
  horizon: 12,
  window: 32,
  hiddenSize: 32,
  numLayers: 1,
  dropout: 0,
  learningRate: 3e-3,
  optimizer: 'adam',
  features: 1,
  targetIndex: 0,
  strategy: 'direct',
  season: 0,
  anomalyLevel: 0.999,
  cell: 'lstm',
  kernels: 'auto',
  coverage: 0.8,
  capacity: 2048,
  budget: { stepsPerSample: 1 },
  replay: 3,
  anomalies: 'skip',
  seed: 0,
};

function bad(name: string, want: string, v: unknown): never {
  throw new EngineError(
    'bad-config',
    `${name} must be ${want}, found ${typeof v === 'number' ? String(v) : (JSON.stringify(v) ?? String(v))}`,
  );
}

function int(
  o: Record<string, unknown>,
  name: keyof ResolvedOptions,
  min: number,
  max: number,
): number {
  const v = o[name] ?? DEFAULTS[name];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    bad(name, `an integer in [${min}, ${max}]`, v);
  }
  return v;
}

function num(
  o: Record<string, unknown>,
  name: keyof ResolvedOptions,
  ok: (v: number) => boolean,
  want: string,
): number {
  const v = o[name] ?? DEFAULTS[name];
  if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) bad(name, want, v);
  return v;
}

function oneOf<T extends string>(
  o: Record<string, unknown>,
  name: keyof ResolvedOptions,
  values: readonly T[],
): T {
  const v = o[name] ?? DEFAULTS[name];
  if (typeof v !== 'string' || !values.includes(v as T))
    bad(name, `one of ${values.join(', ')}`, v);
  return v as T;
}

export function resolveOptions(options: ForecasterOptions = {}): ResolvedOptions {
  if (options === null || typeof options !== 'object') bad('options', 'an object', options);
  const o = options as Record<string, unknown>;
  const known = new Set(Object.keys(DEFAULTS));
  for (const key of Object.keys(o)) {
    if (!known.has(key)) throw new EngineError('bad-config', `unknown option "${key}"`);
  }
  const features = int(o, 'features', 1, 64);
  const horizon = int(o, 'horizon', 1, 512);
  const window = int(o, 'window', 2, 1024);
  let budget: ResolvedOptions['budget'] = DEFAULTS.budget;
  if (o.budget !== undefined) {
    const b = o.budget as Record<string, unknown>;
    if (b && typeof b === 'object' && 'stepsPerSample' in b) {
      const s = b.stepsPerSample;
      if (typeof s !== 'number' || !Number.isInteger(s) || s < 0 || s > 64) {
        bad('budget.stepsPerSample', 'an integer in [0, 64]', s);
      }
      budget = { stepsPerSample: s };
    } else if (b && typeof b === 'object' && 'cpuShare' in b) {
      const c = b.cpuShare;
      if (typeof c !== 'number' || !(c > 0 && c <= 1))
        bad('budget.cpuShare', 'a number in (0, 1]', c);
      budget = { cpuShare: c };
    } else {
      bad('budget', '{ stepsPerSample } or { cpuShare }', o.budget);
    }
  }
  // a season the user knows; the buffer holds at least three of it
  const capacityMax = 1 << 20;
  const season = int(o, 'season', 0, Math.floor(capacityMax / 3));
  if (season === 1) bad('season', '0 (detect) or a period of at least 2 samples', season);
  const r: ResolvedOptions = {
    horizon,
    window,
    hiddenSize: int(o, 'hiddenSize', 1, 1024),
    numLayers: int(o, 'numLayers', 1, 8),
    dropout: num(o, 'dropout', (v) => v >= 0 && v < 1, 'a number in [0, 1)'),
    learningRate: num(o, 'learningRate', (v) => v > 0 && v <= 1, 'a number in (0, 1]'),
    optimizer: oneOf(o, 'optimizer', ['adam', 'adamw', 'sgd'] as const),
    features,
    targetIndex: int(o, 'targetIndex', 0, features - 1),
    strategy: oneOf(o, 'strategy', ['direct', 'recursive'] as const),
    coverage: num(o, 'coverage', (v) => v > 0 && v < 1, 'a number in (0, 1)'),
    capacity: Math.max(
      int(o, 'capacity', Math.max(64, 2 * (window + horizon)), capacityMax),
      3 * season + window + horizon,
    ),
    budget,
    replay: int(o, 'replay', 0, 64),
    anomalies: oneOf(o, 'anomalies', ['skip', 'downweight', 'train'] as const),
    seed: num(o, 'seed', () => true, 'a finite number'),
    season,
    anomalyLevel: num(o, 'anomalyLevel', (v) => v > 0.5 && v < 1, 'a number in (0.5, 1)'),
    cell: oneOf(o, 'cell', ['lstm', 'gru'] as const),
    kernels: oneOf(o, 'kernels', ['auto', 'js'] as const),
  };
  return r;
}
