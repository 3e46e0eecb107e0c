// The element's live source as a Lit ReactiveController: it opens the `src` URL when the element
// is connected (and whenever src, value-path, time-path or poll-interval change while it is),
// closes it when the element is disconnected, and watches it for silence: no sample for
// `staleAfter` ms while it should be delivering makes it stale, until the next sample.

//
// The sources' code (WebSocket, SSE and polling, the message parser) is loaded when a source is
// first opened: a page that only calls push() does not load it.

import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { Sample, Source, SourceStatus } from '../sources';
import type { SourceErrorInfo } from '../message';

/** The element's properties this controller reads. */
export interface SourceHost extends ReactiveControllerHost {
  readonly isConnected: boolean;
  src: string;
  valuePath: string;
  timePath: string;
  pollInterval: number;
  /** Seconds without a sample before the source is stale; 0 never. */
  staleAfter: number;
}

export interface SourceHandlers {
  onSamples(samples: Sample[]): void;
  onError(e: SourceErrorInfo): void;
  /** The counts or staleness changed: the status line is due (at its pace). */
  onChange(): void;
  /** The connection's state changed: the status line says so now. */
  onStatus(): void;
  /** Stale from `since` (the time of the last sample, or of opening); null: fresh again. */
  onStale(since: number | null): void;
}

/** How often staleness is checked. */
const STALE_CHECK_MS = 1000;

export class SourceController implements ReactiveController {
  private source: Source | null = null;
  private latest: SourceStatus | null = null;
  /** What the open source was opened with, to tell when to open it again. */
  private openedWith = '';
  /** A 'bad-url' error: the source stopped for good (until src changes). */
  failure: SourceErrorInfo | null = null;
  /** Time of the last sample (or of opening), ms since the epoch. */
  private lastDataAt = 0;
  /** Stale since this time, or null. */
  staleSince: number | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(
    private readonly host: SourceHost,
    private readonly handlers: SourceHandlers,
  ) {
    host.addController(this);
  }

  /** Bumped by every open and close: a source module that loads late opens nothing stale. */
  private generation = 0;

  /** The source's status (with its counts), or null without a source. */
  get status(): SourceStatus | null {
    if (!this.source) {
      return this.openedWith && !this.failure
        ? {
            state: 'connecting',
            url: this.host.src,
            attempt: 0,
            retryInMs: null,
            received: 0,
            malformed: 0,
          }
        : null;
    }
    return { ...(this.latest ?? this.source.status), malformed: this.source.status.malformed };
  }

  hostConnected(): void {
    this.sync();
  }

  hostUpdated(): void {
    this.sync();
  }

  hostDisconnected(): void {
    this.close();
    this.openedWith = '';
  }

  /** Opens, reopens or closes the source to match the host's properties. */
  private sync(): void {
    const h = this.host;
    if (!h.isConnected) return;
    const wanted = h.src ? JSON.stringify([h.src, h.valuePath, h.timePath, h.pollInterval]) : '';
    if (wanted === this.openedWith) return;
    this.close();
    this.openedWith = wanted;
    if (wanted) this.open();
    this.handlers.onStatus();
  }

  private open(): void {
    const generation = ++this.generation;
    this.failure = null;
    this.lastDataAt = Date.now();
    import('../sources').then(
      ({ openSource }) => {
        if (generation === this.generation) this.start(openSource);
      },
      (e: unknown) => {
        if (generation !== this.generation) return;
        this.failure = { code: 'bad-url', message: `the source code did not load: ${String(e)}` };
        this.handlers.onError(this.failure);
        this.handlers.onStatus();
      },
    );
    this.timer = setInterval(() => this.checkStale(), STALE_CHECK_MS);
  }

  private start(openSource: typeof import('../sources').openSource): void {
    const h = this.host;
    this.source = openSource({
      url: h.src,
      mode: h.pollInterval > 0 ? 'poll' : 'auto',
      pollInterval: h.pollInterval > 0 ? h.pollInterval : undefined,
      valuePath: h.valuePath || undefined,
      timePath: h.timePath || undefined,
      onSamples: (samples) => {
        this.lastDataAt = Date.now();
        if (this.staleSince !== null) {
          this.staleSince = null;
          this.handlers.onStale(null);
        }
        this.handlers.onSamples(samples);
      },
      onError: (e) => {
        if (e.code === 'bad-url') this.failure = e;
        this.handlers.onError(e);
        this.handlers.onChange(); // the malformed count, or the failure, changed
      },
      onStatus: (s) => {
        this.latest = s;
        this.handlers.onStatus();
      },
    });
  }

  private checkStale(): void {
    const limit = this.host.staleAfter * 1000;
    if (!this.source || this.failure || !(limit > 0) || this.staleSince !== null) return;
    if (Date.now() - this.lastDataAt >= limit) {
      this.staleSince = this.lastDataAt;
      this.handlers.onStale(this.staleSince);
      this.handlers.onChange();
    }
  }

  private close(): void {
    this.generation++;
    this.source?.close();
    this.source = null;
    this.latest = null;
    this.staleSince = null;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }
}
