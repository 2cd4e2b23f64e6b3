// The learner on disk: one Parquet file per table (ZSTD, column statistics on) plus manifest.json with the
// applied log index, each table's definition, zone maps and each file's size and CRC-32. The manifest is
// replaced atomically (write temp, fsync, rename, fsync the directory); segment files are new names.
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Compression, EnabledStatistics, Table as WasmTable, WriterPropertiesBuilder, readParquet, writeParquet } from 'parquet-wasm';
import { tableFromIPC, tableToIPC } from 'apache-arrow';
import { parseCatalogValue, serializeCatalogValue, type StoredTableDef } from '../../oltp/catalog.ts';
import { SEGMENT_BLOCKS, type Block } from './block.ts';
import { crc32 } from '../../oltp/rowcodec.ts';
import { assert } from '../../oltp/errors.ts';
import { arrowToBlocks, blocksToArrow } from './arrow.ts';
import type { Learner, RestoredState, RestoredTable } from './learner.ts';
import type { ColumnsAt } from './table.ts';
import type { ZoneMap } from './zonemap.ts';

const MANIFEST = 'manifest.json';
const FORMAT = 1;

export { SEGMENT_BLOCKS } from './block.ts';

interface ManifestSegment {
  readonly file: string;
  readonly bytes: number;
  readonly crc: number;
  readonly rows: number;
  /** Per block: rows and a zone map per column (min/max tagged so DECIMAL bigints survive JSON). */
  readonly blocks: readonly { rows: number; zones: readonly ZoneMap[] }[];
}

interface ManifestTable {
  readonly def: string;
  readonly createdTs: number;
  readonly columnsAt: readonly ColumnsAt[];
  readonly segments: readonly ManifestSegment[];
}

/** What was written for each segment (block identity and end-change counts), to skip unchanged ones. */
export interface WrittenSegment {
  readonly blocks: readonly Block[];
  readonly endChanges: readonly number[];
  readonly entry: ManifestSegment;
}

/** Per learner directory: table id -> its definition (JSON) and the segments last written. */
export type PersistCache = Map<number, { def: string; segments: WrittenSegment[] }>;

export interface Manifest {
  readonly format: number;
  readonly appliedIndex: number;
  readonly appliedTs: number;
  readonly horizonTs: number;
  readonly tables: readonly ManifestTable[];
}

/** A damaged or missing file found at load: the learner rebuilds from a row-store snapshot. */
export class SegmentDamage extends Error {
  constructor(readonly file: string, readonly reason: string) {
    super(`columnar replica file "${file}" is damaged: ${reason}`);
    this.name = 'SegmentDamage';
  }
}

const json = (v: unknown): string => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? { $big: x.toString() } : x === Infinity ? { $inf: 1 } : x));
const unjson = (s: string): unknown => JSON.parse(s, (_k, x: unknown) => (x !== null && typeof x === 'object' && '$big' in x ? BigInt((x as { $big: string }).$big) : x !== null && typeof x === 'object' && '$inf' in x ? Infinity : x));

