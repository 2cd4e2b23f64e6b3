// The commit path encodes each row once: encodeLogEntryWithRows gives the same entry bytes as encodeLogEntry,
// and versions built from its row views are byte-for-byte the versions encodeVersion builds; strings (short
// ASCII ones are copied by hand) are stored as their UTF-8 bytes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeLogEntry, encodeLogEntryWithRows, type LogEntry, type LogWrite } from '../../oltp/commitlog.ts';
import { decodeRow, encodeRow } from '../../oltp/rowcodec.ts';
import type { Row } from '../../oltp/types.ts';
import { decodeVersion, encodeVersion, encodeVersionFromRowBytes, versionIntact } from '../../oltp/version.ts';

const value = fc.oneof(fc.constant(null), fc.integer(), fc.double({ noNaN: true }), fc.bigInt(), fc.string(), fc.boolean());
const row = fc.array(value, { maxLength: 8 });
const write: fc.Arbitrary<LogWrite> = fc.oneof(
  row.map((r): LogWrite => ({ kind: 'row', op: 'insert', tableId: 5, key: Buffer.from([1, 2]), row: r })),
  fc.constant<LogWrite>({ kind: 'row', op: 'delete', tableId: 5, key: Buffer.from([3]), row: null }),
  fc.constant<LogWrite>({ kind: 'index', indexId: 6, key: Buffer.from([4, 5]) }),
  fc.constant<LogWrite>({ kind: 'catalog', name: 't/x', value: '{}' }),
);

describe('commit log entries with row views', () => {
  it('same bytes as encodeLogEntry; versions from the views equal encodeVersion', () => {
    fc.assert(fc.property(fc.array(write, { maxLength: 12 }), fc.integer({ min: 1, max: 2 ** 40 }), fc.integer({ min: 0, max: 2 ** 40 }), (writes, ts, prevTs) => {
      const entry: LogEntry = { index: 3, commitTs: ts, txnId: 9, writes };
      const { bytes, rows } = encodeLogEntryWithRows(entry);
      expect(bytes.equals(encodeLogEntry(entry))).toBe(true);
      expect(rows.length).toBe(writes.length);
      writes.forEach((w, i) => {
        const view = rows[i];
        if (w.kind !== 'row' || w.row === null) {
          expect(view).toBeUndefined();
          return;
        }
        const v = encodeVersionFromRowBytes(ts, prevTs, view!);
        expect(v.equals(encodeVersion(ts, prevTs, w.row))).toBe(true);
        expect(versionIntact(v)).toBe(true);
        expect(decodeVersion(v)).toEqual({ ts, prevTs, row: w.row as Row });
      });
    }), { numRuns: 300 });
  });

  it('strings are stored as their UTF-8 bytes, short ASCII or not', () => {
    const text = fc.oneof(fc.string({ maxLength: 80 }), fc.string({ unit: 'grapheme', maxLength: 80 }), fc.constantFrom('', 'N', 'a'.repeat(64), 'a'.repeat(65), 'ü', '\u007f\u0080'));
    fc.assert(fc.property(text, (s) => {
      const bytes = encodeRow([s, 1]);
      const utf8 = Buffer.from(s, 'utf8');
      // tag and length come first, then the bytes, then the next value (the int32 1: tag + 4 bytes)
      expect(bytes.subarray(bytes.length - 5 - utf8.length, bytes.length - 5).equals(utf8)).toBe(true);
      expect(decodeRow(bytes)).toEqual([s, 1]);
    }), { numRuns: 500 });
  });
});
