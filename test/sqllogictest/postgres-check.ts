// Runs sqllogictest scripts on a real PostgreSQL server and lists the records PostgreSQL itself fails:
// the evidence behind the `dialect:` rules in classify.ts. Not part of CI (it needs a server).
//   npx tsx test/sqllogictest/postgres-check.ts postgres://user@host:port/db [files...]

import { loadScript, suiteFiles, DBMS } from './suite.ts';
import { runScript } from './runscript.ts';
import { openPostgresEngine } from './pg-engine.ts';
import { failureDetail } from './classify.ts';

const [url, ...named] = process.argv.slice(2);
if (url === undefined) {
  process.stderr.write('usage: npx tsx test/sqllogictest/postgres-check.ts POSTGRES_URL [files...]\n');
  process.exit(2);
}
for (const file of named.length > 0 ? named : suiteFiles()) {
  const engine = await openPostgresEngine(url);
  try {
    const r = await runScript(loadScript(file), engine, { dbms: DBMS, recordTimeoutMs: 30_000 });
    const failures = r.outcomes.filter((o) => o.failure !== undefined);
    process.stdout.write(`${file}: PostgreSQL fails ${failures.length} of ${r.outcomes.length} records\n`);
    for (const o of failures) {
      const f = o.failure;
      if (f === undefined) continue;
      const code = f.kind === 'error' && f.code ? `${f.code} ` : '';
      process.stdout.write(`  ${file}:${o.line} ${f.kind} ${code}${failureDetail(f) ?? ''} | ${o.sql.replace(/\s+/g, ' ').slice(0, 100)}\n`);
    }
  } finally {
    await engine.close();
  }
}
