// MVCC garbage collection: removes row versions, tombstones, index entries and catalog versions that no
// snapshot at or above the oldest active one can see, plus the data of dropped tables and indexes and old
// commit-log entries. Each pass examines a bounded number of keys and resumes where the last one stopped.
import type { ClassicLevel } from 'classic-level';
import type { Catalog, StoredTableDef } from './catalog.ts';
import { indexEntryBytes } from './txn.ts';
import { idPrefix, indexKey, KS_INDEX, KS_LATEST, KS_LOG, KS_VERSION, latestKey, logKey, catalogKey, prefixEnd, versionKey } from './keys.ts';
import { isTombstone, versionPrevTs, versionRow, versionTs } from './version.ts';
import { tableEntry } from './catalog.ts';
import type { Row } from './types.ts';

export interface GcHost {
  readonly db: ClassicLevel<Buffer, Buffer>;
  readonly catalog: Catalog;
  readonly stats: { appliedIndex: number };
  /** CDC consumers' lowest needed log index (entries from it on are kept); undefined = none registered. */
  readonly logHold?: (() => number | undefined) | undefined;
  oldestActiveTs(): number;
  readLatest(key: Buffer): Buffer | undefined;
  checkVersion(key: Buffer, value: Buffer): void;
  exclusive<T>(fn: () => Promise<T>): Promise<T>;
}

export interface GcPassResult {
  horizonTs: number;
  versionsRemoved: number;
  tombstonesRemoved: number;
  indexEntriesRemoved: number;
  catalogVersionsRemoved: number;
  logEntriesRemoved: number;
  /** True when the version keyspace was scanned to its end (a full cycle completed). */
  wrapped: boolean;
}

type Batch = ReturnType<ClassicLevel<Buffer, Buffer>['batch']>;

export class GarbageCollector {
  private cursor: Buffer | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();
  private stopped = false;
  /** Ids of tables and indexes whose last catalog version was collected: their data is deleted by range. */
  private readonly droppedIds: { table: boolean; id: number }[] = [];

  constructor(
    private readonly host: GcHost,
    private readonly keysPerPass: number,
    private readonly logRetainEntries: number,
  ) {}

