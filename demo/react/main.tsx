// The React wrapper (src/react.ts, published as `lstm-forecast/react`): props set the element's
// attributes and properties, on* props take its events, and a ref is the element itself.

import { StrictMode, useEffect, useRef, useState } from 'react';
import { createRoot } from 'react-dom/client';
import {
  LstmForecast,
  type AnomalyEventDetail,
  type LstmForecastElement,
  type TrainEventDetail,
} from '../../src/react';
import type { Catalogue, StreamInfo } from '../catalogue';

const HIDDEN_SIZES = [8, 16, 32, 64];
const MAX_ANOMALIES = 8;

function App() {
  const [sensors, setSensors] = useState<StreamInfo[]>([]);
  const [failed, setFailed] = useState('');
  const [sensorId, setSensorId] = useState('temperature');
  const [hiddenSize, setHiddenSize] = useState(32);
  const [stats, setStats] = useState<TrainEventDetail | null>(null);
  const [anomalies, setAnomalies] = useState<AnomalyEventDetail[]>([]);
  const chart = useRef<LstmForecastElement>(null);

  useEffect(() => {
    fetch('/sensors')
      .then((res) => (res.ok ? (res.json() as Promise<Catalogue>) : Promise.reject(res.status)))
      .then((cat) => setSensors(cat.simulated))
      .catch((e: unknown) => setFailed(`GET /sensors failed (${String(e)}): run npm run demo`));
  }, []);

  const sensor = sensors.find((s) => s.id === sensorId);
  const pickSensor = (id: string) => {
    setSensorId(id);
    setStats(null);
    setAnomalies([]);
  };

  return (
    <main>
      <h1>&lt;lstm-forecast&gt; in React</h1>
      <p>
        <code>{"import { LstmForecast } from 'lstm-forecast/react'"}</code>: the element as a React
        component. <a href="../">Back to the dashboard</a>.
      </p>
      {failed && <p role="alert">{failed}</p>}

      <div className="controls">
        <label>
          Sensor
          <select value={sensorId} onChange={(e) => pickSensor(e.target.value)}>
            {sensors.map((s) => (
              <option key={s.id} value={s.id}>
                {s.label}
              </option>
            ))}
          </select>
        </label>
        <label>
          Hidden size (rebuilds the model)
          <select value={hiddenSize} onChange={(e) => setHiddenSize(Number(e.target.value))}>
            {HIDDEN_SIZES.map((h) => (
              <option key={h}>{h}</option>
            ))}
          </select>
        </label>
        <button type="button" onClick={() => void chart.current?.reset()}>
          Reset the model
        </button>
      </div>

      {sensor && (
        <LstmForecast
          // A new element per sensor: each series gets its own model.
          key={sensor.id}
          ref={chart}
          label={sensor.label}
          unit={sensor.unit}
          src={sensor.sse}
          hiddenSize={hiddenSize}
          horizon={24}
          maxPoints={360}
          onTrain={(e) => setStats(e.detail)}
          onAnomaly={(e) => setAnomalies((a) => [e.detail, ...a].slice(0, MAX_ANOMALIES))}
        />
      )}

      <p className="stats">
        {stats === null
          ? 'Waiting for data…'
          : stats.warmupRemaining > 0
            ? `Warming up: ${stats.warmupRemaining} samples to the first forecast`
            : `${stats.samples} samples · ${Math.round(stats.stepsPerSecond)} training steps/s · ` +
              `skill ${Math.round(stats.skill * 100)}% vs naive`}
      </p>

      <h2>Latest anomalies</h2>
      {anomalies.length === 0 ? (
        <p>None yet.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Time</th>
              <th>Value</th>
              <th>Expected</th>
              <th>Score</th>
            </tr>
          </thead>
          <tbody>
            {anomalies.map((a) => (
              <tr key={a.time}>
                <td>{new Date(a.time).toLocaleString()}</td>
                <td>{a.value.toFixed(2)}</td>
                <td>{a.expected.toFixed(2)}</td>
                <td>{a.score.toFixed(1)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </main>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
