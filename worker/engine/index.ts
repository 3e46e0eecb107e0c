// The online forecasting engine: pure TypeScript, no DOM, no Comlink. Usable in a worker and
// directly in Node.

export { Forecaster, SNAPSHOT_VERSION, type ForecasterSnapshot } from './forecaster';
export { EngineError, type EngineErrorCode, type ErrorInfo } from './errors';
export { DEFAULTS, resolveOptions, type ResolvedOptions } from './config';
export { detectSeason } from './season';
export { AdaptiveConformal } from './conformal';
export type {
  Anomaly,
  Forecast,
  ForecasterOptions,
  ForecasterStats,
  ForecastUpdate,
  PushResult,
} from './types';
