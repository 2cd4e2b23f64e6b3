// The command-line checker reads a JSON history (return: null for never) and exits 1 on a violation.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';

it('check.ts explains a violation in a JSON history and exits 1', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lin-check-'));
  try {
    const path = join(dir, 'history.json');
    const history = [
      { clientId: 1, input: { kind: 'write', value: 1 }, output: { status: 'info' }, call: 0, return: null },
      { clientId: 2, input: { kind: 'read' }, output: { status: 'ok', value: 1 }, call: 5, return: 6 },
      { clientId: 3, input: { kind: 'read' }, output: { status: 'ok', value: null }, call: 7, return: 8 },
    ];
    writeFileSync(path, JSON.stringify(history));
    const run = spawnSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'check.ts'), path], { encoding: 'utf8' });
    expect(run.status).toBe(1);
    expect(run.stdout).toContain('not linearizable');
    expect(run.stdout).toContain('#2 client 3 [7, 8] read -> ok nil');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
