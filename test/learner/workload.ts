// A seeded random transactional workload on the row store for learner tests: inserts, updates (some
// changing the primary key), deletes, NULLs, ADD COLUMN, CREATE INDEX, DROP/CREATE TABLE, rollbacks.
// After every commit it records each table's rows at the commit timestamp (the reference state).
import type { RowStore } from '../../oltp/rowstore.ts';
import type { Txn, NewTable, TableDef } from '../../oltp/api.ts';
import { Types, type Row, type Value } from '../../oltp/types.ts';

export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s / 0x100000000;
  };
}

export interface TableState { readonly id: number; readonly rows: string[] }
/** commit timestamp -> table name -> rows (canonical JSON, sorted). */
export type History = Map<number, Map<string, TableState>>;

export function canon(rows: readonly Row[]): string[] {
  return rows.map((r) => JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))).sort();
}

const CITIES = ['Oslo', 'Lima', 'Pune', 'Kyiv', null];

function newTable(name: string, withKey: boolean): NewTable {
  return {
    name,
    columns: [
      { name: 'id', type: Types.integer, notNull: true },
      { name: 'city', type: Types.varchar(20), notNull: false },
      { name: 'amount', type: Types.decimal(12, 2), notNull: false },
      { name: 'ratio', type: Types.double, notNull: false },
      { name: 'day', type: Types.date, notNull: false },
      { name: 'flag', type: Types.boolean, notNull: false },
      { name: 'note', type: Types.text, notNull: false },
    ],
    primaryKey: withKey ? [0] : [],
  };
}

export class Workload {
  readonly history: History = new Map();
  private readonly rand: () => number;
  private nextTable = 0;

  constructor(private readonly store: RowStore, seed: number) {
    this.rand = rng(seed);
  }

  private pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.rand() * xs.length)]!;
  }

  private value(def: TableDef, c: number, id: number): Value {
    const r = this.rand();
    if (c > 0 && r < 0.12) return null;
    const t = def.columns[c]!.type;
    switch (t.id) {
      case 'integer': return c === 0 ? id : Math.floor(this.rand() * 1000) - 500;
      case 'bigint': return Math.floor(this.rand() * 1e12);
      case 'decimal': return BigInt(Math.floor(this.rand() * 2e6) - 1e6);
      case 'double': return Math.round(this.rand() * 1e6) / 64;
      case 'date': return 18000 + Math.floor(this.rand() * 3000);
      case 'boolean': return this.rand() < 0.5;
      case 'varchar': return c === 1 ? this.pick(CITIES) : `n${Math.floor(this.rand() * 50000)}`;
      default: return null;
    }
  }

  private row(def: TableDef, id: number): Row {
    return def.columns.map((_, c) => this.value(def, c, id));
  }

  /** One random transaction; returns false if it rolled back or failed. */
  async step(): Promise<boolean> {
    const txn = this.store.begin();
    try {
      const tables = txn.listTables();
      const r = this.rand();
      if (tables.length < 2 || r < 0.02) {
        const keyed = this.nextTable % 3 !== 2;
        while (txn.getTable(`t${this.nextTable}`)) this.nextTable++; // another workload ran on this store before
        const def = await txn.createTable(newTable(`t${this.nextTable++}`, keyed));
        for (let i = 0; i < 20; i++) await txn.insert(def, this.row(def, i));
      } else if (r < 0.035) {
        await txn.dropTable(this.pick(tables).name);
      } else if (r < 0.05) {
        const t = this.pick(tables);
        const [type, fill] = this.pick([[Types.integer, 7], [Types.text, 'fill'], [Types.bigint, null], [Types.integer, null]] as const);
        await txn.addColumn(t.name, { name: `x${t.columns.length}`, type, notNull: false }, fill);
      } else if (r < 0.06) {
        const t = this.pick(tables);
        await txn.createIndex(t.name, { name: `${t.name}_i${t.indexes.length}_${Math.floor(this.rand() * 1e6)}`, columns: [1], unique: false });
      } else {
        const ops = 1 + Math.floor(this.rand() * 6);
        for (let k = 0; k < ops; k++) await this.rowOp(txn, this.pick(tables));
      }
      if (this.rand() < 0.05) {
        txn.rollback();
        return false;
      }
      const { commitTs } = await txn.commit();
      await this.record(commitTs);
      return true;
    } catch (e) {
      if (txn.state === 'active') txn.rollback();
      if ((e as { code?: string }).code === '23505' || (e as { code?: string }).code === '22003') return false;
      throw e;
    }
  }

  private async rowOp(txn: Txn, stale: TableDef): Promise<void> {
    const def = txn.getTable(stale.name)!;
    const rows: Row[] = [];
    for await (const b of txn.scan(def, { withRowId: def.hiddenRowId })) rows.push(...b);
    const r = this.rand();
    const existing = rows.length > 0 ? this.pick(rows) : undefined;
    const fresh = (): number => Math.floor(this.rand() * 400);
    if (!existing || r < 0.4) {
      await txn.insert(def, this.row(def, fresh()));
    } else if (r < 0.75) {
      const pk = this.store.primaryKeyOf(def, existing);
      const next = existing.slice(0, def.columns.length);
      const c = 1 + Math.floor(this.rand() * (def.columns.length - 1));
      next[c] = this.value(def, c, next[0] as number);
      if (!def.hiddenRowId && this.rand() < 0.3) next[0] = fresh(); // primary-key change
      await txn.update(def, pk, next);
    } else {
      await txn.delete(def, this.store.primaryKeyOf(def, existing));
    }
  }

  /** The state every table has right after the commit at `ts` (commits are sequential here). */
  private async record(ts: number): Promise<void> {
    const reader = this.store.begin({ isolation: 'snapshot' });
    if (reader.readTs !== ts) throw new Error(`reader at ${reader.readTs}, commit at ${ts}`);
    const state = new Map<string, TableState>();
    for (const def of reader.listTables()) {
      const rows: Row[] = [];
      for await (const b of reader.scan(def)) rows.push(...b);
      state.set(def.name, { id: def.id, rows: canon(rows) });
    }
    reader.rollback();
    this.history.set(ts, state);
  }
}
