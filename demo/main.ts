// The live sensor dashboard: one <lstm-forecast> per sensor, fed by the demo's sensor server
// (demo/server/sensors.ts, behind Vite at /sensors) over SSE or WebSocket; an anomaly log fed by
// the elements' `anomaly` events; model settings applied to every element as attributes; the
// server's sample rate; a light/dark switch; simulated sensors or replays of real series.
//
// URL parameters (for links and the screenshot script): ?mode=simulated|replay, ?theme=light|dark,
// and any model setting by its attribute name, e.g. ?hidden-size=64&horizon=48.

import '../src/lstm-forecast';
import type {
  ErrorEventDetail,
  ForecastEventDetail,
  LstmForecast,
  TrainEventDetail,
} from '../src/lstm-forecast';
import { AnomalyLog } from './anomaly-log';
import type { Catalogue, StreamInfo } from './catalogue';
import { formatDuration, formatTime, formatValue } from './format';

type Mode = 'simulated' | 'replay';
type Theme = 'light' | 'dark';

/** Model settings: the element's attribute names, and the dashboard's defaults. */
const MODEL_DEFAULTS = {
  'hidden-size': '32',
  layers: '1',
  window: '32',
  horizon: '24',
  'learning-rate': '0.003',
  coverage: '0.8',
} as const;
type ModelSetting = keyof typeof MODEL_DEFAULTS;
const MODEL_SETTINGS = Object.keys(MODEL_DEFAULTS) as ModelSetting[];

/** Samples drawn per chart: a day and a half of the simulated sensors. */
const MAX_POINTS = 360;
/** The positions of the rate slider, readings per second per sensor. */
const RATES = [1, 2, 5, 10, 20, 50, 100, 200];
/** Sensor colours, in catalogue order: the dot on each card and in the anomaly log. */
const COLORS = ['#f97316', '#8b5cf6', '#0ea5e9', '#10b981'];
/** Errors that are news rather than trouble. */
const INFO_CODES = new Set(['model-rebuilt']);
const THEME_KEY = 'lstm-forecast-demo:theme';
/**
 * Display attributes per simulated sensor: a warm afternoon is warned of ahead (20 °C), the
 * forecast made 12 readings earlier is drawn over the temperature's history, and quantities that
 * cannot be negative keep their y axis at 0.
 */
const DISPLAY: Record<string, Record<string, string>> = {
  temperature: { 'threshold-high': '20', 'past-forecast': '12' },
  vibration: { 'y-min': '0' },
  flow: { 'y-min': '0' },
};
const HOUR_MS = 3600_000;

function byId<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`demo/index.html has no #${id}`);
  return el as T;
}

function find<T extends Element>(root: ParentNode, selector: string): T {
  const el = root.querySelector<T>(selector);
  if (!el) throw new Error(`no ${selector} in the card template`);
  return el;
}

const params = new URLSearchParams(location.search);

