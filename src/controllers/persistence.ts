// The element's persistence as a Lit ReactiveController: while the element is connected with a
// `persist` key (set before connecting or after), it saves the forecaster every SAVE_EVERY_MS
// (±25%, so a page's elements do not all save at once), on `pagehide` (and when the page is
// hidden, which a closing tab is before it goes), and when the element is disconnected. A save stores what the main thread already holds (the pool's recovery point: the
// latest snapshot and every batch since, and the drawn history), so it starts its IndexedDB
// transaction at once, in the same task: a page being closed or reloaded has no time to wait for
// the worker.

import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { Lease } from '../pool';
import { openStore, saveNow, type DrawnHistory } from '../persist';

const SAVE_EVERY_MS = 5000;

export interface PersistHost extends ReactiveControllerHost {
  readonly isConnected: boolean;
  persist: string;
}

export interface PersistSource {
  /** The forecaster now, or null (none yet, or no longer). */
  lease(): Lease | null;
  /** The model settings a record is saved under. */
  modelKey(): string;
  history(): DrawnHistory;
  onError(message: string): void;
}

export class PersistenceController implements ReactiveController {
  /** The key being saved under, '' while not saving. */
  private key = '';
  private timer: ReturnType<typeof setInterval> | null = null;
  /** Something changed since the last save. */
  dirty = false;
  // A page going away saves whether or not anything changed: the last save may still be in a
  // transaction the unload aborts.
  private readonly onPageHide = () => this.save(true);
  /** Hidden is the last moment a closing tab is sure to run code in (pagehide may not come). */
  private readonly onVisibility = () => {
    if (document.visibilityState === 'hidden') this.save(true);
  };

  constructor(
    private readonly host: PersistHost,
    private readonly source: PersistSource,
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    this.sync();
  }

  hostUpdated(): void {
    this.sync();
  }

  hostDisconnected(): void {
    this.save(true);
    this.stop();
  }

  /** Starts, moves or stops saving to match the host's `persist`. */
  private sync(): void {
    const key = this.host.isConnected ? this.host.persist : '';
    if (key === this.key) return;
    if (this.key) this.save();
    this.stop();
    this.key = key;
    if (!key) return;
    // opened now, so that a save on pagehide can start its transaction at once
    openStore().catch((e: unknown) => this.source.onError(`IndexedDB: ${(e as Error).message}`));
    addEventListener('pagehide', this.onPageHide);
    document.addEventListener('visibilitychange', this.onVisibility);
    this.timer = setInterval(() => this.save(), SAVE_EVERY_MS * (0.75 + 0.5 * Math.random()));
    this.dirty = true;
  }

  private stop(): void {
    removeEventListener('pagehide', this.onPageHide);
    document.removeEventListener('visibilitychange', this.onVisibility);
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.key = '';
  }

  /**
   * Saves now if anything changed (or `force`): the transaction starts before this returns (once
   * the database is open). Failures are reported, never thrown.
   */
  save(force = false): void {
    const lease = this.source.lease();
    if (!this.key || !lease || lease.isReleased || !(this.dirty || force)) return;
    const { snapshot, log } = lease.recoveryPoint();
    if (!snapshot) return;
    this.dirty = false;
    const failed = (e: unknown) => {
      this.dirty = true;
      this.source.onError(`persist: ${(e as Error).message}`);
    };
    try {
      saveNow(this.key, this.source.modelKey(), snapshot, log, this.source.history()).catch(failed);
    } catch (e) {
      failed(e); // a transaction refused at once (a closing database)
    }
  }
}
