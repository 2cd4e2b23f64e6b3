// Range scans for a transaction: primary-key order over the latest keyspace, or index order over index
// entries rechecked against the visible row; both merged with the transaction's own writes.
import type { IndexDef, KeyRange, ScanOptions } from './api.ts';
import { indexTypes, keyTypes, type StoredTableDef } from './catalog.ts';
import { assert } from './errors.ts';
import { decodeKey, encodeKey, KEY_AFTER_PREFIX, skipKeyValues } from './keycodec.ts';
import { idPrefix, indexKey, KS_INDEX, KS_LATEST, prefixEnd } from './keys.ts';
import { visibleRow } from './mvcc.ts';
import { complete, indexEntryBytes, type RowWrite, type Transaction } from './txn.ts';
import type { Row, SqlType } from './types.ts';

const AFTER = Buffer.from([KEY_AFTER_PREFIX]);

/** The [lo, hi) byte range of keys under `prefix` whose encoded tuple falls in `range` (bounds may be key prefixes). */
export function rangeBounds(prefix: Buffer, range: KeyRange, types: readonly SqlType[]): { lo: Buffer; hi: Buffer } {
  let lo = prefix;
  let hi = prefixEnd(prefix);
  if (range.lower !== undefined && range.lower.length > 0) {
    const enc = encodeKey(range.lower, types);
    lo = range.lowerInclusive === false ? Buffer.concat([prefix, enc, AFTER]) : Buffer.concat([prefix, enc]);
  }
  if (range.upper !== undefined && range.upper.length > 0) {
    const enc = encodeKey(range.upper, types);
    hi = range.upperInclusive === false ? Buffer.concat([prefix, enc]) : Buffer.concat([prefix, enc, AFTER]);
  }
  return { lo, hi };
}

function batchSize(options: ScanOptions): number {
  const n = options.batchRows ?? 1024;
  assert(Number.isInteger(n) && n > 0, 'batchRows must be a positive integer');
  return n;
}

function before(a: string, b: string, reverse: boolean): boolean {
  return reverse ? a > b : a < b;
}

function withRowId(def: StoredTableDef, row: Row, pk: Buffer, options: ScanOptions): Row {
  const full = complete(def, row);
  if (!options.withRowId || !def.hiddenRowId) return full;
  const out = full === row ? row.slice() : full;
  out.push(decodeKey(pk, keyTypes(def))[0]!);
  return out;
}

/** Rows of the table in primary-key order within the range, in batches. */
export async function* tableScan(txn: Transaction, def: StoredTableDef, options: ScanOptions): AsyncGenerator<Row[]> {
  const batchRows = batchSize(options);
  const reverse = options.reverse === true;
  const readTs = txn.readTs; // a statement's scan keeps its snapshot even if a new statement starts
  const prefix = idPrefix(KS_LATEST, def.id);
  const { lo, hi } = rangeBounds(prefix, options, keyTypes(def));
  if (txn.serializable) txn.addReadRange(lo.toString('latin1'), hi.toString('latin1'));
  if (Buffer.compare(lo, hi) >= 0) return;
  const loStr = lo.toString('latin1');
  const hiStr = hi.toString('latin1');
  const own: [string, RowWrite][] = [];
  for (const e of txn.writes.get(def.id) ?? []) if (e[0] >= loStr && e[0] < hiStr) own.push(e);
  own.sort((a, b) => (before(a[0], b[0], reverse) ? -1 : 1));
  let ownAt = 0;
  let out: Row[] = [];
  const emitOwn = (w: RowWrite): void => {
    if (w.row !== null) out.push(withRowId(def, w.row, w.pk, options));
  };
  const it = txn.host.db.iterator({ gte: lo, lt: hi, reverse });
  try {
    for (;;) {
      const entries = await it.nextv(batchRows);
      if (entries.length === 0) break;
      for (const [k, v] of entries) {
        if (ownAt < own.length) {
          const ks = k.toString('latin1');
          while (ownAt < own.length && before(own[ownAt]![0], ks, reverse)) emitOwn(own[ownAt++]![1]);
          if (ownAt < own.length && own[ownAt]![0] === ks) {
            emitOwn(own[ownAt++]![1]);
            continue;
          }
        }
        txn.host.checkVersion(k, v);
        const pk = k.subarray(prefix.length);
        const row = visibleRow(txn.host, def.id, pk, v, readTs);
        if (row !== null) out.push(withRowId(def, row, pk, options));
      }
      if (out.length >= batchRows) {
        for (let i = 0; i + batchRows <= out.length; i += batchRows) yield out.slice(i, i + batchRows);
        out = out.slice(out.length - (out.length % batchRows));
      }
    }
    while (ownAt < own.length) emitOwn(own[ownAt++]![1]);
    for (let i = 0; i < out.length; i += batchRows) yield out.slice(i, i + batchRows);
  } finally {
    await it.close();
  }
}