/** A URL for the element's src: SSE paths stay relative, WebSocket ones get this page's host. */
function streamUrl(info: StreamInfo): string {
  if (info.transport === 'sse') return info.sse;
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${info.ws}`;
}

/** One sensor: its card, its element, and what the element's events say about it. */
class SensorCard {
  readonly root: HTMLElement;
  readonly el: LstmForecast;
  /** Typical spacing of the samples, ms (from the forecast times). */
  stepMs = NaN;
  /** Time of the newest sample (from the forecasts). */
  latest = NaN;
  private readonly forecastLabel: HTMLElement;
  private readonly forecastValue: HTMLElement;
  private readonly forecastSpread: HTMLElement;
  private readonly skill: HTMLElement;
  private readonly train: HTMLElement;
  private readonly state: HTMLElement;
  private readonly foot: HTMLElement;
  private lastTrain: TrainEventDetail | null = null;
  private notice: { text: string; until: number; kind: 'info' | 'warn' } | null = null;

  constructor(
    readonly info: StreamInfo,
    readonly color: string,
    readonly mode: Mode,
    settings: Record<ModelSetting, string>,
    theme: Theme,
  ) {
    const template = byId<HTMLTemplateElement>('card');
    this.root = (template.content.cloneNode(true) as DocumentFragment)
      .firstElementChild as HTMLElement;
    this.root.style.setProperty('--sensor-color', color);
    find(this.root, '.card-title').textContent = info.label;
    const desc = find<HTMLElement>(this.root, '.card-desc');
    desc.textContent = desc.title = info.description;
    const badge = find<HTMLElement>(this.root, '.transport');
    badge.textContent = info.transport === 'sse' ? 'SSE' : 'WebSocket';
    badge.title = `${info.transport === 'sse' ? 'Server-Sent Events' : 'WebSocket'}: ${streamUrl(info)}`;
    this.forecastLabel = find(this.root, '.forecast-label');
    this.forecastValue = find(this.root, '.forecast-value');
    this.forecastSpread = find(this.root, '.forecast-spread');
    this.skill = find(this.root, '.skill');
    this.train = find(this.root, '.train');
    this.state = find(this.root, '.state');
    this.foot = find(this.root, '.card-foot');

    const el = document.createElement('lstm-forecast');
    // The card carries the full name; the chart's legend has room for the short one.
    el.setAttribute('label', info.short);
    el.setAttribute('unit', info.unit);
    el.setAttribute('max-points', String(MAX_POINTS));
    el.setAttribute('theme', theme);
    for (const name of MODEL_SETTINGS) el.setAttribute(name, settings[name]);
    el.setAttribute('src', streamUrl(info));
    for (const [name, value] of Object.entries(DISPLAY[info.id] ?? {}))
      el.setAttribute(name, value);
    el.addEventListener('forecast', (e) => this.onForecast(e.detail));
    el.addEventListener('train', (e) => this.onTrain(e.detail));
    el.addEventListener('forecast-error', (e) =>
      this.onError((e as CustomEvent<ErrorEventDetail>).detail),
    );
    el.addEventListener('ready', () => this.setState('waiting for data', 'idle'));
    this.el = el;
    find(this.root, '.chart-slot').append(el);
  }

  private onForecast(f: ForecastEventDetail): void {
    const h = f.mean.length - 1;
    if (h < 0) return;
    this.latest = f.from;
    if (f.time.length > 1) this.stepMs = (f.time[h] - f.from) / (h + 1);
    const ahead = formatDuration(f.time[h] - f.from);
    this.forecastLabel.textContent = ahead ? `Forecast in ${ahead}` : `Forecast, ${h + 1} steps`;
    const half = (f.upper[h] - f.lower[h]) / 2;
    this.forecastValue.textContent = formatValue(f.mean[h], this.info.unit);
    this.forecastSpread.textContent = Number.isFinite(half) ? `± ${formatValue(half)}` : '';
  }

  private onTrain(t: TrainEventDetail): void {
    this.lastTrain = t;
    if (t.warmupRemaining > 0) {
      this.setSkill('warm-up', 'neutral');
    } else {
      const pct = Math.round(t.skill * 100);
      this.setSkill(
        `${pct > 0 ? '+' : ''}${pct}%`,
        pct >= 5 ? 'good' : pct <= -5 ? 'bad' : 'neutral',
      );
    }
    this.train.textContent = `${Math.round(t.stepsPerSecond).toLocaleString()} / s`;
    this.refreshState();
  }

  private onError(e: ErrorEventDetail): void {
    const info = INFO_CODES.has(e.code);
    const text =
      e.code === 'model-rebuilt'
        ? 'model rebuilt with the new settings'
        : e.code === 'connection'
          ? 'connection lost, reconnecting…'
          : e.message;
    this.notice = {
      text,
      until: performance.now() + (info ? 4000 : 8000),
      kind: info ? 'info' : 'warn',
    };
    this.refreshState();
  }

  /** The footer: connection and counts, or a recent notice. */
  refreshState(): void {
    if (this.notice && performance.now() < this.notice.until) {
      this.setState(this.notice.text, this.notice.kind === 'warn' ? 'warn' : 'live');
      return;
    }
    this.notice = null;
    const t = this.lastTrain;
    if (!t) return;
    const parts = ['live'];
    if (Number.isFinite(this.latest))
      parts.push(
        formatTime(this.latest, this.stepMs, { calendar: this.mode === 'replay', year: true }),
      );
    parts.push(`${t.samples.toLocaleString()} samples`);
    if (t.warmupRemaining > 0)
      parts.push(
        `first forecast in ${t.warmupRemaining} more sample${t.warmupRemaining === 1 ? '' : 's'}`,
      );
    if (Number.isFinite(t.loss)) parts.push(`loss ${t.loss.toPrecision(2)}`);
    this.setState(parts.join(' · '), 'live');
  }

  private setSkill(text: string, kind: 'good' | 'bad' | 'neutral'): void {
    if (this.skill.textContent !== text) this.skill.textContent = text;
    this.skill.dataset.kind = kind;
  }

  private setState(text: string, kind: 'live' | 'warn' | 'idle'): void {
    if (this.state.textContent !== text) this.state.textContent = text;
    this.foot.dataset.state = kind;
  }
}

class Dashboard {
  private catalogue: Catalogue | null = null;
  private mode: Mode = params.get('mode') === 'replay' ? 'replay' : 'simulated';
  private theme: Theme = document.documentElement.dataset.theme === 'dark' ? 'dark' : 'light';
  private readonly settings = { ...MODEL_DEFAULTS } as Record<ModelSetting, string>;
  private cards: SensorCard[] = [];
  private readonly byElement = new Map<EventTarget, SensorCard>();
  private readonly grid = byId<HTMLElement>('sensors');
  private readonly form = byId<HTMLFormElement>('settings');
  private readonly rateInput = byId<HTMLInputElement>('rate');
  private readonly log = new AnomalyLog(
    byId<HTMLTableSectionElement>('anomalies'),
    byId('anomaly-count'),
  );

  async start(): Promise<void> {
    for (const name of MODEL_SETTINGS) {
      const asked = params.get(name);
      if (asked !== null) this.settings[name] = asked;
    }
    this.initSettings();
    this.initTheme();
    this.initModes();
    // The events bubble out of the elements (and their shadow roots): one listener for all.
    this.grid.addEventListener('anomaly', (e) => {
      const card = this.byElement.get(e.target as EventTarget);
      if (!card) return;
      this.log.add(e.detail, {
        label: card.info.short,
        unit: card.info.unit,
        stepMs: card.stepMs,
        calendar: card.mode === 'replay',
        color: card.color,
      });
    });
    setInterval(() => this.tick(), 250);

    try {
      const res = await fetch('/sensors');
      if (!res.ok) throw new Error(`GET /sensors answered ${res.status}`);
      this.catalogue = (await res.json()) as Catalogue;
    } catch (e) {
      this.showBanner(
        `The sensor server is not answering at /sensors (${(e as Error).message}). ` +
          'Start the demo with npm run demo, which runs it beside Vite.',
      );
      return;
    }
    this.initRate(this.catalogue.rate);
    this.build();
  }

  /** (Re)creates one card and element per stream of the current mode. */
  private build(): void {
    const cat = this.catalogue;
    if (!cat) return;
    for (const card of this.cards) card.root.remove(); // the elements release their models
    this.byElement.clear();
    this.log.clear();
    const streams = this.mode === 'replay' ? cat.replay : cat.simulated;
    this.cards = streams.map(
      (info, i) =>
        new SensorCard(info, COLORS[i % COLORS.length], this.mode, this.settings, this.theme),
    );
    for (const card of this.cards) this.byElement.set(card.el, card);
    this.grid.replaceChildren(...this.cards.map((c) => c.root));
    for (const b of document.querySelectorAll<HTMLButtonElement>('[data-mode]')) {
      b.setAttribute('aria-pressed', String(b.dataset.mode === this.mode));
    }
    const origins = [...new Set(streams.map((s) => s.origin))];
    byId('footer-source').textContent =
      this.mode === 'replay'
        ? `Replaying ${origins.join(', ')} (BSD-3-Clause), bundled with the npm package`
        : 'Sensors simulated by demo/server/simulate.ts';
    this.updateSpeed();
  }

  private initModes(): void {
    for (const b of document.querySelectorAll<HTMLButtonElement>('[data-mode]')) {
      b.addEventListener('click', () => {
        const mode = b.dataset.mode === 'replay' ? 'replay' : 'simulated';
        if (mode === this.mode) return;
        this.mode = mode;
        this.setParam('mode', mode === 'simulated' ? null : mode);
        this.build();
      });
    }
  }

  private initSettings(): void {
    const form = this.form;
    for (const name of MODEL_SETTINGS) {
      const input = form.elements.namedItem(name) as HTMLInputElement | HTMLSelectElement | null;
      if (!input) continue;
      if (
        input instanceof HTMLSelectElement &&
        ![...input.options].some((o) => o.value === this.settings[name])
      ) {
        input.add(new Option(this.settings[name])); // a value from the URL that is not listed
      }
      input.value = this.settings[name];
    }
    const coverageOut = form.elements.namedItem('coverage-out') as HTMLOutputElement;
    const coverage = form.elements.namedItem('coverage') as HTMLInputElement;
    const showCoverage = () => (coverageOut.value = `${Math.round(Number(coverage.value) * 100)}%`);
    showCoverage();
    coverage.addEventListener('input', showCoverage);
    // 'change' fires on a select's pick and when a slider is let go: one rebuild per decision.
    form.addEventListener('change', (e) => {
      const input = e.target as HTMLInputElement | HTMLSelectElement;
      const name = input.name as ModelSetting;
      if (!MODEL_SETTINGS.includes(name)) return;
      this.settings[name] = input.value;
      this.setParam(name, input.value === MODEL_DEFAULTS[name] ? null : input.value);
      for (const card of this.cards) card.el.setAttribute(name, input.value);
    });
    form.addEventListener('submit', (e) => e.preventDefault());
    byId('reset').addEventListener('click', () => {
      this.log.clear();
      for (const card of this.cards) void card.el.reset();
    });
  }

  private initRate(rate: number): void {
    const input = this.rateInput;
    const nearest = (r: number) =>
      RATES.reduce(
        (best, x, i) =>
          Math.abs(Math.log(x / r)) < Math.abs(Math.log(RATES[best] / r)) ? i : best,
        0,
      );
    input.value = String(nearest(rate));
    this.showRate(rate);
    input.addEventListener('input', () => this.showRate(RATES[Number(input.value)]));
    input.addEventListener('change', async () => {
      const asked = RATES[Number(input.value)];
      try {
        const res = await fetch('/sensors/rate', {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ rate: asked }),
        });
        if (!res.ok) throw new Error(`POST /sensors/rate answered ${res.status}`);
        const { rate: now } = (await res.json()) as { rate: number };
        if (this.catalogue) this.catalogue.rate = now;
        this.showRate(now);
      } catch (e) {
        this.showBanner(`Could not change the rate: ${(e as Error).message}`);
      }
    });
  }

  private showRate(rate: number): void {
    byId<HTMLOutputElement>('rate-out').value = `${rate} / s per sensor`;
    if (this.catalogue) this.updateSpeed(rate);
  }

  private updateSpeed(rate = this.catalogue?.rate ?? NaN): void {
    const cat = this.catalogue;
    if (!cat) return;
    const speed = byId('speed');
    if (this.mode === 'simulated') {
      const hours = (rate * cat.simStepMs) / HOUR_MS;
      speed.textContent = `A reading every ${cat.simStepMs / 60_000} simulated minutes: ${+hours.toFixed(2)} simulated hour${hours === 1 ? '' : 's'} per second.`;
    } else {
      speed.textContent = 'Replays advance one row per reading, in the rows’ own time.';
    }
  }

  private initTheme(): void {
    const button = byId<HTMLButtonElement>('theme');
    const apply = () => {
      document.documentElement.dataset.theme = this.theme;
      button.setAttribute('aria-pressed', String(this.theme === 'dark'));
      find(button, '.label').textContent = this.theme === 'dark' ? 'Light' : 'Dark';
      button.title = `Switch to the ${this.theme === 'dark' ? 'light' : 'dark'} theme`;
      for (const card of this.cards) card.el.setAttribute('theme', this.theme);
    };
    apply();
    button.addEventListener('click', () => {
      this.theme = this.theme === 'dark' ? 'light' : 'dark';
      localStorage.setItem(THEME_KEY, this.theme);
      apply();
    });
  }

  /** Four times a second: the clock in the header, expiring notices on the cards. */
  private tick(): void {
    for (const card of this.cards) card.refreshState();
    const clock = byId('clock');
    if (this.mode === 'replay') {
      clock.textContent = 'Replaying real series';
      return;
    }
    const latest = Math.max(...this.cards.map((c) => c.latest).filter(Number.isFinite));
    clock.textContent = Number.isFinite(latest)
      ? `Simulated time ${formatTime(latest, this.cards[0].stepMs, { calendar: false })}`
      : '';
  }

  private setParam(name: string, value: string | null): void {
    if (value === null) params.delete(name);
    else params.set(name, value);
    const query = params.toString();
    history.replaceState(null, '', query ? `?${query}` : location.pathname);
  }

  private showBanner(text: string): void {
    const banner = byId('banner');
    banner.textContent = text;
    banner.hidden = false;
  }
}

void new Dashboard().start();
