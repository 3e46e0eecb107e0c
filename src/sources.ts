// Live data sources for the element's `src` attribute: a WebSocket (ws://, wss://), Server-Sent
// Events (http://, https:// or a relative URL, through EventSource), or polling a JSON URL. Each
// turns messages into samples (see ./message.ts for the formats), counts the malformed ones, and
// reconnects with exponential backoff and jitter, reporting every step through onStatus so the
// element's status line can say "reconnecting in 2.1 s". DOM APIs only, no dependencies.

import { parseMessage, type Sample, type SourceErrorInfo } from './message';

export { parseMessage } from './message';
export type { Sample, SourceErrorInfo } from './message';

/**
 * 'connecting': a connection (or, polling, the first request after a failure) is under way.
 * 'open': connected (polling: the last request succeeded). 'reconnecting': the last attempt failed
 * or the connection was lost, and a retry is scheduled in `retryInMs`. 'closed': close() was
 * called, or the URL cannot be used (a 'bad-url' error); nothing more will happen.
 */
export type SourceState = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface SourceStatus {
  state: SourceState;
  /** The URL in use, resolved against the page (the given text when it is a bad URL). */
  url: string;
  /** Failed attempts in a row; 0 once a message has arrived on the current connection. */
  attempt: number;
  /** While 'reconnecting', the delay of the scheduled retry; otherwise null. */
  retryInMs: number | null;
  /** Samples delivered to onSamples (in poll mode, after dropping overlapping readings). */
  received: number;
  /** Messages rejected as malformed, each also reported to onError. */
  malformed: number;
}

/**
 * Retry n (n >= 1) waits min(maxMs, initialMs * factor^(n-1)) * (1 + jitter * u), u uniform in
 * [-1, 1): ±30% by default. maxMs caps the delay before jitter, so clients that have all reached
 * the cap still spread out. With factor > (1 + jitter) / (1 - jitter) (2 > 1.86 for the defaults)
 * the ranges of consecutive retries below the cap do not overlap: each retry waits longer than the
 * one before, whatever the random numbers.
 */
export interface BackoffOptions {
  /** Delay before the first retry, ms. Default 500. */
  initialMs?: number;
  /** Cap on the delay before jitter, ms. Default 30000. */
  maxMs?: number;
  /** Growth per failed attempt. Default 2. */
  factor?: number;
  /** Relative spread, in [0, 1]. Default 0.3 (±30%). */
  jitter?: number;
}

export interface SourceOptions {
  url: string;
  /**
   * 'auto' (default): ws:// and wss:// open a WebSocket; http://, https:// and relative URLs an
   * EventSource. 'poll': fetch the (http(s) or relative) URL every `pollInterval` ms.
   */
  mode?: 'auto' | 'poll';
  /** Poll mode: ms from the start of one request to the start of the next. Default 1000. */
  pollInterval?: number;
  /** Dotted path to the value in an object message: "data.temp", "readings.0.v". */
  valuePath?: string;
  /** Dotted path to the time; by default the first of "t", "time", "timestamp" present. */
  timePath?: string;
  /** The samples of one message (a message may hold several). Never called with none. */
  onSamples(samples: Sample[]): void;
  /** A malformed message or a lost connection (the source carries on), or a bad URL (it stops). */
  onError(e: SourceErrorInfo): void;
  /** Every state change and every retry scheduled; not for close(), which the caller knows of. */
  onStatus(s: SourceStatus): void;
  backoff?: BackoffOptions;
  /** Uniform [0, 1) numbers for the jitter; Math.random by default. For tests. */
  random?: () => number;
}

export interface Source {
  /** Stop: close the connection, cancel every timer and request. No callback runs after it. */
  close(): void;
  /** A snapshot of the current status, counts included. */
  readonly status: SourceStatus;
}

export const DEFAULT_BACKOFF: Readonly<Required<BackoffOptions>> = {
  initialMs: 500,
  maxMs: 30_000,
  factor: 2,
  jitter: 0.3,
};

export const DEFAULT_POLL_INTERVAL_MS = 1000;

/** A poll request that has not answered after max(this, pollInterval) ms counts as failed. */
const POLL_TIMEOUT_MS = 10_000;

/** The delay before retry `attempt` (1 for the first retry), as BackoffOptions describes. */
export function backoffDelay(
  attempt: number,
  backoff: Readonly<Required<BackoffOptions>>,
  random: () => number,
): number {
  const { initialMs, maxMs, factor, jitter } = backoff;
  const base = Math.min(maxMs, initialMs * factor ** Math.max(0, attempt - 1));
  return Math.round(base * (1 + jitter * (2 * random() - 1)));
}

/**
 * Open a live source. The first onStatus ('connecting', or an onError 'bad-url' and 'closed') is
 * called before this returns. Callbacks that throw are reported (reportError) and do not stop
 * the source.
 */
export function openSource(options: SourceOptions): Source {
  return new LiveSource(options);
}

type Transport = 'websocket' | 'eventsource' | 'poll';

