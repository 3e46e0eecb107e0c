// Persistence of a forecaster's snapshot in IndexedDB (through idb-keyval), under a key the
// page chooses with the `persist` attribute. A missing record is not an error; a damaged or
// incompatible one is reported and ignored, so the element starts fresh.

import { createStore, del, get, set, type UseStore } from 'idb-keyval';
import type { ForecasterSnapshot } from '../worker/engine';

const FORMAT = 'lstm-forecast/snapshot';

interface Record_ {
  format: typeof FORMAT;
  savedAt: number;
  /** The element's model settings when saved: a record made with others is not restored. */
  model: string;
  snapshot: ForecasterSnapshot;
}

let store: UseStore | null = null;
function db(): UseStore {
  store ??= createStore('lstm-forecast', 'snapshots');
  return store;
}

export type Loaded =
  | { kind: 'none' }
  | { kind: 'ok'; snapshot: ForecasterSnapshot; savedAt: number }
  | { kind: 'bad'; reason: string };

export async function loadSnapshot(key: string, model: string): Promise<Loaded> {
  let rec: unknown;
  try {
    rec = await get(key, db());
  } catch (e) {
    return { kind: 'bad', reason: `IndexedDB could not be read: ${(e as Error).message}` };
  }
  if (rec === undefined) return { kind: 'none' };
  const r = rec as Partial<Record_>;
  if (!r || typeof r !== 'object' || r.format !== FORMAT || !r.snapshot) {
    return { kind: 'bad', reason: `the record under "${key}" is not a saved forecaster` };
  }
  if (r.model !== model) {
    return {
      kind: 'bad',
      reason: `the record under "${key}" was saved with other model settings (${r.model})`,
    };
  }
  return { kind: 'ok', snapshot: r.snapshot, savedAt: r.savedAt ?? 0 };
}

export async function saveSnapshot(
  key: string,
  model: string,
  snapshot: ForecasterSnapshot,
): Promise<void> {
  const rec: Record_ = { format: FORMAT, savedAt: Date.now(), model, snapshot };
  await set(key, rec, db());
}

export async function deleteSnapshot(key: string): Promise<void> {
  await del(key, db());
}
