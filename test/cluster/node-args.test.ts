// `duet node` options: the compaction and snapshot knobs, --join, and the SQL address peers hand out in
// "connect to the leader at ..." hints (a wildcard listen address is replaced by one a client can reach).

import { describe, expect, it } from 'vitest';
import { advertisedSql, parseNodeArgs } from '../../oltp/replication/node-main.ts';

const BASE = ['--id', '2', '--db', '/tmp/x', '--listen', '10.0.0.2:7002', '--sql', '0.0.0.0:5434', '--peers', '1=10.0.0.1:7001,2=10.0.0.2:7002'];

describe('duet node options', () => {
  it('parses compaction, snapshot and join options, with defaults', () => {
    const plain = parseNodeArgs(BASE);
    expect(plain).toMatchObject({ compactEntries: 10_000, retainEntries: 1000, snapshotChunkBytes: 256 * 1024, join: false });
    const tuned = parseNodeArgs([...BASE, '--compact-entries', '30', '--retain-entries', '0', '--snapshot-chunk-bytes', '4096', '--join']);
    expect(tuned).toMatchObject({ compactEntries: 30, retainEntries: 0, snapshotChunkBytes: 4096, join: true, joinVoter: false });
    expect(parseNodeArgs([...BASE, '--join-voter'])).toMatchObject({ join: true, joinVoter: true });
    expect(parseNodeArgs([...BASE, '--replaces', '3'])).toMatchObject({ join: true, joinVoter: true, replaces: 3 });
  });

  it('refuses bad values with 22023', () => {
    for (const bad of [['--compact-entries', '0'], ['--retain-entries', '-1'], ['--snapshot-chunk-bytes', 'big'], ['--replaces', '0']]) {
      expect(() => parseNodeArgs([...BASE, ...bad])).toThrow(expect.objectContaining({ code: '22023' }));
    }
  });

  it('hands out a reachable SQL address: a wildcard host becomes the Raft listen host', () => {
    const args = parseNodeArgs(BASE);
    if (args === 'help') throw new Error('unexpected help');
    expect(advertisedSql(args.sql, args.listen)).toBe('10.0.0.2:5434');
    expect(advertisedSql({ host: '::', port: 5 }, { host: 'db2.local', port: 7 })).toBe('db2.local:5');
    expect(advertisedSql({ host: '127.0.0.1', port: 5433 }, { host: '10.0.0.2', port: 7002 })).toBe('127.0.0.1:5433');
  });
});
