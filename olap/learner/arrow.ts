// Stable blocks <-> Apache Arrow record batches (the Parquet boundary). User columns keep their SQL
// types (INTEGER Int32, BIGINT Int64, DOUBLE Float64, DECIMAL Decimal128, DATE DateDay, TIMESTAMP µs,
// BOOLEAN Bool, text Utf8), so DuckDB or pandas read a segment as they would any table; trailing columns
// carry the version: __duet_begin, __duet_end (Infinity = live), and __duet_key (the encoded key) only for
// tables with a hidden row id; otherwise the key is re-encoded from the primary-key columns at load.
import {
  Binary, Bool, DateDay, Decimal, Float64, Int32, Int64, RecordBatch, Table, TimestampMicrosecond, Utf8,
  makeData, type Data, type DataType,
} from 'apache-arrow';
import type { SqlType, Value } from '../../oltp/types.ts';
import { keyTypes, type StoredTableDef } from '../../oltp/catalog.ts';
import { encodeKey } from '../../oltp/keycodec.ts';
import { getValue } from '../exec/batch.ts';
import type { Vector } from '../exec/spec.ts';
import { BlockBuilder, type Block } from './block.ts';

export const KEY_COLUMN = '__duet_key';
export const BEGIN_COLUMN = '__duet_begin';
export const END_COLUMN = '__duet_end';

function arrowType(t: SqlType): DataType {
  switch (t.id) {
    case 'integer': return new Int32();
    case 'bigint': return new Int64();
    case 'double': return new Float64();
    case 'decimal': return new Decimal(t.scale ?? 0, t.precision ?? 38, 128);
    case 'date': return new DateDay();
    case 'timestamp': return new TimestampMicrosecond();
    case 'boolean': return new Bool();
    default: return new Utf8();
  }
}

/** Arrow validity bitmap from our byte-per-row validity; undefined when there are no NULLs. */
function bitmap(valid: Uint8Array | undefined, n: number): { nullBitmap?: Uint8Array; nullCount: number } {
  if (valid === undefined) return { nullCount: 0 };
  const bits = new Uint8Array((n + 7) >> 3);
  let nulls = 0;
  for (let i = 0; i < n; i++) {
    if (valid[i] === 1) bits[i >> 3]! |= 1 << (i & 7);
    else nulls++;
  }
  return nulls === 0 ? { nullCount: 0 } : { nullBitmap: bits, nullCount: nulls };
}

function vectorData(v: Vector, t: SqlType, n: number): Data {
  const type = arrowType(t);
  const { nullBitmap, nullCount } = bitmap(v.valid, n);
  const base = { type, length: n, nullCount, ...(nullBitmap ? { nullBitmap } : {}) };
  switch (t.id) {
    case 'double':
      return makeData({ ...base, type: new Float64(), data: (v as { data: Float64Array }).data.subarray(0, n) });
    case 'integer':
    case 'date': {
      const out = new Int32Array(n);
      const src = (v as { data: Float64Array }).data;
      for (let i = 0; i < n; i++) out[i] = src[i]!;
      return makeData({ ...base, type: type as Int32, data: out });
    }
    case 'bigint':
    case 'timestamp': {
      const out = new BigInt64Array(n);
      const src = (v as { data: Float64Array }).data;
      for (let i = 0; i < n; i++) out[i] = BigInt(src[i]!);
      return makeData({ ...base, type: type as Int64, data: out });
    }
    case 'decimal': {
      // 128-bit little-endian two's complement: low word = the value, high word = its sign extension
      const words = new BigInt64Array(2 * n);
      for (let i = 0; i < n; i++) {
        const x = v.valid !== undefined && v.valid[i] === 0 ? 0n : (getValue(v, i) as bigint);
        words[2 * i] = BigInt.asIntN(64, x);
        words[2 * i + 1] = BigInt.asIntN(64, x >> 64n);
      }
      return makeData({ ...base, type: type as Decimal, data: new Uint32Array(words.buffer) });
    }
    case 'boolean': {
      const bits = new Uint8Array((n + 7) >> 3);
      const src = (v as { data: Uint8Array }).data;
      for (let i = 0; i < n; i++) if (src[i] === 1) bits[i >> 3]! |= 1 << (i & 7);
      return makeData({ ...base, type: new Bool(), data: bits });
    }
    default: {
      const parts: Buffer[] = [];
      const offsets = new Int32Array(n + 1);
      let at = 0;
      for (let i = 0; i < n; i++) {
        const s = v.valid !== undefined && v.valid[i] === 0 ? '' : (getValue(v, i) as string);
        const b = Buffer.from(s, 'utf8');
        parts.push(b);
        at += b.length;
        offsets[i + 1] = at;
      }
      return makeData({ ...base, type: new Utf8(), valueOffsets: offsets, data: Buffer.concat(parts, at) });
    }
  }
}

