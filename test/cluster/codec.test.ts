// The transport's frames: [length][crc32][payload] survive any split of the byte stream; damage is detected.

import { describe, expect, it } from 'vitest';
import { encodeFrame, FrameDecoder, type WireMessage } from '../../oltp/replication/codec.ts';
import { decodeGroup, encodeGroup } from '../../oltp/replication/group-codec.ts';
import type { LogEntry } from '../../oltp/commitlog.ts';

const append: WireMessage = {
  kind: 'raft',
  m: { type: 'append', from: 1, to: 2, term: 3, prevIndex: 4, prevTerm: 3, commit: 4, entries: [{ term: 3, index: 5, type: 'normal', data: Buffer.from([1, 2, 3, 250]) }] },
};
const hello: WireMessage = { kind: 'hello', id: 2, sql: '127.0.0.1:5434' };

describe('transport frames', () => {
  it('decodes messages split at every byte boundary, byte arrays included', () => {
    const stream = Buffer.concat([encodeFrame(hello), encodeFrame(append), encodeFrame(hello)]);
    for (let cut = 0; cut <= stream.length; cut++) {
      const d = new FrameDecoder();
      const out = [...d.push(stream.subarray(0, cut)), ...d.push(stream.subarray(cut))];
      expect(out).toHaveLength(3);
      expect(out[0]).toEqual(hello);
      const m = out[1]!;
      expect(m.kind === 'raft' && m.m.type === 'append' ? [...m.m.entries[0]!.data] : undefined).toEqual([1, 2, 3, 250]);
    }
  });

  it('rejects a frame whose payload was damaged, and an impossible length', () => {
    const frame = encodeFrame(append);
    frame[frame.length - 3] = frame[frame.length - 3]! ^ 0x10;
    expect(() => new FrameDecoder().push(frame)).toThrow(/checksum/);
    const huge = Buffer.alloc(8);
    huge.writeUInt32BE(0xffffffff, 0);
    expect(() => new FrameDecoder().push(huge)).toThrow(/exceeds/);
  });

  it('a commit group round-trips through one Raft entry', () => {
    const entries: LogEntry[] = [
      { index: 7, commitTs: 70, txnId: 3, writes: [{ kind: 'catalog', name: 'table:t', value: '{"x":1}' }] },
      { index: 8, commitTs: 71, txnId: 4, writes: [{ kind: 'index', indexId: 9, key: Buffer.from([5, 6]) }] },
    ];
    expect(decodeGroup(encodeGroup(entries))).toEqual(entries);
  });
});
