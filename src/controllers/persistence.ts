// The element's persistence as a Lit ReactiveController: while the element is connected with a
// `persist` key (set before connecting or after), it saves the forecaster every SAVE_EVERY_MS
// (±25%, so a page's elements do not all save at once), on `pagehide` (and when the page is
// hidden, which a closing tab is before it goes), and when the element is disconnected. A save stores what the main thread already holds (the pool's recovery point: the
// latest snapshot and every batch since, and the drawn history), so it starts its IndexedDB
// transaction at once, in the same task: a page being closed or reloaded has no time to wait for
// the worker. Such a transaction may still be lost with the page (see ../persist.ts), so a page
// going away also writes the tail, the batches taken since the newest save known committed, to
// localStorage, at once.

import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { Lease } from '../pool';
import type { DrawnHistory, TailBatch } from '../persist';

type Store = typeof import('../persist');
let store: Store | null = null;
let loading: Promise<Store> | null = null;

/**
 * The IndexedDB and localStorage code (../persist.ts), loaded when a first element persists: a
 * file of its own in the strict-CSP build, out of the path of a page that saves nothing. A save
 * before it has loaded has nothing to save yet: the element restores (with it) before it starts.
 */
export function persistStore(): Promise<Store> {
  loading ??= import('../persist').then((m) => (store = m));
  return loading;
}

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
  timeMode(): 'time' | 'index';
  onError(message: string): void;
}

/** Batches kept for the tail at most (samples): beyond, saves are failing, and the tail is dropped. */
const TAIL_LIMIT = 50_000;

let saves = 0;
const newId = () =>
  `${Date.now().toString(36)}-${(saves++).toString(36)}-${Math.random().toString(36).slice(2, 8)}`;

export class PersistenceController implements ReactiveController {
  /** The key being saved under, '' while not saving. */
  private key = '';
  private timer: ReturnType<typeof setInterval> | null = null;
  /** Something changed since the last save. */
  dirty = false;
  // A page going away saves whether or not anything changed: the last save may still be in a
  // transaction the unload aborts.
  private readonly onPageHide = () => this.leaving();
  /** Hidden is the last moment a closing tab is sure to run code in (pagehide may not come). */
  private readonly onVisibility = () => {
    if (document.visibilityState === 'hidden') this.leaving();
  };
  /** The id of the newest record known committed for this forecaster (null: none yet). */
  private base: string | null = null;
  /** Batches taken since the save `base` names (each with the count of batches before it). */
  private journal: (TailBatch & { seq: number })[] = [];
  private journalSamples = 0;
  private seq = 0;

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
    this.leaving();
    this.stop();
  }

  /**
   * A new forecaster (a first start, a restore, a rebuild): its batches follow the record `base`
   * (null: none, it was made fresh), and `taken`, already taken, are in no committed save yet.
   * An id no record has (a forecaster restored from a snapshot the page gave) lets no tail follow
   * until its first save commits.
   */
  begin(base: string | null | 'unsaved', taken: TailBatch[] = []): void {
    this.base = base === 'unsaved' ? newId() : base;
    this.journal = [];
    this.journalSamples = 0;
    for (const b of taken) this.taken(b.values, b.x);
  }

  /** A batch the forecaster was sent (row-major values, and its times or sample indices). */
  taken(values: Float64Array, x: Float64Array): void {
    if (!this.key) return;
    // copies: the pool transfers what it sends to the worker
    this.journal.push({ values: values.slice(), x: x.slice(), seq: ++this.seq });
    this.journalSamples += x.length;
    if (this.journalSamples > TAIL_LIMIT) {
      // nothing commits (IndexedDB refused): a tail this long would not fit localStorage either
      this.journal = [];
      this.journalSamples = 0;
      this.base = newId();
    }
  }

  /** The page (or the element) goes: a save, and the tail written synchronously beside it. */
  private leaving(): void {
    this.save(true);
    if (!this.key || !this.source.lease() || !store) return;
    const ok = store.writeTail(this.key, {
      base: this.base,
      model: this.source.modelKey(),
      timeMode: this.source.timeMode(),
      batches: this.journal,
    });
    if (!ok) this.source.onError('persist: localStorage refused the samples since the last save');
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
    persistStore()
      .then((m) => m.openStore())
      .catch((e: unknown) => this.source.onError(`IndexedDB: ${(e as Error).message}`));
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
    if (!store || !this.key || !lease || lease.isReleased || !(this.dirty || force)) return;
    const { saveNow } = store;
    const { snapshot, log } = lease.recoveryPoint();
    if (!snapshot) return;
    this.dirty = false;
    const failed = (e: unknown) => {
      this.dirty = true;
      this.source.onError(`persist: ${(e as Error).message}`);
    };
    const id = newId();
    const upTo = this.seq;
    const committed = () => {
      if (this.source.lease() !== lease) return; // another forecaster's journal by now
      this.base = id;
      this.journal = this.journal.filter((b) => b.seq > upTo);
      this.journalSamples = this.journal.reduce((n, b) => n + b.x.length, 0);
    };
    try {
      saveNow(this.key, id, this.source.modelKey(), snapshot, log, this.source.history()).then(
        committed,
        failed,
      );
    } catch (e) {
      failed(e); // a transaction refused at once (a closing database)
    }
  }
}
