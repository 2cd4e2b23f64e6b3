// Encoded primary keys of many versions in two typed arrays (bytes + offsets): no object per row.
// The byte order of keycodec encodings is SQL order, so sorting and searching compare bytes.

/** Immutable column of encoded keys: key i is bytes[offsets[i] .. offsets[i + 1]). */
export interface KeyColumn {
  /** A Buffer view, so comparisons can use Buffer#compare with offsets (no subarray per compare). */
  readonly bytes: Buffer;
  readonly offsets: Uint32Array;
}

export function keyColumn(bytes: Uint8Array, offsets: Uint32Array): KeyColumn {
  return { bytes: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), offsets };
}

/** Order of key i of `a` and key j of `b` (memcmp), without allocating. */
export function compareKeys(a: KeyColumn, i: number, b: KeyColumn, j: number): number {
  return compareRanges(a.bytes, a.offsets[i]!, a.offsets[i + 1]!, b.bytes, b.offsets[j]!, b.offsets[j + 1]!);
}

/** Order of key i of `a` and a standalone key. */
export function compareKeyTo(a: KeyColumn, i: number, key: Uint8Array): number {
  return compareRanges(a.bytes, a.offsets[i]!, a.offsets[i + 1]!, key, 0, key.length);
}

/**
 * memcmp order (-1, 0, 1) of x[xs..xe) and y[ys..ye). A byte loop: keys are short (a few to a few dozen bytes),
 * and Buffer#compare with offsets validates its arguments on every call (about 10x the cost here; the learner
 * compares a key per applied row).
 */
function compareRanges(x: Uint8Array, xs: number, xe: number, y: Uint8Array, ys: number, ye: number): number {
  const xn = xe - xs;
  const yn = ye - ys;
  const n = xn < yn ? xn : yn;
  for (let k = 0; k < n; k++) {
    const d = x[xs + k]! - y[ys + k]!;
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return xn === yn ? 0 : xn < yn ? -1 : 1;
}

export function keyCount(k: KeyColumn): number {
  return k.offsets.length - 1;
}

export function keyAt(k: KeyColumn, i: number): Uint8Array {
  return k.bytes.subarray(k.offsets[i]!, k.offsets[i + 1]!);
}

/** memcmp order of two byte strings. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return compareRanges(a, 0, a.length, b, 0, b.length);
}

/** Appends keys; grows geometrically. */
export class KeyColumnBuilder {
  private bytes: Uint8Array;
  private offsets: Uint32Array;
  length = 0;
  private byteLength = 0;

  constructor(capacity = 64) {
    this.bytes = new Uint8Array(Math.max(capacity, 8) * 8);
    this.offsets = new Uint32Array(Math.max(capacity, 8) + 1);
  }

  append(key: Uint8Array): void {
    if (this.length + 2 > this.offsets.length) {
      const o = new Uint32Array(this.offsets.length * 2);
      o.set(this.offsets);
      this.offsets = o;
    }
    if (this.byteLength + key.length > this.bytes.length) {
      const b = new Uint8Array(Math.max(this.bytes.length * 2, this.byteLength + key.length));
      b.set(this.bytes.subarray(0, this.byteLength));
      this.bytes = b;
    }
    this.bytes.set(key, this.byteLength);
    this.byteLength += key.length;
    this.length++;
    this.offsets[this.length] = this.byteLength;
  }

  /** A view of the keys appended so far (valid until the next append). */
  view(): KeyColumn {
    return keyColumn(this.bytes.subarray(0, this.byteLength), this.offsets.subarray(0, this.length + 1));
  }

  build(): KeyColumn {
    return keyColumn(this.bytes.slice(0, this.byteLength), this.offsets.slice(0, this.length + 1));
  }

  get bytesUsed(): number {
    return this.bytes.byteLength + this.offsets.byteLength;
  }
}
