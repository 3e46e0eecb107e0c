import * as Comlink from 'comlink';
import { afterEach, describe, expect, it } from 'vitest';
import type { EchoApi } from './fixtures/echo.worker';

describe('browser smoke test', () => {
  let worker: Worker | undefined;
  afterEach(() => {
    worker?.terminate();
    worker = undefined;
  });

  it('runs in a real browser', () => {
    expect(typeof window).toBe('object');
    expect(navigator.userAgent).toMatch(/Chrome\//);
  });

  it('calls a Comlink function in a module Web Worker', async () => {
    worker = new Worker(new URL('./fixtures/echo.worker.ts', import.meta.url), { type: 'module' });
    const echo = Comlink.wrap<EchoApi>(worker);
    const values = Float32Array.from([0.5, 1.5, 2, 4]);
    expect(await echo.sum(values)).toBe(8);
    expect(await echo.where()).toBe('worker');
  });

  it('draws on a canvas and reads the pixels back', () => {
    const canvas = document.createElement('canvas');
    canvas.width = 4;
    canvas.height = 2;
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    if (!ctx) throw new Error('no 2d context');
    ctx.fillStyle = 'rgb(255, 0, 0)';
    ctx.fillRect(0, 0, 2, 2); // left half red, right half stays transparent
    const left = Array.from(ctx.getImageData(0, 0, 1, 1).data);
    const right = Array.from(ctx.getImageData(3, 1, 1, 1).data);
    expect(left).toEqual([255, 0, 0, 255]);
    expect(right).toEqual([0, 0, 0, 0]);
  });
});
