// ColumnTable's apply path (olap/learner/table.ts) against a model of versions: inserts mostly in key order
// (the run fast path), pairs of them swapped (concurrent commits), inserts far out of order, updates and deletes of delta and stable keys, and
// compactions in between; a scan at every applied timestamp equals the model's rows at that timestamp.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ColumnTable } from '../../olap/learner/table.ts';
import type { StoredTableDef } from '../../oltp/catalog.ts';
import { encodeKey } from '../../oltp/keycodec.ts';
import { Types, type Row } from '../../oltp/types.ts';
import type { Batch } from '../../olap/exec/spec.ts';

const def: StoredTableDef = {
  id: 7, name: 't', primaryKey: [0], hiddenRowId: false, indexes: [], schemaVersion: 1, fills: [null, null],
  columns: [{ name: 'id', type: Types.integer, notNull: true }, { name: 'v', type: Types.integer, notNull: false }],
};

function rowsOf(batches: readonly Batch[]): string[] {
  const out: string[] = [];
  for (const b of batches) {
    const sel = b.selection;
    const n = sel ? sel.length : b.length;
    for (let k = 0; k < n; k++) {
      const i = sel ? sel[k]! : k;
      out.push(b.columns.map((c) => (c.valid && c.valid[i] === 0 ? 'null' : String((c as { data: ArrayLike<number> }).data[i]))).join(','));
    }
  }
  return out.sort();
}

const op = fc.oneof(
  { weight: 6, arbitrary: fc.constant({ kind: 'append' as const }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'appendSwapped' as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('insertAny' as const), key: fc.integer({ min: 0, max: 60 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('update' as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'compact' as const }) },
);

describe('ColumnTable apply', () => {
  it('scans at every timestamp equal a model of the applied changes', () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 120 }), (ops) => {
        const table = new ColumnTable(def, 1);
        const live = new Map<number, number>(); // key -> value
        const states: { ts: number; rows: string[] }[] = [];
        let ts = 1;
        let nextKey = 100;
        const keys = (): number[] => [...live.keys()].sort((a, b) => a - b);
        const put = (k: number, v: number): void => {
          table.applyChange(encodeKey([k], [Types.integer]), [k, v] as Row, ++ts);
          live.set(k, v);
        };
        for (const o of ops) {
          if (o.kind === 'append') put(nextKey++, ts);
          else if (o.kind === 'appendSwapped') {
            put(nextKey + 1, ts);
            states.push({ ts, rows: [...live].map(([k, v]) => `${k},${v}`).sort() });
            put(nextKey, ts);
            nextKey += 2;
          }
          else if (o.kind === 'insertAny') {
            if (live.has(o.key)) continue;
            put(o.key, -ts);
          } else if (o.kind === 'compact') {
            table.compact(1); // keep every version: the model reads every timestamp
            continue;
          } else {
            const ks = keys();
            if (ks.length === 0) continue;
            const k = ks[o.pick % ks.length]!;
            if (o.kind === 'update') put(k, ts * 10);
            else {
              table.applyChange(encodeKey([k], [Types.integer]), null, ++ts);
              live.delete(k);
            }
          }
          states.push({ ts, rows: [...live].map(([k, v]) => `${k},${v}`).sort() });
        }
        for (const s of states) expect(rowsOf([...table.scan(s.ts)])).toEqual(s.rows);
      }),
      { numRuns: 150 },
    );
  });
});