/** Candidate index keys from this transaction: entries of its own row writes and of indexes it created. */
function ownIndexCandidates(txn: Transaction, def: StoredTableDef, index: IndexDef, loStr: string, hiStr: string, reverse: boolean): string[] {
  const out = new Set<string>();
  for (const w of txn.writes.get(def.id)?.values() ?? []) {
    if (w.row === null) continue;
    const k = indexKey(index.id, indexEntryBytes(def, index, complete(def, w.row), w.pk)).toString('latin1');
    if (k >= loStr && k < hiStr) out.add(k);
  }
  for (const entry of txn.pendingIndex.get(index.id)?.values() ?? []) {
    const k = indexKey(index.id, entry).toString('latin1');
    if (k >= loStr && k < hiStr) out.add(k);
  }
  return [...out].sort((a, b) => (before(a, b, reverse) ? -1 : 1));
}

/** Rows whose index values fall in the range, in index order; every entry is rechecked against the visible row. */
export async function* indexScan(txn: Transaction, def: StoredTableDef, index: IndexDef, options: ScanOptions): AsyncGenerator<Row[]> {
  const batchRows = batchSize(options);
  const reverse = options.reverse === true;
  const prefix = idPrefix(KS_INDEX, index.id);
  const { lo, hi } = rangeBounds(prefix, options, indexTypes(def, index));
  if (txn.serializable) txn.addReadRange(lo.toString('latin1'), hi.toString('latin1'));
  if (Buffer.compare(lo, hi) >= 0) return;
  const own = ownIndexCandidates(txn, def, index, lo.toString('latin1'), hi.toString('latin1'), reverse);
  let ownAt = 0;
  let out: Row[] = [];
  const consider = (key: Buffer): void => {
    const entry = key.subarray(prefix.length);
    const pk = entry.subarray(skipKeyValues(entry, 0, index.columns.length));
    const row = txn.readRow(def, pk);
    if (row === null) return;
    // The entry may belong to an older version of the row: keep it only if the visible version has these values.
    if (!indexEntryBytes(def, index, row, pk).equals(entry)) return;
    out.push(withRowId(def, row, pk, options));
  };
  const it = txn.host.db.keys({ gte: lo, lt: hi, reverse });
  try {
    for (;;) {
      const keys = await it.nextv(batchRows);
      if (keys.length === 0) break;
      for (const k of keys) {
        if (ownAt < own.length) {
          const ks = k.toString('latin1');
          while (ownAt < own.length && before(own[ownAt]!, ks, reverse)) consider(Buffer.from(own[ownAt++]!, 'latin1'));
          if (ownAt < own.length && own[ownAt] === ks) ownAt++;
        }
        consider(k);
      }
      if (out.length >= batchRows) {
        for (let i = 0; i + batchRows <= out.length; i += batchRows) yield out.slice(i, i + batchRows);
        out = out.slice(out.length - (out.length % batchRows));
      }
    }
    while (ownAt < own.length) consider(Buffer.from(own[ownAt++]!, 'latin1'));
    for (let i = 0; i < out.length; i += batchRows) yield out.slice(i, i + batchRows);
  } finally {
    await it.close();
  }
}