class LiveSource implements Source {
  readonly #options: SourceOptions;
  readonly #backoff: Readonly<Required<BackoffOptions>>;
  readonly #random: () => number;
  readonly #pollInterval: number;
  readonly #status: SourceStatus;
  readonly #transport: Transport | undefined;
  /** Bumped by every new connection and by close(): events of older ones are ignored. */
  #generation = 0;
  #closed = false;
  /** Undoes the current connection: removes its handlers and closes it. */
  #teardown: (() => void) | undefined;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #pollTimer: ReturnType<typeof setTimeout> | undefined;
  /** Poll mode: the latest time delivered; readings at or before it are overlap. */
  #lastTime = -Infinity;

  constructor(options: SourceOptions) {
    this.#options = options;
    this.#backoff = checkBackoff(options.backoff);
    this.#random = options.random ?? Math.random;
    const interval = options.pollInterval;
    this.#pollInterval =
      interval !== undefined && Number.isFinite(interval) && interval > 0
        ? interval
        : DEFAULT_POLL_INTERVAL_MS;
    const resolved = resolveUrl(options.url, options.mode ?? 'auto');
    this.#status = {
      state: 'connecting',
      url: typeof resolved === 'string' ? options.url : resolved.url,
      attempt: 0,
      retryInMs: null,
      received: 0,
      malformed: 0,
    };
    if (typeof resolved === 'string') {
      this.#fail('bad-url', resolved);
      return;
    }
    this.#transport = resolved.transport;
    this.#connect();
  }

  get status(): SourceStatus {
    return { ...this.#status };
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#generation += 1;
    clearTimeout(this.#retryTimer);
    clearTimeout(this.#pollTimer);
    this.#teardown?.();
    this.#teardown = undefined;
    this.#status.state = 'closed';
    this.#status.retryInMs = null;
  }

  #connect(): void {
    this.#retryTimer = undefined;
    if (this.#closed) return;
    this.#generation += 1;
    this.#status.state = 'connecting';
    this.#status.retryInMs = null;
    this.#emitStatus();
    if (this.#closed) return;
    const generation = this.#generation;
    try {
      if (this.#transport === 'websocket') this.#openWebSocket(generation);
      else if (this.#transport === 'eventsource') this.#openEventSource(generation);
      else void this.#poll(generation);
    } catch (e) {
      // The constructors throw a SyntaxError for URLs they refuse (a ws:// URL with a fragment).
      this.#fail('bad-url', `cannot open ${this.#status.url}: ${errorText(e)}`);
    }
  }

  #openWebSocket(generation: number): void {
    const ws = new WebSocket(this.#status.url);
    ws.binaryType = 'arraybuffer';
    let opened = false;
    const live = () => generation === this.#generation && !this.#closed;
    ws.onopen = () => {
      if (!live()) return;
      opened = true;
      this.#setState('open');
    };
    ws.onmessage = (e: MessageEvent<string | ArrayBuffer>) => {
      if (live()) this.#message(typeof e.data === 'string' ? e.data : decodeUtf8(e.data));
    };
    ws.onclose = (e) => {
      if (!live()) return;
      const how = opened ? 'connection lost' : 'could not connect';
      this.#lost(`WebSocket ${how} (code ${e.code}${e.reason ? `: ${e.reason}` : ''})`);
    };
    // An error is always followed by a close event, which carries the code.
    this.#teardown = () => {
      ws.onopen = ws.onmessage = ws.onclose = null;
      ws.close();
    };
  }

  #openEventSource(generation: number): void {
    const es = new EventSource(this.#status.url);
    let opened = false;
    const live = () => generation === this.#generation && !this.#closed;
    es.onopen = () => {
      if (!live()) return;
      opened = true;
      this.#setState('open');
    };
    es.onmessage = (e: MessageEvent<string>) => {
      if (live()) this.#message(e.data);
    };
    // EventSource would reconnect by itself (or give up for good on an HTTP error), silently and
    // on its own schedule: close it and back off here, so the status says what happens.
    es.onerror = () => {
      if (live()) this.#lost(`EventSource ${opened ? 'connection lost' : 'could not connect'}`);
    };
    this.#teardown = () => {
      es.onopen = es.onmessage = es.onerror = null;
      es.close();
    };
  }

  async #poll(generation: number): Promise<void> {
    const live = () => generation === this.#generation && !this.#closed;
    const started = performance.now();
    const controller = new AbortController();
    const timeoutMs = Math.max(POLL_TIMEOUT_MS, this.#pollInterval);
    let timedOut = false;
    const timeout = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    this.#teardown = () => {
      clearTimeout(timeout);
      controller.abort();
    };
    let body: string;
    try {
      const response = await fetch(this.#status.url, {
        signal: controller.signal,
        cache: 'no-store',
        headers: { Accept: 'application/json' },
      });
      if (!response.ok) throw new Error(`HTTP ${response.status} ${response.statusText}`.trim());
      body = await response.text();
    } catch (e) {
      if (live()) {
        const why = timedOut ? `no answer in ${timeoutMs} ms` : errorText(e);
        this.#lost(`poll failed: ${why}`);
      }
      return;
    } finally {
      clearTimeout(timeout);
    }
    if (!live()) return;
    this.#teardown = undefined;
    this.#setState('open');
    if (live()) this.#message(body);
    if (!live()) return;
    const wait = Math.max(0, this.#pollInterval - (performance.now() - started));
    this.#pollTimer = setTimeout(() => {
      this.#pollTimer = undefined;
      if (live()) void this.#poll(generation);
    }, wait);
    this.#teardown = () => clearTimeout(this.#pollTimer);
  }

  /** One message from the current connection: proof that it works, and maybe samples. */
  #message(raw: string): void {
    if (this.#status.attempt > 0) {
      this.#status.attempt = 0;
      this.#emitStatus();
      if (this.#closed) return;
    }
    const result = parseMessage(raw, this.#options.valuePath, this.#options.timePath);
    if (!Array.isArray(result)) {
      this.#status.malformed += 1;
      safely(() => this.#options.onError(result));
      return;
    }
    const samples = this.#transport === 'poll' ? this.#dropOverlap(result) : result;
    if (samples.length === 0) return;
    this.#status.received += samples.length;
    safely(() => this.#options.onSamples(samples));
  }

  /** Polling returns overlapping windows: keep only readings newer than any delivered before. */
  #dropOverlap(samples: Sample[]): Sample[] {
    return samples.filter((s) => {
      if (s.time === undefined) return true;
      if (s.time <= this.#lastTime) return false;
      this.#lastTime = s.time;
      return true;
    });
  }

  /** The connection failed or was lost: report it and schedule the next attempt. */
  #lost(reason: string): void {
    this.#teardown?.();
    this.#teardown = undefined;
    this.#generation += 1;
    const attempt = this.#status.attempt + 1;
    const delay = backoffDelay(attempt, this.#backoff, this.#random);
    const message = `${reason}; retry ${attempt} in ${(delay / 1000).toFixed(1)} s (${this.#status.url})`;
    safely(() => this.#options.onError({ code: 'connection', message }));
    if (this.#closed) return;
    this.#status.attempt = attempt;
    this.#retryTimer = setTimeout(() => this.#connect(), delay);
    this.#setState('reconnecting', delay);
  }

  /** A URL that cannot work: report it and stop for good. */
  #fail(code: 'bad-url', message: string): void {
    this.#teardown?.();
    this.#teardown = undefined;
    this.#closed = true;
    this.#generation += 1;
    safely(() => this.#options.onError({ code, message }));
    this.#status.state = 'closed';
    this.#status.retryInMs = null;
    this.#emitStatus();
  }

  #setState(state: SourceState, retryInMs: number | null = null): void {
    if (this.#status.state === state && this.#status.retryInMs === retryInMs) return;
    this.#status.state = state;
    this.#status.retryInMs = retryInMs;
    this.#emitStatus();
  }

  #emitStatus(): void {
    const status = { ...this.#status };
    safely(() => this.#options.onStatus(status));
  }
}

/** Which transport a URL asks for, or why it cannot be used. */
function resolveUrl(
  text: string,
  mode: 'auto' | 'poll',
): { url: string; transport: Transport } | string {
  let url: URL;
  try {
    url = new URL(text, globalThis.location?.href);
  } catch {
    return `not a URL: ${JSON.stringify(text)}`;
  }
  const web = url.protocol === 'http:' || url.protocol === 'https:';
  const socket = url.protocol === 'ws:' || url.protocol === 'wss:';
  if (mode === 'poll') {
    if (web) return { url: url.href, transport: 'poll' };
    return `polling needs an http(s) URL, not ${url.protocol}// (${url.href})`;
  }
  if (socket) return { url: url.href, transport: 'websocket' };
  if (web) return { url: url.href, transport: 'eventsource' };
  return `unsupported scheme ${url.protocol} (use ws://, wss://, http:// or https://): ${url.href}`;
}

function checkBackoff(b: BackoffOptions | undefined): Readonly<Required<BackoffOptions>> {
  const pick = (x: number | undefined, fallback: number, ok: (x: number) => boolean) =>
    x !== undefined && Number.isFinite(x) && ok(x) ? x : fallback;
  const initialMs = pick(b?.initialMs, DEFAULT_BACKOFF.initialMs, (x) => x >= 0);
  return {
    initialMs,
    maxMs: pick(b?.maxMs, Math.max(DEFAULT_BACKOFF.maxMs, initialMs), (x) => x >= initialMs),
    factor: pick(b?.factor, DEFAULT_BACKOFF.factor, (x) => x >= 1),
    jitter: pick(b?.jitter, DEFAULT_BACKOFF.jitter, (x) => x >= 0 && x <= 1),
  };
}

/** Call back into the user; an exception is reported as uncaught but does not stop the source. */
function safely(call: () => void): void {
  try {
    call();
  } catch (e) {
    if (typeof reportError === 'function') reportError(e);
    else
      setTimeout(() => {
        throw e;
      });
  }
}

const utf8 = new TextDecoder();

function decodeUtf8(data: ArrayBuffer): string {
  return utf8.decode(data);
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
