// The anomaly log: one row per `anomaly` event, newest first, at most MAX_ROWS rows.

import type { AnomalyEventDetail } from '../src/lstm-forecast';
import { formatTime, formatValue } from './format';

const MAX_ROWS = 100;

export interface AnomalySource {
  /** The sensor's short name. */
  label: string;
  unit: string;
  /** Typical spacing of the series' samples, ms: how precisely to print the time. */
  stepMs: number;
  /** Real dates (replays) or a simulated week. */
  calendar: boolean;
  /** A colour that marks the sensor in the log and on its card. */
  color: string;
}

export class AnomalyLog {
  private total = 0;

  constructor(
    private readonly body: HTMLTableSectionElement,
    private readonly counter: HTMLElement,
  ) {
    this.clear();
  }

  add(a: AnomalyEventDetail, from: AnomalySource): void {
    if (this.total++ === 0) this.body.replaceChildren(); // the placeholder
    const row = document.createElement('tr');
    const sensor = document.createElement('span');
    sensor.className = 'sensor-name';
    sensor.style.setProperty('--sensor-color', from.color);
    sensor.textContent = from.label;
    const score = document.createElement('span');
    score.className = a.score >= 3 ? 'score high' : 'score';
    score.textContent = a.score.toFixed(1);
    const cells: (string | Node)[] = [
      formatTime(a.time, from.stepMs, { calendar: from.calendar }),
      sensor,
      formatValue(a.value, from.unit),
      formatValue(a.expected),
      score,
    ];
    cells.forEach((content, i) => {
      const td = document.createElement('td');
      if (i >= 2) td.className = 'num';
      td.append(content);
      row.append(td);
    });
    this.body.prepend(row);
    while (this.body.rows.length > MAX_ROWS) this.body.deleteRow(-1);
    this.counter.textContent =
      this.total > MAX_ROWS
        ? `${this.total.toLocaleString()} in all, newest ${MAX_ROWS} shown`
        : `${this.total.toLocaleString()}`;
  }

  clear(): void {
    this.total = 0;
    const row = this.body.ownerDocument.createElement('tr');
    const cell = row.insertCell();
    cell.colSpan = 5;
    cell.className = 'empty';
    cell.textContent = 'Readings that fall outside their interval appear here.';
    this.body.replaceChildren(row);
    this.counter.textContent = 'none yet';
  }
}
