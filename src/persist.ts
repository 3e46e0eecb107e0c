// Persistence of a forecaster in IndexedDB, under a key the page chooses with the `persist`
// attribute. What is saved is what the pool already keeps to rebuild a forecaster after a worker
// crash: its latest snapshot and every batch of samples pushed since, plus the drawn history, so
// a save needs nothing from the worker. That matters on `pagehide`: the page may be gone before
// any answer from the worker could come, so `saveNow` puts the record in a transaction it starts
// at once, in the same task, on a database opened beforehand (`openStore`).
//
// A missing record is not an error; a damaged one, or one saved with other model settings, is
// reported and ignored, so the element starts fresh.

import type { ForecasterSnapshot } from '../worker/engine';

const DB = 'lstm-forecast';
const STORE = 'snapshots';
/** Version 2: the snapshot, the batches since it and the drawn history (1 had the snapshot only). */
const FORMAT = 'lstm-forecast/snapshot+log';

/** A batch of samples as the pool sent it: row-major values, and times (or null: indices). */
export interface Batch {
  values: Float64Array;
  times: Float64Array | null;
}

/** The element's drawn history: times, and the first feature's values (NaN for a gap). */
export interface DrawnHistory {
  times: Float64Array;
  values: Float64Array;
  /** Samples the element had taken in all (drawn or not). */
  samples: number;
  timeMode: 'time' | 'index';
}

export interface SavedRecord {
  format: typeof FORMAT;
  savedAt: number;
  /** The element's model settings when saved: a record made with others is not restored. */
  model: string;
  snapshot: ForecasterSnapshot;
  /** Every batch pushed after `snapshot` was taken, in order: replayed on restore. */
  log: Batch[];
  history: DrawnHistory;
}

export type Loaded =
  { kind: 'none' } | { kind: 'ok'; record: SavedRecord } | { kind: 'bad'; reason: string };

let opening: Promise<IDBDatabase> | null = null;
let opened: IDBDatabase | null = null;

/** Opens the database (once per page); saveNow needs it open to save synchronously. */
export function openStore(): Promise<IDBDatabase> {
  opening ??= new Promise<IDBDatabase>((resolve, reject) => {
    const req = indexedDB.open(DB);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => {
      opened = req.result;
      // another tab upgrading the database: let it, and open again on the next use
      opened.onversionchange = () => {
        opened?.close();
        opened = null;
        opening = null;
      };
      resolve(opened);
    };
    req.onerror = () => reject(req.error ?? new Error('IndexedDB could not be opened'));
  });
  opening.catch(() => (opening = null));
  return opening;
}

function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = tx.onerror = () => reject(tx.error ?? new Error('the transaction was aborted'));
  });
}

function put(db: IDBDatabase, key: string, value: unknown): Promise<void> {
  const tx = db.transaction(STORE, 'readwrite');
  tx.objectStore(STORE).put(value, key);
  tx.commit();
  return done(tx);
}

/**
 * Saves a record. With the database open (openStore() resolved before), the transaction starts
 * and the record is cloned into it before this returns: what a `pagehide` handler needs.
 */
export function saveNow(
  key: string,
  model: string,
  snapshot: ForecasterSnapshot,
  log: Batch[],
  history: DrawnHistory,
): Promise<void> {
  const record: SavedRecord = {
    format: FORMAT,
    savedAt: Date.now(),
    model,
    snapshot,
    log,
    history,
  };
  if (opened) return put(opened, key, record);
  return openStore().then((db) => put(db, key, record));
}

export async function loadRecord(key: string, model: string): Promise<Loaded> {
  let rec: unknown;
  try {
    const db = await openStore();
    const tx = db.transaction(STORE, 'readonly');
    const req = tx.objectStore(STORE).get(key);
    rec = await new Promise((resolve, reject) => {
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error ?? new Error('the read failed'));
    });
  } catch (e) {
    return { kind: 'bad', reason: `IndexedDB could not be read: ${(e as Error).message}` };
  }
  if (rec === undefined) return { kind: 'none' };
  const r = rec as Partial<SavedRecord> | null;
  if (
    !r ||
    typeof r !== 'object' ||
    r.format !== FORMAT ||
    !r.snapshot ||
    !Array.isArray(r.log) ||
    !r.history ||
    !(r.history.times instanceof Float64Array) ||
    !(r.history.values instanceof Float64Array) ||
    r.history.times.length !== r.history.values.length
  ) {
    return { kind: 'bad', reason: `the record under "${key}" is not a saved forecaster` };
  }
  if (r.model !== model) {
    return {
      kind: 'bad',
      reason: `the record under "${key}" was saved with other model settings (${r.model})`,
    };
  }
  return { kind: 'ok', record: r as SavedRecord };
}

export async function deleteRecord(key: string): Promise<void> {
  const db = await openStore();
  const tx = db.transaction(STORE, 'readwrite');
  tx.objectStore(STORE).delete(key);
  tx.commit();
  await done(tx);
}
