// TPC-H data for the benchmarks: generated once per scale factor into a cache directory (our dbgen), then
// loaded with COPY into duetdb and with read_csv into DuckDB, with progress lines (rows, rate, ETA).
import { createReadStream, createWriteStream, existsSync, mkdirSync, readFileSync, statSync, writeFileSync, type WriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Database } from '../../query/database.ts';
import { generateTpch } from '../tpch/generate.ts';
import { stderrProgress } from '../tpch/progress.ts';
import { scaleFor } from '../tpch/scale.ts';

/** Load order: small tables first (their progress lines come quickly). */
export const TPCH_TABLES = ['region', 'nation', 'supplier', 'customer', 'part', 'partsupp', 'orders', 'lineitem'] as const;
export const TPCH_SHARED = join(import.meta.dirname, '../../../shared/data/tpch');
export const SCHEMA_SQL = join(TPCH_SHARED, 'schema.sql');

export const log = (msg: string): void => void process.stderr.write(`${msg}\n`);

/** Expected rows at this scale factor (lineitem is about 4 per order). */
export function expectedRows(sf: number): number {
  const s = scaleFor(sf);
  return s.parts * 5 + s.suppliers + s.customers + s.orders * 5 + 30;
}

/** The .tbl files of scale factor `sf` under `cacheDir/sf<sf>`, generated unless a complete set is there. */
export async function ensureTpchData(sf: number, cacheDir: string): Promise<{ dir: string; generatedS: number | undefined }> {
  const dir = join(cacheDir, `sf${sf}`);
  if (existsSync(join(dir, 'complete'))) {
    log(`data: reusing ${dir}`);
    return { dir, generatedS: undefined };
  }
  log(`data: generating TPC-H SF ${sf} into ${dir} ...`);
  const start = performance.now();
  const progress = stderrProgress(expectedRows(sf));
  await generateTpch({ sf, outDir: dir, progress });
  progress.finish();
  writeFileSync(join(dir, 'complete'), `${new Date().toISOString()}\n`);
  return { dir, generatedS: (performance.now() - start) / 1000 };
}

export interface TableLoad { readonly table: string; readonly rows: number; readonly seconds: number }

/**
 * Splits `file` into pieces of at most `chunkRows` lines under `dir` (kept: the cache reuses them) and
 * returns their paths. COPY runs one transaction per file: pieces bound a transaction's write set.
 */
async function chunksOf(file: string, dir: string, table: string, chunkRows: number): Promise<string[]> {
  const done = join(dir, `${table}.complete`);
  if (existsSync(done)) return readFileSync(done, 'utf8').split('\n').filter((l) => l.length > 0);
  mkdirSync(dir, { recursive: true });
  const paths: string[] = [];
  let out: WriteStream | undefined;
  let lines = 0;
  for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
    if (out === undefined || lines === chunkRows) {
      if (out) await new Promise<void>((r) => out!.end(r));
      paths.push(join(dir, `${table}.${paths.length}.tbl`));
      out = createWriteStream(paths.at(-1)!);
      lines = 0;
    }
    if (!out.write(`${line}\n`)) await new Promise<void>((r) => out!.once('drain', r));
    lines++;
  }
  if (out) await new Promise<void>((r) => out!.end(r));
  writeFileSync(done, `${paths.join('\n')}\n`);
  return paths;
}

/**
 * COPY every table into `db` (schema first), `chunkRows` rows per COPY (one transaction each), with a
 * progress line (rows, rate, ETA) after each piece.
 */
export async function loadDuet(db: Database, dataDir: string, sf: number, chunkRows: number): Promise<TableLoad[]> {
  await db.query(readFileSync(SCHEMA_SQL, 'utf8'));
  const out: TableLoad[] = [];
  const total = expectedRows(sf);
  const start = performance.now();
  let doneRows = 0;
  for (const table of TPCH_TABLES) {
    const file = join(dataDir, `${table}.tbl`);
    const pieces = statSync(file).size > chunkRows * 100 ? await chunksOf(file, join(dataDir, `chunks-${chunkRows}`), table, chunkRows) : [file];
    const t0 = performance.now();
    let rows = 0;
    for (const piece of pieces) {
      const r = await db.query(`COPY ${table} FROM '${piece}' (FORMAT tbl, DELIMITER '|')`);
      rows += r.rowCount;
      const rate = (doneRows + rows) / ((performance.now() - start) / 1000);
      log(`load duetdb: ${table} ${rows.toLocaleString('en-US')} rows (${Math.round(rows / ((performance.now() - t0) / 1000)).toLocaleString('en-US')} rows/s); overall ${(doneRows + rows).toLocaleString('en-US')} / ~${total.toLocaleString('en-US')} rows, ${Math.round(rate).toLocaleString('en-US')} rows/s, ETA ${Math.max(0, (total - doneRows - rows) / rate).toFixed(0)} s`);
    }
    doneRows += rows;
    out.push({ table, rows, seconds: (performance.now() - t0) / 1000 });
  }
  return out;
}

/** Creates the same schema in DuckDB and loads the .tbl files (their trailing `|` is read as an extra column). */
export async function loadDuck(conn: DuckDBConnection, dataDir: string): Promise<TableLoad[]> {
  await conn.run(readFileSync(SCHEMA_SQL, 'utf8'));
  const out: TableLoad[] = [];
  for (const table of TPCH_TABLES) {
    const t0 = performance.now();
    const cols = (await conn.runAndReadAll(`SELECT column_name, data_type FROM information_schema.columns WHERE table_name = '${table}' ORDER BY ordinal_position`)).getRows().map(([n, ty]) => [String(n), String(ty)] as const);
    const spec = [...cols, ['trailing_', 'VARCHAR'] as const].map(([n, ty]) => `'${n}': '${ty}'`).join(', ');
    await conn.run(`INSERT INTO ${table} SELECT ${cols.map(([n]) => n).join(', ')} FROM read_csv('${join(dataDir, `${table}.tbl`)}', delim = '|', header = false, quote = '', escape = '', columns = {${spec}})`);
    const rows = Number((await conn.runAndReadAll(`SELECT count(*) FROM ${table}`)).getRows()[0]![0]);
    const seconds = (performance.now() - t0) / 1000;
    out.push({ table, rows, seconds });
    log(`load DuckDB: ${table} ${rows.toLocaleString('en-US')} rows in ${seconds.toFixed(1)} s`);
  }
  return out;
}
