// The checker reproduces Porcupine's known verdicts on 103 real Jepsen etcd histories
// (../shared/data/linearizability; etcd_095 is empty and has no verdict but must terminate).
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkRegisterHistory } from './checker.ts';
import { parseJepsenLog } from './jepsen-log.ts';

const dataDir = join(import.meta.dirname, '../../../shared/data/linearizability');
const verdicts = new Map(
  readFileSync(join(dataDir, 'verdicts.txt'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/) as [string, string]),
);
const logs = readdirSync(join(dataDir, 'etcd')).filter((name) => name.endsWith('.log')).sort();

describe('Jepsen etcd histories', () => {
  it('has the data: 103 logs, 102 verdicts (23 linearizable)', () => {
    expect(logs).toHaveLength(103);
    expect(verdicts.size).toBe(102);
    expect([...verdicts.values()].filter((v) => v === 'linearizable')).toHaveLength(23);
  });

  it.each(logs)('%s matches the known verdict', (name) => {
    const ops = parseJepsenLog(readFileSync(join(dataDir, 'etcd', name), 'utf8'));
    const result = checkRegisterHistory(ops, { timeoutMs: 30_000 });
    const expected = verdicts.get(name);
    if (expected === undefined) {
      // No known verdict: it must still finish with a definite answer.
      expect(result.linearizable).not.toBe('unknown');
      return;
    }
    expect(result.linearizable).toBe(expected === 'linearizable');
  });
});