function writeDurably(path: string, bytes: Uint8Array): void {
  const fd = openSync(path, 'w');
  try {
    let at = 0;
    while (at < bytes.length) at += writeSync(fd, bytes, at, bytes.length - at);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export interface SaveResult { readonly bytesWritten: number; readonly filesWritten: number; readonly diskBytes: number }

function unchanged(w: WrittenSegment | undefined, blocks: readonly Block[]): boolean {
  if (!w || w.blocks.length !== blocks.length) return false;
  for (let i = 0; i < blocks.length; i++) if (w.blocks[i] !== blocks[i] || w.endChanges[i] !== blocks[i]!.endChanges) return false;
  return true;
}

/** One Parquet file to write: a segment's blocks (cloned when sent to a writer thread). */
export interface SaveTask { readonly file: string; readonly def: StoredTableDef; readonly blocks: readonly Block[] }

/** Everything a writer needs: files to write and the manifest to install once they are durable. */
export interface SavePlan { readonly dir: string; readonly tasks: readonly SaveTask[]; readonly manifest: Manifest }

export interface SaveDone { readonly files: readonly { file: string; bytes: number; crc: number }[]; readonly diskBytes: number }

/**
 * Plans a save of the learner's stable layer. Call right after compact() (the delta is empty, so the files plus
 * the log from appliedIndex + 1 are the whole state). Segments whose blocks did not change keep their file.
 * The cache records the new segments at once; applySaveResult fills in their sizes and checksums.
 */
export function planSave(dir: string, learner: Learner, cache: PersistCache): SavePlan {
  const tables: ManifestTable[] = [];
  const tasks: SaveTask[] = [];
  const live = new Set<number>();
  for (const t of learner.tableList()) {
    assert(t.deltaRows === 0, 'save the learner right after a compaction');
    live.add(t.def.id);
    const def = serializeCatalogValue({ kind: 'table', def: t.def });
    const before = cache.get(t.def.id);
    const previous = before?.def === def ? before.segments : [];
    const written: WrittenSegment[] = [];
    for (let first = 0, seg = 0; first < t.stable.length; first += SEGMENT_BLOCKS, seg++) {
      const blocks = t.stable.slice(first, first + SEGMENT_BLOCKS);
      const old = previous[seg];
      if (old && unchanged(old, blocks) && existsSync(join(dir, old.entry.file))) {
        written.push(old);
        continue;
      }
      const file = `t${t.def.id}-s${seg}-${learner.appliedIndex}.parquet`;
      tasks.push({ file, def: t.def, blocks });
      const entry: ManifestSegment = { file, bytes: 0, crc: 0, rows: blocks.reduce((n, b) => n + b.rows, 0), blocks: blocks.map((b) => ({ rows: b.rows, zones: b.zones })) };
      written.push({ blocks, endChanges: blocks.map((b) => b.endChanges), entry });
    }
    cache.set(t.def.id, { def, segments: written });
    tables.push({ def, createdTs: t.createdTs, columnsAt: t.columnsAt, segments: written.map((w) => w.entry) });
  }
  for (const id of [...cache.keys()]) if (!live.has(id)) cache.delete(id);
  return { dir, tasks, manifest: { format: FORMAT, appliedIndex: learner.appliedIndex, appliedTs: learner.appliedTs, horizonTs: learner.horizonTs, tables } };
}

/** Writes a plan's files (fsynced), then the manifest (temp + fsync + rename + fsync dir), then drops old files. */
export function executeSave(plan: SavePlan): SaveDone {
  const { dir } = plan;
  mkdirSync(dir, { recursive: true });
  const files: { file: string; bytes: number; crc: number }[] = [];
  for (const task of plan.tasks) {
    const bytes = toParquet(task.def, task.blocks);
    writeDurably(join(dir, task.file), bytes);
    files.push({ file: task.file, bytes: bytes.length, crc: crc32(bytes) });
  }
  const byFile = new Map(files.map((f) => [f.file, f]));
  const manifest: Manifest = {
    ...plan.manifest,
    tables: plan.manifest.tables.map((t) => ({ ...t, segments: t.segments.map((x) => ({ ...x, ...(byFile.get(x.file) ?? {}) })) })),
  };
  const body = json(manifest);
  const text = JSON.stringify({ crc: crc32(Buffer.from(body, 'utf8')), body });
  writeDurably(join(dir, `${MANIFEST}.tmp`), Buffer.from(text, 'utf8'));
  renameSync(join(dir, `${MANIFEST}.tmp`), join(dir, MANIFEST));
  fsyncDir(dir);
  // files no manifest names any more (older generations, dropped tables)
  const keep = new Set(manifest.tables.flatMap((t) => t.segments.map((x) => x.file)));
  for (const f of readdirSync(dir)) if (f.endsWith('.parquet') && !keep.has(f)) rmSync(join(dir, f), { force: true });
  return { files, diskBytes: manifest.tables.reduce((n, t) => n + t.segments.reduce((m, x) => m + x.bytes, 0), 0) };
}

/** Records the sizes and checksums of the files a save wrote (the next manifest reuses these entries). */
export function applySaveResult(cache: PersistCache, done: SaveDone): void {
  const byFile = new Map(done.files.map((f) => [f.file, f]));
  for (const t of cache.values()) {
    t.segments = t.segments.map((w) => {
      const f = byFile.get(w.entry.file);
      return f ? { ...w, entry: { ...w.entry, bytes: f.bytes, crc: f.crc } } : w;
    });
  }
}

/** Plans, writes and records a save in one call (in-process use and tests). */
export function saveLearner(dir: string, learner: Learner, cache: PersistCache): SaveResult {
  const plan = planSave(dir, learner, cache);
  const done = executeSave(plan);
  applySaveResult(cache, done);
  return { bytesWritten: done.files.reduce((n, f) => n + f.bytes, 0), filesWritten: done.files.length, diskBytes: done.diskBytes };
}

export function toParquet(def: StoredTableDef, blocks: readonly Block[]): Uint8Array {
  const arrow = blocksToArrow(def, blocks);
  const wasm = WasmTable.fromIPCStream(tableToIPC(arrow, 'stream'));
  const props = new WriterPropertiesBuilder().setCompression(Compression.ZSTD).setStatisticsEnabled(EnabledStatistics.Chunk).setCreatedBy('duetdb learner').build();
  return writeParquet(wasm, props);
}

function readManifest(dir: string): Manifest {
  const text = readFileSync(join(dir, MANIFEST), 'utf8');
  let outer: { crc: number; body: string };
  try {
    outer = JSON.parse(text) as { crc: number; body: string };
  } catch {
    throw new SegmentDamage(MANIFEST, 'not valid JSON (truncated?)');
  }
  if (typeof outer.body !== 'string' || crc32(Buffer.from(outer.body, 'utf8')) !== outer.crc) throw new SegmentDamage(MANIFEST, 'checksum mismatch');
  const m = unjson(outer.body) as Manifest;
  if (m.format !== FORMAT) throw new SegmentDamage(MANIFEST, `unknown format ${m.format}`);
  return m;
}

/**
 * Loads the persisted state: undefined when there is none (a fresh replica), SegmentDamage (thrown) when the
 * manifest or a segment is missing, truncated or fails its checksum.
 */
export function loadLearner(dir: string, cache: PersistCache): RestoredState | undefined {
  if (!existsSync(join(dir, MANIFEST))) return undefined;
  const m = readManifest(dir);
  const tables: RestoredTable[] = [];
  cache.clear();
  for (const t of m.tables) {
    const v = parseCatalogValue(t.def);
    assert(v.kind === 'table', 'manifest table entry is not a table');
    const all: Block[] = [];
    const written: WrittenSegment[] = [];
    for (const seg of t.segments) {
      const blocks = loadSegment(dir, seg, v.def);
      all.push(...blocks);
      written.push({ blocks, endChanges: blocks.map(() => 0), entry: seg });
    }
    cache.set(v.def.id, { def: t.def, segments: written });
    tables.push({ def: v.def, createdTs: t.createdTs, columnsAt: t.columnsAt, blocks: all });
  }
  return { appliedIndex: m.appliedIndex, appliedTs: m.appliedTs, horizonTs: m.horizonTs, tables };
}

function loadSegment(dir: string, t: ManifestSegment, def: StoredTableDef): Block[] {
  const path = join(dir, t.file);
  if (!existsSync(path)) throw new SegmentDamage(t.file, 'missing');
  const bytes = readFileSync(path);
  if (bytes.length !== t.bytes) throw new SegmentDamage(t.file, `size ${bytes.length}, manifest says ${t.bytes} (truncated?)`);
  if (crc32(bytes) !== t.crc) throw new SegmentDamage(t.file, 'checksum mismatch');
  let arrow: ReturnType<typeof tableFromIPC>;
  try {
    arrow = tableFromIPC(readParquet(bytes).intoIPCStream());
  } catch (e) {
    throw new SegmentDamage(t.file, `not readable as Parquet: ${(e as Error).message}`);
  }
  let blocks: Block[];
  try {
    blocks = arrowToBlocks(arrow, def);
  } catch (e) {
    throw new SegmentDamage(t.file, `unreadable: ${(e as Error).message}`);
  }
  if (blocks.reduce((n, b) => n + b.rows, 0) !== t.rows) throw new SegmentDamage(t.file, 'row count differs from the manifest');
  return blocks;
}

/** Removes every file of a damaged replica before a rebuild. */
export function clearLearnerDir(dir: string): void {
  if (!existsSync(dir)) return;
  for (const f of readdirSync(dir)) if (f.endsWith('.parquet') || f.startsWith(MANIFEST)) rmSync(join(dir, f), { force: true });
}
