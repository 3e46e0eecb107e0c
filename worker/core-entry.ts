// The package's `lstm-forecast/core` entry (dist/core.js): the forecasting engine and the numeric
// core under it, for Node or any JavaScript runtime. No DOM, no worker, no Comlink.

export * from './engine';
export * from './core';
