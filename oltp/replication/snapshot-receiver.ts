// Follower side of InstallSnapshot over the transport: collects one transfer's chunks in order, checks the
// whole image (CRC-32, record and byte counts) and hands it over complete, or refuses so the leader retries.

import type { InstallSnapshot, NodeId } from '../raft/index.ts';
import { crc32 } from '../rowcodec.ts';
import type { SnapshotAckFrame, SnapshotChunkFrame } from './codec.ts';
import { countRecords } from './snapshot-image.ts';

/** A complete, checked image and the Raft message it completes (step it into the core after staging). */
export interface ReceivedImage {
  readonly message: InstallSnapshot;
  readonly chunks: readonly Uint8Array[];
  readonly bytes: number;
}

export interface SnapshotReceiverOptions {
  readonly id: NodeId;
  /** Sends an acknowledgement; one that cannot go out is lost (the sender's window then times out). */
  readonly send: (f: SnapshotAckFrame) => unknown;
  /** An image larger than this is refused (it is held in memory until installed). Default 1 GiB. */
  readonly imageBytesMax?: number;
}

interface Incoming {
  readonly from: NodeId;
  readonly id: string;
  nextSeq: number;
  readonly chunks: Uint8Array[];
  bytes: number;
  records: number;
  crc: number;
}

export class SnapshotReceiver {
  /** One transfer at a time: only the leader sends, and a newer transfer replaces an abandoned one. */
  private current: Incoming | undefined;

  constructor(private readonly options: SnapshotReceiverOptions) {}

  receive(c: SnapshotChunkFrame): ReceivedImage | undefined {
    const ack = (ok: boolean): void => void this.options.send({ kind: 'snapAck', from: this.options.id, to: c.from, id: c.id, seq: c.seq, ok });
    let cur = this.current;
    if (c.seq === 0 && (cur === undefined || cur.id !== c.id || cur.from !== c.from)) {
      cur = { from: c.from, id: c.id, nextSeq: 0, chunks: [], bytes: 0, records: 0, crc: 0 };
      this.current = cur;
    }
    if (cur === undefined || cur.id !== c.id || cur.from !== c.from) return void ack(false);
    if (c.seq < cur.nextSeq) return void ack(true); // a duplicate of what we hold
    const fail = (): undefined => {
      this.current = undefined;
      ack(false);
      return undefined;
    };
    if (c.seq > cur.nextSeq) return fail(); // a lost chunk: start over
    let records: number;
    try {
      records = countRecords(c.data);
    } catch {
      return fail();
    }
    cur.bytes += c.data.length;
    if (cur.bytes > (this.options.imageBytesMax ?? 1024 * 1024 * 1024)) return fail();
    cur.records += records;
    cur.crc = crc32(c.data, 0, c.data.length, cur.crc);
    if (c.data.length > 0) cur.chunks.push(c.data);
    cur.nextSeq++;
    if (c.end === undefined) return void ack(true);
    this.current = undefined;
    if (c.end.crc !== cur.crc || c.end.records !== cur.records || c.end.bytes !== cur.bytes) return fail();
    ack(true);
    return { message: c.end.message, chunks: cur.chunks, bytes: cur.bytes };
  }
}
