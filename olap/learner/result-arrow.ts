// Query results <-> Apache Arrow: executor batches (live rows only) become Arrow record batches, sent
// between threads as IPC streams and handed to `db.queryArrow` users; Arrow back to rows for `db.query`.
// Each field carries its SQL type as JSON in metadata `duet.type`, so the round trip is exact.
import {
  Bool, DateDay, Decimal, Field, Float64, Int32, Int64, Null, RecordBatch, Schema, Struct, Table, TimestampMicrosecond, Utf8,
  Type, makeData, tableFromIPC, tableToIPC, type Data, type DataType,
} from 'apache-arrow';
import type { SqlType, Value } from '../../oltp/types.ts';
import { getValue } from '../exec/batch.ts';
import type { Batch, OutputColumn, Vector } from '../exec/spec.ts';

export const TYPE_METADATA = 'duet.type';

function arrowType(t: SqlType): DataType {
  switch (t.id) {
    case 'integer': return new Int32();
    case 'bigint': return new Int64();
    case 'double': return new Float64();
    // Decimal128 holds 38 digits; our scaled bigints fit 127 bits whatever the declared precision
    case 'decimal': return new Decimal(t.scale ?? 0, Math.min(t.precision ?? 38, 38), 128);
    case 'date': return new DateDay();
    case 'timestamp': return new TimestampMicrosecond();
    case 'boolean': return new Bool();
    case 'null': return new Null();
    case 'varchar': return new Utf8();
  }
}

/**
 * The Arrow schema of a result with these columns. SQL allows repeated names but apache-arrow matches
 * columns by name, so a repeat gets a suffix (`?column?`, `?column?_1`, like DuckDB).
 */
export function resultSchema(columns: readonly OutputColumn[]): Schema {
  const used = new Set<string>();
  return new Schema(columns.map((c) => {
    let name = c.name;
    for (let n = 1; used.has(name); n++) name = `${c.name}_${n}`;
    used.add(name);
    return new Field(name, arrowType(c.type), true, new Map([[TYPE_METADATA, JSON.stringify(c.type)]]));
  }));
}

/** One Arrow record batch holding the live rows of `batch` (a selection is applied, nothing else copied twice). */
export function batchToArrow(batch: Batch, schema: Schema): RecordBatch {
  const n = batch.selection === undefined ? batch.length : batch.selection.length;
  const sel = batch.selection;
  const children = schema.fields.map((f, c) => columnData(batch.columns[c]!, batch.types[c]!, f.type as DataType, n, sel));
  return new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: n, nullCount: 0, children }));
}

function columnData(v: Vector, t: SqlType, type: DataType, n: number, sel: Uint32Array | undefined): Data {
  const at = (k: number): number => (sel === undefined ? k : sel[k]!);
  let nullCount = 0;
  let nullBitmap: Uint8Array | undefined;
  if (v.valid !== undefined) {
    const bits = new Uint8Array((n + 7) >> 3);
    for (let k = 0; k < n; k++) {
      if (v.valid[at(k)] === 1) bits[k >> 3]! |= 1 << (k & 7);
      else nullCount++;
    }
    if (nullCount > 0) nullBitmap = bits;
  }
  const base = { length: n, nullCount, ...(nullBitmap ? { nullBitmap } : {}) };
  switch (t.id) {
    case 'double': {
      const src = (v as { data: Float64Array }).data;
      const out = new Float64Array(n);
      for (let k = 0; k < n; k++) out[k] = src[at(k)]!;
      return makeData({ ...base, type: type as Float64, data: out });
    }
    case 'integer':
    case 'date': {
      const src = (v as { data: Float64Array }).data;
      const out = new Int32Array(n);
      for (let k = 0; k < n; k++) out[k] = src[at(k)]!;
      return makeData({ ...base, type: type as Int32, data: out });
    }
    case 'bigint':
    case 'timestamp': {
      const src = (v as { data: Float64Array }).data;
      const out = new BigInt64Array(n);
      for (let k = 0; k < n; k++) {
        const x = src[at(k)]!;
        out[k] = Number.isFinite(x) ? BigInt(x) : 0n; // a NULL slot may hold anything
      }
      return makeData({ ...base, type: type as Int64, data: out });
    }
    case 'decimal': {
      // 128-bit little-endian two's complement: low word, then the high word (its sign extension)
      const words = new BigInt64Array(2 * n);
      for (let k = 0; k < n; k++) {
        const x = (getValue(v, at(k)) as bigint | null) ?? 0n;
        words[2 * k] = BigInt.asIntN(64, x);
        words[2 * k + 1] = BigInt.asIntN(64, x >> 64n);
      }
      return makeData({ ...base, type: type as Decimal, data: new Uint32Array(words.buffer) });
    }
    case 'boolean': {
      const bits = new Uint8Array((n + 7) >> 3);
      const src = (v as { data: Uint8Array }).data;
      for (let k = 0; k < n; k++) if (src[at(k)] === 1) bits[k >> 3]! |= 1 << (k & 7);
      return makeData({ ...base, type: type as Bool, data: bits });
    }
    case 'null':
      return makeData({ type: type as Null, length: n, nullCount: n });
    case 'varchar': {
      const offsets = new Int32Array(n + 1);
      const parts: Buffer[] = new Array(n);
      let bytes = 0;
      for (let k = 0; k < n; k++) {
        const s = (getValue(v, at(k)) as string | null) ?? '';
        const b = Buffer.from(s, 'utf8');
        parts[k] = b;
        bytes += b.length;
        offsets[k + 1] = bytes;
      }
      return makeData({ ...base, type: type as Utf8, valueOffsets: offsets, data: Buffer.concat(parts, bytes) });
    }
  }
}

