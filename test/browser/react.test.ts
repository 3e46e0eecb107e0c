// lstm-forecast/react (src/react.ts) in a real browser: props reach the element as attributes
// and properties, a ref is the element, and its events reach the onForecast, onTrain and onReady
// props as the element's CustomEvents.

import { createElement, createRef } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { flushSync } from 'react-dom';
import { afterEach, describe, expect, it } from 'vitest';
import type {
  ErrorEventDetail,
  ForecastEventDetail,
  LstmForecast as LstmForecastElement,
} from '../../src/lstm-forecast';
import { LstmForecast } from '../../src/react';

let root: Root | null = null;

afterEach(() => {
  root?.unmount();
  root = null;
  document.body.replaceChildren();
});

describe('lstm-forecast/react', () => {
  it('passes props, gives the element as ref, and maps its events to on* props', async () => {
    const host = document.createElement('div');
    document.body.append(host);
    const ref = createRef<LstmForecastElement>();
    const seen = {
      ready: 0,
      train: 0,
      forecast: [] as ForecastEventDetail[],
      errors: [] as ErrorEventDetail[],
    };
    const ready = new Promise<void>((resolve) => {
      root = createRoot(host);
      flushSync(() =>
        root!.render(
          createElement(LstmForecast, {
            ref,
            label: 'Temperature',
            unit: '°C',
            horizon: 8,
            style: { width: '640px', height: '280px', display: 'block' },
            onReady: () => {
              seen.ready++;
              resolve();
            },
            onTrain: () => seen.train++,
            onForecast: (e) => seen.forecast.push(e.detail),
            onForecastError: (e) => seen.errors.push(e.detail),
          }),
        ),
      );
    });

    const el = ref.current;
    expect(el, 'ref.current is the element').toBeInstanceOf(customElements.get('lstm-forecast')!);
    expect(el!.label).toBe('Temperature');
    expect(el!.horizon, 'a number prop set as a property').toBe(8);
    await ready;

    el!.pushMany(Array.from({ length: 200 }, (_, i) => 20 + 5 * Math.sin((2 * Math.PI * i) / 24)));
    await expect
      .poll(() => seen.forecast.length, {
        timeout: 20_000,
        interval: 50,
        message: 'onForecast called',
      })
      .toBeGreaterThan(0);
    expect(seen.ready).toBe(1);
    expect(seen.train).toBeGreaterThan(0);
    // React sets props after the element is connected; the model must still get horizon 8.
    expect(seen.forecast[0].mean, 'the horizon prop reached the model').toHaveLength(8);
    expect(seen.errors).toEqual([]);
  });

  it('plain JS too: a model property set right after connecting reaches the model', async () => {
    const el = document.createElement('lstm-forecast');
    document.body.append(el);
    el.horizon = 5;
    const forecast = new Promise<ForecastEventDetail>((resolve) =>
      el.addEventListener('forecast', (e) => resolve(e.detail), { once: true }),
    );
    await el.ready();
    el.pushMany(Array.from({ length: 200 }, (_, i) => Math.sin((2 * Math.PI * i) / 24)));
    expect((await forecast).mean).toHaveLength(5);
  });
});
