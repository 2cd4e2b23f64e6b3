// PostgreSQL behind the runner's engine interface (node-postgres), for classifying failures: a record
// that fails the same way on PostgreSQL itself is a dialect difference, not a duetdb bug.
// Used by `run.ts --postgres URL`; never by CI tests.

import pg from 'pg';
import { Types, type SqlType } from '../../oltp/types.ts';
import type { EngineResult, SltEngine } from './engine.ts';

const FLOAT_OIDS = new Set([700, 701]);
const INTEGER_OIDS = new Set([20, 21, 23]);

/** A fresh database on the server at `url` (dropped again on close), one connection. */
export async function openPostgresEngine(url: string): Promise<SltEngine> {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  const name = `duet_slt_${process.pid}_${Date.now()}`;
  await admin.query(`CREATE DATABASE ${name}`);
  const target = new URL(url);
  target.pathname = `/${name}`;
  const client = new pg.Client({ connectionString: target.toString() });
  await client.connect();
  return {
    async query(sql: string): Promise<EngineResult> {
      const r = await client.query({ text: sql, rowMode: 'array' });
      const fields = r.fields ?? [];
      const columns = fields.map((f) => ({ name: f.name, type: typeFor(f.dataTypeID) }));
      return { columns, rows: (r.rows ?? []) as EngineResult['rows'] };
    },
    async close() {
      await client.end();
      await admin.query(`DROP DATABASE IF EXISTS ${name}`);
      await admin.end();
    },
  };
}

function typeFor(oid: number): SqlType {
  if (FLOAT_OIDS.has(oid)) return Types.double;
  if (INTEGER_OIDS.has(oid)) return Types.integer;
  return Types.text; // numeric, text, ...: node-postgres gives strings, rendered as they are
}