/** Record batches as one IPC stream (schema first; an empty result is the schema alone). */
export function encodeIpc(schema: Schema, batches: readonly RecordBatch[]): Uint8Array {
  return tableToIPC(new Table(schema, batches as RecordBatch[]), 'stream');
}

export function decodeIpc(bytes: Uint8Array): Table {
  return tableFromIPC(bytes);
}

/** The SQL type a field was sent with (metadata), else one read from the Arrow type. */
export function sqlTypeOf(field: Field): SqlType {
  const meta = field.metadata.get(TYPE_METADATA);
  if (meta !== undefined) return JSON.parse(meta) as SqlType;
  // decoded IPC types are generic (Int with a bit width, Date with a unit): compare by type id
  const t = field.type as DataType & { bitWidth?: number; unit?: number; scale?: number; precision?: number };
  switch (t.typeId) {
    case Type.Int: return t.bitWidth === 64 ? { id: 'bigint' } : { id: 'integer' };
    case Type.Float: return { id: 'double' };
    case Type.Decimal: return { id: 'decimal', precision: t.precision ?? 38, scale: t.scale ?? 0 };
    case Type.Date: return { id: 'date' };
    case Type.Timestamp: return { id: 'timestamp' };
    case Type.Bool: return { id: 'boolean' };
    case Type.Null: return { id: 'null' };
  }
  return { id: 'varchar' };
}

/** Rows (oltp/types.ts values) of Arrow record batches made by batchToArrow. */
export function arrowToRows(batches: readonly RecordBatch[], out: Value[][] = []): Value[][] {
  for (const batch of batches) {
    const readers = batch.schema.fields.map((f, c) => cellReader(batch.getChildAt(c)!.data[0]!, sqlTypeOf(f)));
    for (let i = 0; i < batch.numRows; i++) {
      const row: Value[] = new Array(readers.length);
      for (let c = 0; c < readers.length; c++) row[c] = readers[c]!(i);
      out.push(row);
    }
  }
  return out;
}

function cellReader(data: Data, t: SqlType): (i: number) => Value {
  const bits = data.nullBitmap;
  const off = data.offset;
  const hasNulls = data.nullCount > 0 && bits !== undefined && bits.length > 0;
  const isNull = (i: number): boolean => hasNulls && (bits[(i + off) >> 3]! & (1 << ((i + off) & 7))) === 0;
  switch (t.id) {
    case 'null':
      return () => null;
    case 'integer':
    case 'date':
    case 'double':
    case 'bigint':
    case 'timestamp': {
      const values = data.values as ArrayLike<number | bigint>;
      return (i) => (isNull(i) ? null : Number(values[i + off]!));
    }
    case 'decimal': {
      const u = data.values as Uint32Array;
      const w = new BigInt64Array(u.buffer, u.byteOffset, u.length / 2);
      return (i) => (isNull(i) ? null : BigInt.asUintN(64, w[2 * (i + off)]!) | (w[2 * (i + off) + 1]! << 64n));
    }
    case 'boolean': {
      const v = data.values as Uint8Array;
      return (i) => (isNull(i) ? null : (v[(i + off) >> 3]! & (1 << ((i + off) & 7))) !== 0);
    }
    case 'varchar': {
      const v = data.values as Uint8Array;
      const buf = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
      const o = data.valueOffsets as Int32Array;
      return (i) => (isNull(i) ? null : buf.toString('utf8', o[i + off]!, o[i + off + 1]!));
    }
  }
}
