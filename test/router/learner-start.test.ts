// Right after Database.open the learner is still starting in the background: a statement reading a whole
// table waits for it (bounded) and takes the column path; a point read does not wait and stays on rows.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Database } from '../../query/database.ts';

const dir = mkdtempSync(join(tmpdir(), 'duet-learner-start-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the first statements after open', () => {
  it('an aggregation waits for the starting learner and runs on the column path; a point read stays on rows', async () => {
    const setup = await Database.open(dir, { learner: false });
    await setup.query('CREATE TABLE t (id INTEGER PRIMARY KEY, g INTEGER, v DECIMAL(10,2))');
    const values = Array.from({ length: 5000 }, (_, i) => `(${i}, ${i % 7}, ${i}.25)`).join(', ');
    await setup.query(`INSERT INTO t VALUES ${values}`);
    const expected = await setup.query('SELECT g, count(*), sum(v) FROM t GROUP BY g ORDER BY g');
    await setup.close();

    const db = await Database.open(dir); // default: the learner starts in the background
    // The default wait (a few seconds) is what users get; a loaded CI machine can take longer to start the
    // learner's worker thread, and this test is about waiting at all, not about how long the default is.
    const s = db.session();
    await s.query('SET duet.learner_wait_ms = 120000');
    try {
      const point = await s.query('EXPLAIN SELECT v FROM t WHERE id = 42');
      expect(String(point.rows[0]![0])).toMatch(/^path: row /);
      const plan = await s.query('EXPLAIN SELECT g, count(*), sum(v) FROM t GROUP BY g ORDER BY g');
      expect(String(plan.rows[0]![0])).toMatch(/^path: column /);
      const actual = await s.query('SELECT g, count(*), sum(v) FROM t GROUP BY g ORDER BY g');
      expect(actual.rows).toEqual(expected.rows);
    } finally {
      await db.close();
    }
  });
});
