// Hash keys for grouping, joins, DISTINCT and set operations: a primitive per row such that two rows get
// the same key exactly when their values are equal (NULLs equal each other for grouping; joins skip them).

import type { SqlType } from '../../oltp/types.ts';
import { getValue } from './batch.ts';
import type { Vector } from './spec.ts';
import { equalityKey, trimBlanks } from './values.ts';

export type Key = string | number | boolean;

/** Reads the key of row i of one column; `null` for NULL. */
export type KeyReader = (i: number) => Key | null;

/**
 * Key reader for one column. `canonical` makes keys comparable across numeric types (for join keys whose
 * two sides have different types); otherwise keys are compared within the one column type.
 */
export function keyReader(v: Vector, type: SqlType, canonical: boolean): KeyReader {
  const valid = v.valid;
  if (!canonical || type.id === 'integer' || type.id === 'bigint' || type.id === 'date') {
    switch (v.kind) {
      case 'number': {
        const d = v.data;
        return (i) => (valid !== undefined && valid[i] === 0 ? null : d[i]! + 0);
      }
      case 'decimal': {
        if (canonical) break;
        const d = v.data;
        return (i) => (valid !== undefined && valid[i] === 0 ? null : d[i]! + 0);
      }
      case 'string': {
        const d = v.data;
        if (type.fixed === true) return (i) => (valid !== undefined && valid[i] === 0 ? null : trimBlanks(d[i]!));
        return (i) => (valid !== undefined && valid[i] === 0 ? null : d[i]!);
      }
      case 'dict': {
        const dict = v.dict;
        const codes = v.codes;
        if (type.fixed === true) return (i) => (valid !== undefined && valid[i] === 0 ? null : trimBlanks(dict[codes[i]!]!));
        return (i) => (valid !== undefined && valid[i] === 0 ? null : dict[codes[i]!]!);
      }
      case 'bool': {
        const d = v.data;
        return (i) => (valid !== undefined && valid[i] === 0 ? null : d[i] === 1);
      }
      case 'bigdecimal':
        if (canonical) break;
        // the same key as a 'decimal' vector gives for values that fit (a column may arrive either way)
        return (i) => (valid !== undefined && valid[i] === 0 ? null : bigKey(v.data[i]!));
    }
  }
  return (i) => {
    const x = getValue(v, i);
    return x === null ? null : equalityKey(x, type);
  };
}

function bigKey(v: bigint): Key {
  return v <= 9007199254740991n && v >= -9007199254740991n ? Number(v) : v.toString();
}

/** Encodes several key parts into one string without ambiguity (NULL encoded as a distinct token). */
export function compositeKey(parts: readonly (Key | null)[]): string {
  let s = '';
  for (const p of parts) {
    if (p === null) s += 'N|';
    else if (typeof p === 'string') s += `s${p.length}:${p}|`;
    else if (typeof p === 'number') s += `n${p}|`;
    else s += p ? 'T|' : 'F|';
  }
  return s;
}

/** Key of row i over several readers; `null` if any part is NULL and `nullsMatch` is false. */
export function rowKey(readers: readonly KeyReader[], i: number, nullsMatch: boolean): Key | null {
  if (readers.length === 1) {
    const k = readers[0]!(i);
    if (k === null) return nullsMatch ? '\u0000NULL' : null;
    return typeof k === 'string' && nullsMatch ? 's' + k : k;
  }
  const parts: (Key | null)[] = new Array(readers.length);
  for (let c = 0; c < readers.length; c++) {
    const k = readers[c]!(i);
    if (k === null && !nullsMatch) return null;
    parts[c] = k;
  }
  return compositeKey(parts);
}
