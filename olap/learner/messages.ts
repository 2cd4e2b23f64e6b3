// The message interface between the leader side (row store + feeder) and a columnar learner. A worker
// thread serves it in the embedded default; a separate process (`duet node --learner`) can serve the same
// messages over a socket. Every message is structured-clonable plain data.
import type { Batch, Expr, OperatorStats, PlanNode } from '../exec/spec.ts';
import type { TableStatus } from './learner.ts';
import type { ZonePredicate } from './zonemap.ts';

export type ToLearner =
  | { readonly kind: 'init' }
  /**
   * Encoded committed log entries, contiguous, in index order, packed into one buffer (entry i is
   * bytes[offsets[i] .. offsets[i + 1])) so a worker receives them by transfer, not by copying each.
   */
  | { readonly kind: 'apply'; readonly bytes: Uint8Array; readonly offsets: Uint32Array }
  /**
   * A shared ring (feed-ring.ts) the leader side copies committed entries into: the learner takes them every
   * `intervalMs` while they stream in (no message per batch). Only where memory is shared (a worker thread, in-process).
   */
  | { readonly kind: 'feedRing'; readonly buffer: SharedArrayBuffer; readonly intervalMs: number }
  /** Rebuild from a row-store snapshot: defs are catalog JSON (serializeCatalogValue). */
  | { readonly kind: 'snapshotBegin'; readonly index: number; readonly ts: number; readonly defs: readonly string[] }
  | { readonly kind: 'snapshotRows'; readonly tableId: number; readonly keys: readonly Uint8Array[]; readonly rows: readonly (readonly unknown[])[] }
  | { readonly kind: 'snapshotEnd' }
  /** ts undefined = the learner's own applied timestamp (bounded staleness). Answered once minIndex is applied. */
  | {
      readonly kind: 'scan'; readonly id: number; readonly table: string; readonly ts: number | undefined; readonly minIndex: number;
      readonly columns?: readonly number[]; readonly zone?: readonly ZonePredicate[];
      /** Columns by name (a ScanNode's output), resolved against the schema the read sees. */
      readonly columnNames?: readonly string[];
      /** A ScanNode filter over the named columns: its simple conjuncts become zone predicates. */
      readonly filter?: Expr;
    }
  /** The next chunk of an open scan (the leader side asks for it once it consumed the previous one). */
  | { readonly kind: 'scanMore'; readonly id: number }
  /** The reader stopped early: release the scan. */
  | { readonly kind: 'scanEnd'; readonly id: number }
  | { readonly kind: 'compact'; readonly id: number }
  | { readonly kind: 'status'; readonly id: number }
  | { readonly kind: 'close' }
  /**
   * Run a column-path plan fragment here (fragment.ts) at ts once minIndex is applied. Scan filters carry
   * their parameters substituted (zone maps need constants); `params` serve the other expressions.
   * Answered by 'fragmentResult' chunks (or an 'error'); `names` name the result columns.
   */
  | {
      readonly kind: 'fragment'; readonly id: number; readonly plan: PlanNode; readonly params: readonly unknown[];
      readonly ts: number; readonly minIndex: number; readonly names?: readonly string[];
      readonly batchRowsMax?: number; readonly analyze?: boolean;
      /** Unpruned blocks a scan needs before a helper thread shares it (olap/parallel; 0 = always). */
      readonly parallelMinBlocks?: number;
    }
  /** The next result chunk of a fragment (asked for once the previous one was consumed). */
  | { readonly kind: 'fragmentMore'; readonly id: number }
  /** Stop a fragment: the statement was cancelled or its reader stopped early. */
  | { readonly kind: 'fragmentCancel'; readonly id: number };

export interface LearnerStatus {
  readonly appliedIndex: number;
  readonly appliedTs: number;
  readonly horizonTs: number;
  readonly compactions: number;
  readonly diskBytes: number;
  /** Per table; diskBytes = its Parquet segments as last saved. */
  readonly tables: readonly (TableStatus & { readonly diskBytes: number })[];
  /** Column-path fragments running or waiting for their log index on the learner. */
  readonly fragmentsOpen?: number;
}

export type FromLearner =
  | { readonly kind: 'ready'; readonly appliedIndex: number; readonly damage?: { readonly file: string; readonly reason: string } }
  /** After an apply message; `ring`: after taking entries from the feed ring (sent only when a waiter asked). */
  | { readonly kind: 'applied'; readonly appliedIndex: number; readonly appliedTs: number; readonly ring?: boolean }
  /** One chunk (at most SCAN_CHUNK_BATCHES batches) of a scan; `done` on the last; counters so far. */
  | { readonly kind: 'scanned'; readonly id: number; readonly ts: number; readonly appliedIndex: number; readonly batches: readonly Batch[]; readonly done: boolean; readonly blocksPruned: number; readonly blocksScanned: number }
  | { readonly kind: 'status'; readonly id: number; readonly status: LearnerStatus }
  | { readonly kind: 'compacted'; readonly id: number }
  | { readonly kind: 'error'; readonly id?: number; readonly code?: string; readonly message: string }
  | { readonly kind: 'closed' }
  /**
   * One chunk of a fragment's result: an Arrow IPC stream (schema + up to FRAGMENT_CHUNK_BATCHES batches).
   * The last (`done`) carries per-scan block counters and, for EXPLAIN ANALYZE, per-operator stats, both
   * in the plan's preorder.
   */
  | {
      readonly kind: 'fragmentResult'; readonly id: number; readonly ipc: Uint8Array; readonly done: boolean;
      readonly stats?: readonly (OperatorStats | null)[];
      readonly scans?: readonly { readonly blocksScanned: number; readonly blocksPruned: number; readonly workers?: number; readonly helperBlocks?: number }[];
    };

/** Batches per scan message: bounds what one message copies across the thread boundary. */
export const SCAN_CHUNK_BATCHES = 16;

/** Scans a learner keeps open at once (each holds the blocks it started on). */
export const OPEN_SCANS_MAX = 256;

export function packEntries(entries: readonly Uint8Array[]): Extract<ToLearner, { kind: 'apply' }> {
  const offsets = new Uint32Array(entries.length + 1);
  for (let i = 0; i < entries.length; i++) offsets[i + 1] = offsets[i]! + entries[i]!.length;
  const bytes = new Uint8Array(offsets[entries.length]!);
  for (let i = 0; i < entries.length; i++) bytes.set(entries[i]!, offsets[i]!);
  return { kind: 'apply', bytes, offsets };
}

/** The entries of an apply message as Buffer views of its one buffer (no copy; what decodeLogEntry takes). */
export function unpackEntries(m: Extract<ToLearner, { kind: 'apply' }>): Buffer[] {
  const out: Buffer[] = [];
  const base = m.bytes.byteOffset;
  for (let i = 0; i + 1 < m.offsets.length; i++) out.push(Buffer.from(m.bytes.buffer, base + m.offsets[i]!, m.offsets[i + 1]! - m.offsets[i]!));
  return out;
}

/** A duplex channel: a worker's parentPort / a Worker, or an in-process loopback (tests). */
export interface LearnerPort {
  post(msg: ToLearner | FromLearner): void;
  onMessage(fn: (msg: never) => void): void;
}