/** One Arrow record batch per stable block. */
export function blocksToArrow(def: StoredTableDef, blocks: readonly Block[]): Table {
  const types = def.columns.map((c) => c.type);
  const batches = blocks.map((b) => {
    const cols: Record<string, Data> = {};
    types.forEach((t, c) => (cols[def.columns[c]!.name] = vectorData(b.columns[c]!, t, b.rows)));
    if (def.hiddenRowId) cols[KEY_COLUMN] = makeData({ type: new Binary(), length: b.rows, nullCount: 0, valueOffsets: Int32Array.from(b.keys.offsets), data: b.keys.bytes });
    cols[BEGIN_COLUMN] = makeData({ type: new Float64(), length: b.rows, nullCount: 0, data: b.begin });
    cols[END_COLUMN] = makeData({ type: new Float64(), length: b.rows, nullCount: 0, data: b.end });
    return new RecordBatch(cols);
  });
  return new Table(batches);
}

/** Arrow batches (as read back from Parquet) -> stable blocks of the table's column types. */
export function arrowToBlocks(table: Table, def: StoredTableDef): Block[] {
  const types = def.columns.map((c) => c.type);
  const pkTypes = keyTypes(def);
  const out: Block[] = [];
  let builder = new BlockBuilder(types);
  const row: Value[] = new Array(types.length);
  for (const batch of table.batches) {
    const cols = types.map((t, c) => cellReader(batch.getChildAt(c)!.data[0]!, t));
    const key = batch.getChild(KEY_COLUMN);
    const begin = batch.getChild(BEGIN_COLUMN)!.data[0]!.values as Float64Array;
    const end = batch.getChild(END_COLUMN)!.data[0]!.values as Float64Array;
    if (def.hiddenRowId && !key) throw new Error(`column ${KEY_COLUMN} is missing`);
    for (let i = 0; i < batch.numRows; i++) {
      for (let c = 0; c < cols.length; c++) row[c] = cols[c]!(i);
      const k = key ? (key.get(i) as Uint8Array) : encodeKey(def.primaryKey.map((c) => row[c]!), pkTypes);
      builder.appendRow(row, k, begin[i]!, end[i]!);
      if (builder.full) {
        out.push(builder.finish());
        builder = new BlockBuilder(types);
      }
    }
  }
  if (builder.rows > 0) out.push(builder.finish());
  return out;
}

function cellReader(data: Data, t: SqlType): (i: number) => Value {
  const bits = data.nullBitmap;
  const off = data.offset;
  const isNull = (i: number): boolean => bits !== undefined && bits.length > 0 && data.nullCount > 0 && (bits[(i + off) >> 3]! & (1 << ((i + off) & 7))) === 0;
  const values = data.values as ArrayLike<number | bigint>;
  switch (t.id) {
    case 'integer':
    case 'date':
    case 'double':
      return (i) => (isNull(i) ? null : Number(values[i + off]!));
    case 'bigint':
    case 'timestamp':
      return (i) => (isNull(i) ? null : Number(values[i + off]!));
    case 'decimal': {
      const w = new BigInt64Array((data.values as Uint32Array).buffer, (data.values as Uint32Array).byteOffset, (data.values as Uint32Array).length / 2);
      return (i) => (isNull(i) ? null : (BigInt.asUintN(64, w[2 * (i + off)]!) | (w[2 * (i + off) + 1]! << 64n)));
    }
    case 'boolean': {
      const v = data.values as Uint8Array;
      return (i) => (isNull(i) ? null : (v[(i + off) >> 3]! & (1 << ((i + off) & 7))) !== 0);
    }
    default: {
      const v = data.values as Uint8Array;
      const o = data.valueOffsets as Int32Array;
      return (i) => (isNull(i) ? null : Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('utf8', o[i + off]!, o[i + off + 1]!));
    }
  }
}
