// Commit-log entries: one committed transaction = one entry `{ index, commitTs, txnId, writes }`.
// The row store appends the encoded entry durably and applies it to the MVCC keyspace; a replicated
// log (Raft) can carry the same bytes, and CDC decodes them with decodeLogEntry.
import { ByteReader, ByteWriter, crc32 } from './rowcodec.ts';
import type { Row } from './types.ts';

export type RowOp = 'insert' | 'update' | 'delete';

export type LogWrite =
  /** A row version; `key` is the encoded primary key (keycodec.ts), `row` null for a delete. */
  | { readonly kind: 'row'; readonly op: RowOp; readonly tableId: number; readonly key: Buffer; readonly row: Row | null }
  /** An index entry to add: `key` = encoded index values followed by the encoded primary key. */
  | { readonly kind: 'index'; readonly indexId: number; readonly key: Buffer }
  /** A catalog entry (JSON text), null when dropped; `name` like `t/orders`, `v/top`, `i/orders_pkey`. */
  | { readonly kind: 'catalog'; readonly name: string; readonly value: string | null };

export interface LogEntry {
  readonly index: number;
  readonly commitTs: number;
  readonly txnId: number;
  readonly writes: readonly LogWrite[];
}

const FORMAT_VERSION = 1;
const OPS: readonly RowOp[] = ['insert', 'update', 'delete'];

export function encodeLogEntry(e: LogEntry): Buffer {
  return encode(e, undefined);
}

/**
 * encodeLogEntry, plus for each write the bytes of its encoded row (undefined: no row) as views into the entry:
 * the apply step builds the row versions from them instead of encoding every row a second time.
 */
export function encodeLogEntryWithRows(e: LogEntry): { bytes: Buffer; rows: (Buffer | undefined)[] } {
  // Sized up front: a growing empty array takes room for 16 more elements at its first push, per commit.
  const spans = new Array<number>(2 * e.writes.length);
  const bytes = encode(e, spans);
  const rows: (Buffer | undefined)[] = new Array(e.writes.length);
  for (let i = 0; i < e.writes.length; i++) {
    const start = spans[2 * i]!;
    rows[i] = start < 0 ? undefined : bytes.subarray(start, spans[2 * i + 1]!);
  }
  return { bytes, rows };
}

/** `spans`, when given (2 slots per write), receives [start, end) of each write's row bytes (-1, -1 for writes without a row). */
function encode(e: LogEntry, spans: number[] | undefined): Buffer {
  // One reused writer (emptied per call, encode is synchronous): finish() copies out exactly the entry's bytes,
  // so a small entry costs one allocation instead of a fresh writer that grows and is then copied.
  const w = scratch;
  w.length = 0;
  w.u8(FORMAT_VERSION);
  w.u53(e.index);
  w.u53(e.commitTs);
  w.u53(e.txnId);
  w.varint(e.writes.length);
  for (let i = 0; i < e.writes.length; i++) {
    const x = e.writes[i]!;
    if (spans !== undefined) spans[2 * i] = spans[2 * i + 1] = -1;
    if (x.kind === 'row') {
      w.u8(1);
      w.u8(OPS.indexOf(x.op));
      w.u32(x.tableId);
      w.bytes(x.key);
      if (x.row === null) {
        w.u8(0);
      } else {
        w.u8(1);
        const start = w.length;
        w.row(x.row);
        if (spans !== undefined) {
          spans[2 * i] = start;
          spans[2 * i + 1] = w.length;
        }
      }
    } else if (x.kind === 'index') {
      w.u8(2);
      w.u32(x.indexId);
      w.bytes(x.key);
    } else {
      w.u8(3);
      w.string(x.name);
      if (x.value === null) w.u8(0);
      else {
        w.u8(1);
        w.string(x.value);
      }
    }
  }
  w.u32(crc32(w.buf, 0, w.length));
  const out = w.finish();
  // A huge entry (a bulk load's transaction) must not keep its buffer alive in the scratch writer.
  if (w.buf.length > SCRATCH_KEEP_BYTES) scratch = new ByteWriter(SCRATCH_START_BYTES);
  return out;
}

const SCRATCH_START_BYTES = 4096;
const SCRATCH_KEEP_BYTES = 1 << 20;
let scratch = new ByteWriter(SCRATCH_START_BYTES);

/** Decodes an entry; throws a plain Error (with a reason) when the bytes are truncated or the checksum fails. */
export function decodeLogEntry(buf: Buffer): LogEntry {
  if (buf.length < 5) throw new Error('log entry too short');
  const stored = buf.readUInt32BE(buf.length - 4);
  if (crc32(buf, 0, buf.length - 4) !== stored) throw new Error('log entry checksum mismatch');
  const r = new ByteReader(buf.subarray(0, buf.length - 4));
  const version = r.u8();
  if (version !== FORMAT_VERSION) throw new Error(`unknown log entry format ${version}`);
  const index = r.u53();
  const commitTs = r.u53();
  const txnId = r.u53();
  const n = r.varint();
  const writes: LogWrite[] = [];
  for (let i = 0; i < n; i++) {
    const kind = r.u8();
    if (kind === 1) {
      const op = OPS[r.u8()];
      if (op === undefined) throw new Error('bad row op');
      const tableId = r.u32();
      const key = Buffer.from(r.bytes());
      const row = r.u8() === 1 ? r.row() : null;
      writes.push({ kind: 'row', op, tableId, key, row });
    } else if (kind === 2) {
      const indexId = r.u32();
      writes.push({ kind: 'index', indexId, key: Buffer.from(r.bytes()) });
    } else if (kind === 3) {
      const name = r.string();
      const value = r.u8() === 1 ? r.string() : null;
      writes.push({ kind: 'catalog', name, value });
    } else throw new Error(`bad write kind ${kind}`);
  }
  return { index, commitTs, txnId, writes };
}
