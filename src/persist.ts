// Persistence of a forecaster in IndexedDB, under a key the page chooses with the `persist`
// attribute. What is saved is what the pool already keeps to rebuild a forecaster after a worker
// crash: its latest snapshot and every batch of samples pushed since, plus the drawn history, so
// a save needs nothing from the worker. That matters on `pagehide`: the page may be gone before
// any answer from the worker could come, so `saveNow` puts the record in a transaction it starts
// at once, in the same task, on a database opened beforehand (`openStore`).
//
// A transaction started in `pagehide` is not sure to land: Chromium aborts it when the page goes
// before the database has committed it (seen about 1 reload in 3 a moment after a first save).
// So a page going away also writes, synchronously, to localStorage, the tail: the batches taken
// since the newest record known to be committed (its `id`, the tail's `base`). A restore adds the
// tail to the record whose id is its base (or, with base null, to no record: a new model fed
// the tail); a tail whose base is not the record found is older than it and is ignored.
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
  /** Unique per save: what a tail names as its base. */
  id: string;
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
  id: string,
  model: string,
  snapshot: ForecasterSnapshot,
  log: Batch[],
  history: DrawnHistory,
): Promise<void> {
  const record: SavedRecord = {
    format: FORMAT,
    id,
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

// The tail in localStorage (see the top of this file)

const TAIL_FORMAT = 'lstm-forecast/tail';

/** A batch as the element took it: row-major values and its x (times, or sample indices). */
export interface TailBatch {
  values: Float64Array;
  x: Float64Array;
}

export interface Tail {
  /** The id of the record these batches follow, or null: they follow nothing (a new model). */
  base: string | null;
  model: string;
  timeMode: 'time' | 'index';
  batches: TailBatch[];
}

const tailKey = (key: string) => `${DB}/tail/${key}`;

/** Writes the tail now (synchronously); false if localStorage refused it (full, disabled). */
export function writeTail(key: string, tail: Tail): boolean {
  try {
    if (tail.batches.length === 0) {
      localStorage.removeItem(tailKey(key));
      return true;
    }
    localStorage.setItem(
      tailKey(key),
      JSON.stringify({
        format: TAIL_FORMAT,
        base: tail.base,
        model: tail.model,
        timeMode: tail.timeMode,
        batches: tail.batches.map((b) => [Array.from(b.values), Array.from(b.x)]),
      }),
    );
    return true;
  } catch {
    return false;
  }
}

/** The tail saved under `key` for `model`, or null (none, damaged, or other settings). */
export function readTail(key: string, model: string): Tail | null {
  let t: unknown;
  try {
    const text = localStorage.getItem(tailKey(key));
    if (text === null) return null;
    t = JSON.parse(text);
  } catch {
    return null;
  }
  const r = t as Partial<{ format: string; base: unknown; model: string; timeMode: string }> & {
    batches?: unknown;
  };
  if (
    !r ||
    r.format !== TAIL_FORMAT ||
    r.model !== model ||
    !(r.base === null || typeof r.base === 'string') ||
    (r.timeMode !== 'time' && r.timeMode !== 'index') ||
    !Array.isArray(r.batches)
  )
    return null;
  const batches: TailBatch[] = [];
  for (const b of r.batches as unknown[]) {
    if (!Array.isArray(b) || !Array.isArray(b[0]) || !Array.isArray(b[1])) return null;
    const values = Float64Array.from(b[0] as number[], (v) => (v === null ? NaN : v));
    const x = Float64Array.from(b[1] as number[]);
    if (x.length === 0 || values.length % x.length !== 0 || !x.every(Number.isFinite)) return null;
    batches.push({ values, x });
  }
  return { base: r.base, model: r.model, timeMode: r.timeMode, batches };
}

export function removeTail(key: string): void {
  try {
    localStorage.removeItem(tailKey(key));
  } catch {
    // nothing to remove where localStorage is refused
  }
}

/**
 * What to restore: the record (or nothing) with the tail that follows it, if any: the log to
 * replay after the snapshot and the drawn history, both extended by the tail's batches.
 */
export function withTail(
  record: SavedRecord | null,
  tail: Tail | null,
  features: number,
): {
  snapshot?: ForecasterSnapshot;
  log: Batch[];
  history: DrawnHistory | null;
  tail: TailBatch[];
} {
  const follows = tail !== null && tail.base === (record?.id ?? null) && tail.batches.length > 0;
  if (!follows) {
    return record
      ? { snapshot: record.snapshot, log: record.log, history: record.history, tail: [] }
      : { log: [], history: null, tail: [] };
  }
  const mode = record ? record.history.timeMode : tail.timeMode;
  const log = [...(record?.log ?? [])];
  const times: number[] = record ? Array.from(record.history.times) : [];
  const values: number[] = record ? Array.from(record.history.values) : [];
  let samples = record ? record.history.samples : mode === 'index' ? tail.batches[0].x[0] : 0;
  for (const b of tail.batches) {
    log.push({ values: b.values, times: mode === 'time' ? b.x : null });
    for (let i = 0; i < b.x.length; i++) {
      times.push(b.x[i]);
      values.push(b.values[i * features]);
    }
    samples += b.x.length;
  }
  return {
    snapshot: record?.snapshot,
    log,
    history: {
      times: Float64Array.from(times),
      values: Float64Array.from(values),
      samples,
      timeMode: mode,
    },
    tail: tail.batches,
  };
}
