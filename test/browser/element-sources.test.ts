// <lstm-forecast src="..."> end to end against the feed server (test/support/feed-server.ts):
// a WebSocket and an SSE stream feed the element's model, a dropped connection reconnects and
// the samples resume, and malformed messages become `error` events while good ones keep coming.

import { afterEach, describe, expect, inject, it, vi } from 'vitest';
import '../../src/lstm-forecast';
import type { ErrorEventDetail, LstmForecast } from '../../src/lstm-forecast';

const FEED = inject('feedUrl');
const WAIT = { timeout: 15_000, interval: 20 };
const T = 1_700_000_000_000;

async function control(ch: string, action: string, body?: string): Promise<unknown> {
  const res = await fetch(`${FEED}/control/${ch}/${action}`, { method: 'POST', body });
  if (!res.ok) throw new Error(`control ${action}: HTTP ${res.status}`);
  return res.json();
}
const send = (ch: string, ...messages: string[]) => control(ch, 'send', JSON.stringify(messages));

function mount(src: string, extra: Record<string, string> = {}): LstmForecast {
  const el = document.createElement('lstm-forecast');
  el.setAttribute('src', src);
  el.setAttribute('horizon', '4');
  for (const [k, v] of Object.entries(extra)) el.setAttribute(k, v);
  document.body.append(el);
  return el;
}

/** Samples the element's model has taken, from its latest `train` event. */
function watch(el: LstmForecast) {
  const seen = { samples: 0, errors: [] as ErrorEventDetail[], forecasts: 0 };
  el.addEventListener('train', (e) => (seen.samples = e.detail.samples));
  el.addEventListener('forecast', () => seen.forecasts++);
  el.addEventListener('forecast-error', (e) =>
    seen.errors.push((e as CustomEvent<ErrorEventDetail>).detail),
  );
  return seen;
}

const status = (el: LstmForecast) =>
  el.shadowRoot!.querySelector('[part="status"]')!.textContent ?? '';

afterEach(() => document.body.replaceChildren());

for (const transport of ['ws', 'sse'] as const) {
  describe(`src over ${transport === 'ws' ? 'WebSocket' : 'Server-Sent Events'}`, () => {
    it('feeds the model, survives malformed messages and a dropped connection', async () => {
      const ch = `el-${transport}-${Math.random().toString(36).slice(2, 8)}`;
      const url =
        transport === 'ws' ? `${FEED.replace(/^http/, 'ws')}/ws/${ch}` : `${FEED}/sse/${ch}`;
      const el = mount(url, { 'value-path': 'reading.v', 'time-path': 'reading.at' });
      const seen = watch(el);
      await vi.waitFor(() => expect(status(el)).toMatch(/live/), WAIT);
      const msg = (i: number) =>
        JSON.stringify({ reading: { at: T + i * 1000, v: 10 + Math.sin(i / 3) } });
      await send(ch, ...Array.from({ length: 60 }, (_, i) => msg(i)));
      await vi.waitFor(() => expect(seen.samples).toBe(60), WAIT);
      expect(seen.forecasts).toBeGreaterThan(0);

      await send(ch, 'not a number', JSON.stringify({ reading: { at: T + 60_500 } }), msg(61));
      await vi.waitFor(() => expect(seen.samples).toBe(61), WAIT);
      const malformed = seen.errors.filter((e) => e.code === 'malformed-message');
      expect(malformed).toHaveLength(2);
      await vi.waitFor(() => expect(status(el)).toMatch(/2 malformed/), WAIT); // text refreshes at most once a second

      await control(ch, 'drop', '');
      await vi.waitFor(
        () => expect(seen.errors.some((e) => e.code === 'connection')).toBe(true),
        WAIT,
      );
      await vi.waitFor(() => expect(status(el)).toMatch(/live/), WAIT);
      await send(ch, ...Array.from({ length: 5 }, (_, i) => msg(62 + i)));
      await vi.waitFor(() => expect(seen.samples).toBe(66), WAIT);
    }, 30_000);
  });
}
