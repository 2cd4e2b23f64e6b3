// Raft log, hard state and snapshot on classic-level, in a sublevel the state machine can share a database with.
// Reads are synchronous from an in-memory mirror of the uncompacted log (the core needs synchronous reads);
// writes go to LevelDB first (one batch, fsync) and reach the mirror only after they are durable.

import type { AbstractBatchPutOperation, AbstractSublevel } from 'abstract-level';
import type { ClassicLevel } from 'classic-level';
import { assert } from './assert.ts';
import { decodeConfig, encodeConfig } from './config.ts';
import { bootstrapSnapshot, MemoryStorage, type InitialState, type Storage } from './storage.ts';
import type { Entry, HardState, Snapshot } from './types.ts';

type Db = ClassicLevel<string, Uint8Array>;
type Sub = AbstractSublevel<Db, string | Uint8Array | Buffer, string, Uint8Array>;

/** What one Ready asks to be made durable, in the Ready's own terms. */
export interface PersistRequest {
  readonly hardState?: HardState | undefined;
  readonly entries: readonly Entry[];
  readonly snapshot?: Snapshot | undefined;
}

const KEY_HARD = 'h';
const KEY_SNAP_META = 's';
const KEY_SNAP_DATA = 'sd';
const KEY_APPLIED = 'a';
const ENTRY_PREFIX = 'e';

