// What GET /sensors answers (demo/server/sensors.ts): shared by the server and the page, so it
// holds types only and imports nothing.

export interface StreamInfo {
  id: string;
  label: string;
  /** A short name for tight spots (the anomaly log). */
  short: string;
  unit: string;
  /** One line on what the series does (and so what to look for). */
  description: string;
  /** The transport the dashboard uses for this stream; every stream is served over both. */
  transport: 'sse' | 'ws';
  /** Where the stream came from, shown under the dashboard. */
  origin: string;
  /** Paths on the sensor server (or behind the proxy): SSE, and WebSocket on the same host. */
  sse: string;
  ws: string;
}

export interface Catalogue {
  /** Readings per second per stream. */
  rate: number;
  minRate: number;
  maxRate: number;
  /** Simulated time between two readings of a simulated sensor, ms. */
  simStepMs: number;
  simulated: StreamInfo[];
  replay: StreamInfo[];
}
