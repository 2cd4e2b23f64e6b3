// Block columns in shared memory: typed arrays move onto SharedArrayBuffers (so a helper thread reads the
// learner's own memory), strings travel once as UTF-8 bytes + offsets and are decoded once on the helper.
import { assert } from '../../oltp/errors.ts';
import type { Vector } from '../exec/spec.ts';

/** A column as posted to the helper: a Vector whose typed arrays are shared, or strings as bytes. */
export type SharedColumn =
  | Extract<Vector, { kind: 'number' | 'decimal' | 'bool' | 'bigdecimal' }>
  | { readonly kind: 'dictBytes'; readonly codes: Int32Array; readonly valid: Uint8Array | undefined; readonly bytes: Uint8Array; readonly offsets: Int32Array }
  | { readonly kind: 'stringBytes'; readonly valid: Uint8Array | undefined; readonly bytes: Uint8Array; readonly offsets: Int32Array };

function isShared(a: ArrayBufferView | undefined): boolean {
  return a === undefined || a.buffer instanceof SharedArrayBuffer;
}

function sharedCopy<T extends Float64Array | Int32Array | Uint8Array>(a: T): T {
  if (a.buffer instanceof SharedArrayBuffer) return a;
  const Ctor = a.constructor as new (buffer: SharedArrayBuffer) => T;
  const out = new Ctor(new SharedArrayBuffer(a.byteLength));
  out.set(a as never);
  return out;
}

/** Strings as one UTF-8 byte array and n + 1 offsets, both shared. */
function encodeStrings(strings: readonly string[]): { bytes: Uint8Array; offsets: Int32Array } {
  const offsets = new Int32Array(new SharedArrayBuffer((strings.length + 1) * 4));
  let total = 0;
  for (let i = 0; i < strings.length; i++) {
    total += Buffer.byteLength(strings[i]!, 'utf8');
    offsets[i + 1] = total;
  }
  const bytes = new Uint8Array(new SharedArrayBuffer(Math.max(total, 1)));
  const view = Buffer.from(bytes.buffer, 0, bytes.byteLength);
  for (let i = 0; i < strings.length; i++) view.write(strings[i]!, offsets[i]!, 'utf8');
  return { bytes, offsets };
}

function decodeStrings(bytes: Uint8Array, offsets: Int32Array): string[] {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: string[] = new Array(offsets.length - 1);
  for (let i = 0; i + 1 < offsets.length; i++) out[i] = view.toString('utf8', offsets[i]!, offsets[i + 1]!);
  return out;
}

/**
 * The learner side: `v` with its typed arrays on shared memory (the same vector when they already are; the
 * caller puts the result back into the block, so memory is not doubled), and what to post to the helper.
 */
export function shareVector(v: Vector): { vector: Vector; posted: SharedColumn } {
  const valid = v.valid === undefined ? undefined : sharedCopy(v.valid);
  switch (v.kind) {
    case 'number': case 'decimal': case 'bool': {
      const vector = isShared(v.data) && isShared(v.valid) ? v : ({ ...v, data: sharedCopy(v.data), valid } as typeof v);
      return { vector, posted: vector };
    }
    case 'bigdecimal':
      // rare (decimals beyond 2^53): the bigints are cloned once when posted
      return { vector: v, posted: v };
    case 'dict': {
      const vector: Vector = isShared(v.codes) && isShared(v.valid) ? v : { ...v, codes: sharedCopy(v.codes), valid };
      assert(vector.kind === 'dict', 'dict stays dict');
      return { vector, posted: { kind: 'dictBytes', codes: vector.codes, valid: vector.valid, ...encodeStrings(v.dict) } };
    }
    case 'string':
      return { vector: v, posted: { kind: 'stringBytes', valid, ...encodeStrings(v.data) } };
  }
}

/** The helper side: the executor Vector of a posted column (strings decoded here, once per block). */
export function columnVector(c: SharedColumn): Vector {
  switch (c.kind) {
    case 'dictBytes': return { kind: 'dict', dict: decodeStrings(c.bytes, c.offsets), codes: c.codes, valid: c.valid };
    case 'stringBytes': return { kind: 'string', data: decodeStrings(c.bytes, c.offsets), valid: c.valid };
    default: return c;
  }
}
