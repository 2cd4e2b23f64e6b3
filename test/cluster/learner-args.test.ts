// `duet node --learner`: a join as a learner member that is never promoted and always has its columnar learner,
// so the options that would contradict that are refused.

import { describe, expect, it } from 'vitest';
import { parseNodeArgs } from '../../oltp/replication/node-main.ts';

const BASE = ['--id', '4', '--db', '/tmp/x', '--listen', '127.0.0.1:7004', '--sql', '127.0.0.1:5436', '--peers', '1=127.0.0.1:7001,2=127.0.0.1:7002,3=127.0.0.1:7003'];

describe('duet node --learner options', () => {
  it('joins as a learner that does not ask to become a voter', () => {
    expect(parseNodeArgs([...BASE, '--learner'])).toMatchObject({ learnerMember: true, join: true, joinVoter: false, noLearner: false });
    expect(parseNodeArgs([...BASE, '--learner', '--stale-reads'])).toMatchObject({ learnerMember: true, staleReads: true });
    expect(parseNodeArgs(BASE)).toMatchObject({ learnerMember: false, join: false });
    expect(parseNodeArgs([...BASE, '--learner', '--learner-apply-ms', '50'])).toMatchObject({ learnerMember: true, learnerApplyMs: 50 });
    expect(() => parseNodeArgs([...BASE, '--learner-apply-ms', 'soon'])).toThrow(expect.objectContaining({ code: '22023' }));
  });

  it('serves reads only on a learner member; other nodes read through one instead of a local learner', () => {
    expect(parseNodeArgs([...BASE, '--learner', '--serve-reads', '127.0.0.1:9100'])).toMatchObject({ serveReads: { host: '127.0.0.1', port: 9100 } });
    expect(parseNodeArgs([...BASE, '--read-learner', '127.0.0.1:9100'])).toMatchObject({ readLearner: '127.0.0.1:9100', learnerMember: false });
    expect(() => parseNodeArgs([...BASE, '--serve-reads', '127.0.0.1:9100'])).toThrow(expect.objectContaining({ code: '22023' }));
    expect(() => parseNodeArgs([...BASE, '--read-learner', 'nowhere'])).toThrow(expect.objectContaining({ code: '22023' }));
    expect(() => parseNodeArgs([...BASE, '--read-learner', '127.0.0.1:9100', '--learner-at', '127.0.0.1:9000'])).toThrow(expect.objectContaining({ code: '22023' }));
  });

  it('refuses options that contradict a columnar learner member with 22023', () => {
    for (const clash of [['--no-learner'], ['--join-voter'], ['--replaces', '2'], ['--learner-at', '127.0.0.1:9000'], ['--read-learner', '127.0.0.1:9001']]) {
      expect(() => parseNodeArgs([...BASE, '--learner', ...clash])).toThrow(expect.objectContaining({ code: '22023', message: `--learner cannot be combined with ${clash[0]}` }));
    }
  });
});