/** Entry keys sort by index: a fixed-width hexadecimal index after the prefix. */
function entryKey(index: number): string {
  return ENTRY_PREFIX + index.toString(16).padStart(14, '0');
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function encodeEntry(entry: Entry): Uint8Array {
  // [term float64][type u8][data]: float64 holds any index or term below 2^53 exactly.
  const out = new Uint8Array(9 + entry.data.length);
  new DataView(out.buffer).setFloat64(0, entry.term);
  out[8] = entry.type === 'config' ? 1 : 0;
  out.set(entry.data, 9);
  return out;
}

function decodeEntry(index: number, bytes: Uint8Array): Entry {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { index, term: view.getFloat64(0), type: bytes[8] === 1 ? 'config' : 'normal', data: bytes.slice(9) };
}

function encodeJson(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

function decodeJson<T>(bytes: Uint8Array): T {
  return JSON.parse(decoder.decode(bytes)) as T;
}

export class LevelStorage implements Storage {
  private constructor(
    private readonly db: Db,
    private readonly sub: Sub,
    private readonly mirror: MemoryStorage,
    private readonly appliedIndex: number,
  ) {}

  /**
   * Opens (or initialises) the Raft state under `name` in `db`. `initial` is the bootstrap snapshot used
   * only when nothing is stored yet (a founding member's initial configuration).
   */
  static async open(db: Db, name = 'raft', initial: Snapshot = bootstrapSnapshot()): Promise<LevelStorage> {
    const sub = db.sublevel<string, Uint8Array>(name, { keyEncoding: 'utf8', valueEncoding: 'view' }) as unknown as Sub;
    const [hardBytes, metaBytes, dataBytes, appliedBytes] = await sub.getMany([KEY_HARD, KEY_SNAP_META, KEY_SNAP_DATA, KEY_APPLIED]);
    let snapshot = initial;
    if (metaBytes !== undefined) {
      const meta = decodeJson<{ index: number; term: number; config: string }>(metaBytes);
      snapshot = { meta: { index: meta.index, term: meta.term, config: decodeConfig(encoder.encode(meta.config)) }, data: dataBytes ?? new Uint8Array(0) };
    }
    const mirror = new MemoryStorage(snapshot);
    const entries: Entry[] = [];
    for await (const [key, value] of sub.iterator({ gt: ENTRY_PREFIX, lt: ENTRY_PREFIX + '~' })) {
      const index = Number.parseInt(key.slice(ENTRY_PREFIX.length), 16);
      if (index <= snapshot.meta.index) continue; // compacted; deleted lazily by createSnapshot
      entries.push(decodeEntry(index, value));
    }
    for (let i = 0; i < entries.length; i++) {
      assert(entries[i]!.index === snapshot.meta.index + 1 + i, 'stored Raft log has a gap');
    }
    mirror.append(entries);
    if (hardBytes !== undefined) mirror.setHardState(decodeJson<HardState>(hardBytes));
    const applied = appliedBytes === undefined ? snapshot.meta.index : decodeJson<number>(appliedBytes);
    const storage = new LevelStorage(db, sub, mirror, applied);
    if (metaBytes === undefined) {
      // First open: make the bootstrap configuration durable, so a restart knows its cluster.
      const batch = db.batch();
      storage.putSnapshot(batch, snapshot);
      await batch.write({ sync: true });
    }
    return storage;
  }

  // ---- Storage (synchronous reads from the mirror) ---------------------------------------------------

  initialState(): InitialState {
    return this.mirror.initialState();
  }
  firstIndex(): number {
    return this.mirror.firstIndex();
  }
  lastIndex(): number {
    return this.mirror.lastIndex();
  }
  term(index: number): number | undefined {
    return this.mirror.term(index);
  }
  entries(lo: number, hi: number, maxCount?: number): Entry[] {
    return this.mirror.entries(lo, hi, maxCount);
  }
  snapshot(): Snapshot {
    return this.mirror.snapshot();
  }

  // ---- writes ---------------------------------------------------------------------------------------

  /**
   * Makes a Ready's hard state, entries and snapshot durable in one batch (fsync when `sync`), truncating
   * any stored suffix the new entries replace. Resolve before sending the Ready's messages.
   */
  async persist(request: PersistRequest, sync = true): Promise<void> {
    const batch = this.db.batch();
    let lastStored = this.mirror.lastIndex();
    if (request.snapshot !== undefined) {
      this.putSnapshot(batch, request.snapshot);
      for (let i = this.mirror.firstIndex(); i <= lastStored; i++) batch.del(entryKey(i), { sublevel: this.sub });
      lastStored = request.snapshot.meta.index;
    }
    const first = request.entries[0];
    if (first !== undefined) {
      for (let i = first.index; i <= lastStored; i++) batch.del(entryKey(i), { sublevel: this.sub });
      for (const entry of request.entries) batch.put(entryKey(entry.index), encodeEntry(entry), { sublevel: this.sub });
    }
    if (request.hardState !== undefined) batch.put(KEY_HARD, encodeJson(request.hardState), { sublevel: this.sub });
    if (batch.length > 0) await batch.write({ sync });
    else await batch.close();
    if (request.snapshot !== undefined) this.mirror.applySnapshot(request.snapshot);
    this.mirror.append(request.entries);
    if (request.hardState !== undefined) this.mirror.setHardState(request.hardState);
  }

  /** Records a snapshot of applied state and compacts the log through its index. */
  async createSnapshot(snapshot: Snapshot, sync = true): Promise<void> {
    const previousFirst = this.mirror.firstIndex();
    const batch = this.db.batch();
    this.putSnapshot(batch, snapshot);
    for (let i = previousFirst; i <= snapshot.meta.index; i++) batch.del(entryKey(i), { sublevel: this.sub });
    await batch.write({ sync });
    this.mirror.createSnapshot(snapshot);
  }

  /**
   * The batch operation that records `index` as applied. The state machine puts it in the same batch as
   * the applied rows (same database), so a crash recovers to a state where rows and index agree.
   */
  appliedIndexOp(index: number): AbstractBatchPutOperation<Db, string, Uint8Array> {
    return { type: 'put', sublevel: this.sub as never, key: KEY_APPLIED, value: encodeJson(index) };
  }

  /** The applied index found at open (pass it as RaftNode's `applied`); the snapshot index if none was stored. */
  storedAppliedIndex(): number {
    return this.appliedIndex;
  }

  private putSnapshot(batch: ReturnType<Db['batch']>, snapshot: Snapshot): void {
    const meta = { index: snapshot.meta.index, term: snapshot.meta.term, config: decoder.decode(encodeConfig(snapshot.meta.config)) };
    batch.put(KEY_SNAP_META, encodeJson(meta), { sublevel: this.sub });
    batch.put(KEY_SNAP_DATA, snapshot.data, { sublevel: this.sub });
  }
}
