// The learner is on by default (started in the background), `learner: false` turns it off, and settings
// made through db.query (SET duet.engine) apply to later db.query calls.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Database } from '../../query/database.ts';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'duet-learner-default-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** `INSERT INTO t VALUES ...` of rows (i, f(i)) for i = 1..n, one statement. */
function insertRows(n: number, f?: (i: number) => number): string {
  const rows = Array.from({ length: n }, (_, k) => (f ? `(${k + 1}, ${f(k + 1)})` : `(${k + 1})`));
  return `INSERT INTO t VALUES ${rows.join(', ')}`;
}

async function firstPlanLine(db: Database, sql: string): Promise<string> {
  return String((await db.query(`EXPLAIN ${sql}`)).rows[0]![0]);
}

describe('learner on by default', () => {
  it('Database.open starts the learner; an aggregation over enough rows takes the column path', async () => {
    const db = await Database.open(tempDir());
    try {
      await db.query('CREATE TABLE t (a INT PRIMARY KEY, b INT)');
      await db.query(insertRows(3000, (i) => i % 7));
      await db.startLearner(); // the background start, awaited
      expect(await db.replicaStatus()).toBeDefined();
      expect(await firstPlanLine(db, 'SELECT b, count(*) FROM t GROUP BY b')).toMatch(/^path: column/);
      expect((await db.query('SELECT count(*) FROM t WHERE b = 3')).rows).toEqual([[429]]);
    } finally {
      await db.close();
    }
  }, 30_000);

  it('learner: false runs none: every SELECT reads rows', async () => {
    const db = await Database.open(tempDir(), { learner: false });
    try {
      await db.query('CREATE TABLE t (a INT PRIMARY KEY)');
      await db.query(insertRows(3000));
      expect(await db.replicaStatus()).toBeUndefined();
      expect(await firstPlanLine(db, 'SELECT count(*) FROM t')).toMatch(/^path: row .*\[no learner\]/);
    } finally {
      await db.close();
    }
  });

  it('closing while the learner still boots stops it, and the database opens again with its data', async () => {
    const dir = tempDir();
    const db = await Database.open(dir);
    await db.query('CREATE TABLE t (a INT PRIMARY KEY)');
    await db.query('INSERT INTO t VALUES (1), (2)');
    await db.close();
    const again = await Database.open(dir, { learner: { worker: false } });
    try {
      expect((await again.query('SELECT count(*) FROM t')).rows).toEqual([[2]]);
    } finally {
      await again.close();
    }
  }, 30_000);
});

describe('an idle learner does not keep the process alive', () => {
  it('a script that never closes its Database still exits after a column-path read', () => {
    const dir = tempDir();
    const script = join(dir, 'no-close.mts');
    const database = join(import.meta.dirname, '../../query/database.ts');
    writeFileSync(script, [
      `import { Database } from ${JSON.stringify(database)};`,
      `const db = await Database.open(${JSON.stringify(join(dir, 'db'))});`,
      "await db.query('CREATE TABLE t (a INT PRIMARY KEY, b INT)');",
      "await db.query('INSERT INTO t VALUES (1, 1), (2, 1), (3, 2)');",
      'await db.startLearner();',
      "const r = await db.query('/*+ engine(column) */ SELECT b, count(*) FROM t GROUP BY b ORDER BY b');",
      'console.log(JSON.stringify(r.rows));',
    ].join('\n'));
    // a learner thread that stayed referenced would keep this child running until the timeout kills it
    const child = spawnSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8', timeout: 90_000 });
    expect(child.stderr).not.toMatch(/Error/);
    expect(child.stdout.trim()).toBe('[[1,2],[2,1]]');
    expect(child.status).toBe(0);
  }, 120_000);
});

describe('db.query settings persist across calls', () => {
  it('SET duet.engine through db.query applies to later db.query and prepared calls; auto undoes it', async () => {
    const db = await Database.open(tempDir(), { learner: { worker: false } });
    try {
      await db.query('CREATE TABLE t (a INT PRIMARY KEY)');
      await db.query(insertRows(3000));
      await db.query("SET duet.engine = 'column'");
      expect(await firstPlanLine(db, 'SELECT count(*) FROM t')).toMatch(/^path: column .*\[forced\]/);
      await db.query("SET duet.engine = 'row'");
      expect(await firstPlanLine(db, 'SELECT count(*) FROM t')).toMatch(/^path: row .*\[forced\]/);
      expect(String((await db.prepare('EXPLAIN SELECT count(*) FROM t').query()).rows[0]![0])).toMatch(/^path: row .*\[forced\]/);
      // a session of its own starts from the defaults, not from db.query's settings
      const s = db.session();
      expect(String((await s.query('EXPLAIN SELECT count(*) FROM t')).rows[0]![0])).not.toMatch(/\[forced\]/);
      await s.close();
      await db.query("SET duet.engine = 'auto'");
      expect(await firstPlanLine(db, 'SELECT count(*) FROM t')).not.toMatch(/\[forced\]/);
    } finally {
      await db.close();
    }
  });

  it('transaction state does not carry over: a BEGIN left open by one call is rolled back', async () => {
    const db = await Database.open(tempDir(), { learner: false });
    try {
      await db.query('CREATE TABLE t (a INT PRIMARY KEY)');
      await db.query('BEGIN; INSERT INTO t VALUES (1)');
      expect((await db.query('SELECT count(*) FROM t')).rows).toEqual([[0]]);
    } finally {
      await db.close();
    }
  });
});