  start(intervalMs: number): void {
    if (intervalMs <= 0) return;
    this.timer = setInterval(() => {
      this.running = this.runPass().catch(() => undefined); // a failed pass is retried next period
    }, intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  /** One bounded pass; call repeatedly (tests do) or let the timer run it. */
  runPass(): Promise<GcPassResult> {
    return this.host.exclusive(() => this.pass());
  }

  private async pass(): Promise<GcPassResult> {
    const horizonTs = this.host.oldestActiveTs();
    const result: GcPassResult = { horizonTs, versionsRemoved: 0, tombstonesRemoved: 0, indexEntriesRemoved: 0, catalogVersionsRemoved: 0, logEntriesRemoved: 0, wrapped: false };
    if (this.stopped) return result;
    const batch = this.host.db.batch();
    this.collectCatalog(horizonTs, batch, result);
    await this.collectVersions(horizonTs, batch, result);
    await this.collectLog(batch, result);
    if (batch.length > 0) await batch.write();
    else await batch.close();
    await this.clearDropped();
    return result;
  }

  private collectCatalog(horizonTs: number, batch: Batch, result: GcPassResult): void {
    const liveTables = new Set<number>();
    const liveIndexes = new Set<number>();
    const before = this.tableIds();
    for (const r of this.host.catalog.collectGarbage(horizonTs)) {
      batch.del(catalogKey(r.name, r.ts));
      result.catalogVersionsRemoved++;
    }
    for (const def of this.allTableVersions()) {
      liveTables.add(def.id);
      for (const i of def.indexes) liveIndexes.add(i.id);
    }
    for (const [id, indexes] of before) {
      if (!liveTables.has(id)) this.droppedIds.push({ table: true, id });
      for (const i of indexes) if (!liveIndexes.has(i)) this.droppedIds.push({ table: false, id: i });
    }
  }

  private tableIds(): Map<number, number[]> {
    const out = new Map<number, number[]>();
    for (const def of this.allTableVersions()) {
      const list = out.get(def.id) ?? [];
      list.push(...def.indexes.map((i) => i.id));
      out.set(def.id, list);
    }
    return out;
  }

  private *allTableVersions(): Generator<StoredTableDef> {
    for (const name of this.host.catalog.names()) {
      if (!name.startsWith('t/')) continue;
      for (const v of this.host.catalog.versionsOf(name)) if (v.value?.kind === 'table') yield v.value.def;
    }
  }

  private async clearDropped(): Promise<void> {
    // Bounded: a few ids per pass; nothing can read these ranges any more (no catalog version names them).
    for (const d of this.droppedIds.splice(0, 4)) {
      if (d.table) {
        for (const ks of [KS_LATEST, KS_VERSION]) {
          const p = idPrefix(ks, d.id);
          await this.host.db.clear({ gte: p, lt: prefixEnd(p) });
        }
      } else {
        const p = idPrefix(KS_INDEX, d.id);
        await this.host.db.clear({ gte: p, lt: prefixEnd(p) });
      }
    }
  }

  /** Scans up to keysPerPass version keys from the cursor, handling whole rows (all versions of one key). */
  private async collectVersions(horizonTs: number, batch: Batch, result: GcPassResult): Promise<void> {
    const start = this.cursor ?? Buffer.from([KS_VERSION]);
    const end = Buffer.from([KS_VERSION + 1]);
    const entries = await this.host.db.iterator({ gte: start, lt: end, limit: this.keysPerPass }).all();
    if (entries.length < this.keysPerPass) {
      result.wrapped = true;
      this.cursor = undefined;
    }
    let group: [Buffer, Buffer][] = [];
    let groupPrefix: Buffer | undefined;
    const groups: [Buffer, [Buffer, Buffer][]][] = [];
    for (const e of entries) {
      const rowPrefix = e[0].subarray(0, e[0].length - 8);
      if (groupPrefix && rowPrefix.equals(groupPrefix)) group.push(e);
      else {
        if (groupPrefix) groups.push([groupPrefix, group]);
        groupPrefix = rowPrefix;
        group = [e];
      }
    }
    if (groupPrefix) {
      // The last row may continue past this pass's limit: leave it for the next pass unless it is alone.
      if (!result.wrapped && groups.length > 0) this.cursor = Buffer.from(groupPrefix);
      else {
        groups.push([groupPrefix, group]);
        // A row with more versions than one pass reads: continue after the last one seen (older versions).
        if (!result.wrapped) this.cursor = Buffer.concat([group[group.length - 1]![0], Buffer.from([0])]);
      }
    }
    for (const [prefix, versions] of groups) this.collectRow(prefix, versions, horizonTs, batch, result);
  }

  private collectRow(rowPrefix: Buffer, versions: [Buffer, Buffer][], horizonTs: number, batch: Batch, result: GcPassResult): void {
    const tableId = rowPrefix.readUInt32BE(1);
    const pk = rowPrefix.subarray(5);
    const def = this.currentDef(tableId);
    if (!def) return; // dropped table: its whole range is cleared once its catalog versions are gone
    const lkey = latestKey(tableId, pk);
    const latest = this.host.readLatest(lkey);
    // What stays is decided from the whole chain (not from this pass's slice of the version keyspace): the
    // latest version, every version newer than the horizon, and the newest at or below it.
    const kept: Row[] = [];
    let floorTs = Number.POSITIVE_INFINITY; // versions older than this go
    const dropLatest = latest !== undefined && isTombstone(latest) && versionTs(latest) <= horizonTs;
    if (latest !== undefined) {
      let buf: Buffer | undefined = latest;
      // Bounded by the number of versions newer than the horizon.
      while (buf !== undefined) {
        const row = versionRow(buf);
        if (row && !(buf === latest && dropLatest)) kept.push(row);
        floorTs = versionTs(buf);
        const prevTs = versionPrevTs(buf);
        if (floorTs <= horizonTs || prevTs === 0) break;
        buf = this.host.readLatest(versionKey(tableId, pk, prevTs));
      }
    }
    const removed: Row[] = [];
    for (const [k, v] of versions) {
      this.host.checkVersion(k, v);
      if (versionTs(v) >= floorTs) continue;
      batch.del(k);
      result.versionsRemoved++;
      const row = versionRow(v);
      if (row) removed.push(row);
    }
    if (dropLatest) {
      batch.del(lkey);
      result.tombstonesRemoved++;
    }
    if (removed.length === 0 || def.indexes.length === 0) return;
    const keep = new Set<string>();
    for (const row of kept) for (const idx of def.indexes) keep.add(indexKey(idx.id, indexEntryBytes(def, idx, fill(def, row), pk)).toString('latin1'));
    for (const row of removed) {
      for (const idx of def.indexes) {
        const k = indexKey(idx.id, indexEntryBytes(def, idx, fill(def, row), pk));
        const s = k.toString('latin1');
        if (keep.has(s)) continue;
        keep.add(s); // delete once
        batch.del(k);
        result.indexEntriesRemoved++;
      }
    }
  }

  private currentDef(tableId: number): StoredTableDef | undefined {
    const name = this.host.catalog.tableNameById(tableId);
    if (name === undefined) return undefined;
    const v = this.host.catalog.versionsOf(tableEntry(name))[0]?.value;
    return v?.kind === 'table' && v.def.id === tableId ? v.def : undefined;
  }

  private async collectLog(batch: Batch, result: GcPassResult): Promise<void> {
    const below = Math.min(this.host.stats.appliedIndex - this.logRetainEntries, this.host.logHold?.() ?? Infinity);
    if (below <= 1) return;
    const keys = await this.host.db.keys({ gte: Buffer.from([KS_LOG]), lt: logKey(below), limit: this.keysPerPass }).all();
    for (const k of keys) batch.del(k);
    result.logEntriesRemoved += keys.length;
  }
}

function fill(def: StoredTableDef, row: Row): Row {
  if (row.length >= def.columns.length) return row;
  const out = row.slice();
  for (let i = row.length; i < def.columns.length; i++) out.push(def.fills[i] ?? null);
  return out;
}
