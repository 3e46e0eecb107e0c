// `lstm-forecast/react`: <lstm-forecast> as a React component. Attributes and properties pass as
// props (`label`, `hiddenSize`, `src`, ...); the element's events as onForecast, onAnomaly,
// onTrain, onForecastError (onError before: the event is `forecast-error` now), onReady,
// onThreshold and onStale, each handed the element's typed CustomEvent. A ref is the element
// itself, for its methods: `ref.current.pushMany([...])`.
//
//   import { LstmForecast } from 'lstm-forecast/react';
//   <LstmForecast label="Temperature" unit="°C" src="wss://…" onForecast={(e) => e.detail.mean} />

import { createComponent, type EventName } from '@lit/react';
import * as React from 'react';
import {
  LstmForecast as LstmForecastElement,
  type AnomalyEventDetail,
  type ErrorEventDetail,
  type ForecastEventDetail,
  type ReadyEventDetail,
  type StaleEventDetail,
  type ThresholdEventDetail,
  type TrainEventDetail,
} from './lstm-forecast';

export const LstmForecast = createComponent({
  react: React,
  tagName: 'lstm-forecast',
  elementClass: LstmForecastElement,
  displayName: 'LstmForecast',
  events: {
    onForecast: 'forecast' as EventName<CustomEvent<ForecastEventDetail>>,
    onAnomaly: 'anomaly' as EventName<CustomEvent<AnomalyEventDetail>>,
    onTrain: 'train' as EventName<CustomEvent<TrainEventDetail>>,
    onForecastError: 'forecast-error' as EventName<CustomEvent<ErrorEventDetail>>,
    onReady: 'ready' as EventName<CustomEvent<ReadyEventDetail>>,
    onThreshold: 'threshold' as EventName<CustomEvent<ThresholdEventDetail>>,
    onStale: 'stale' as EventName<CustomEvent<StaleEventDetail>>,
  },
});

export type { LstmForecastElement };
export type {
  AnomalyEventDetail,
  ErrorEventDetail,
  ForecastEventDetail,
  PushValue,
  ReadyEventDetail,
  StaleEventDetail,
  ThresholdEventDetail,
  TrainEventDetail,
} from './lstm-forecast';
