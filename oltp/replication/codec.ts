// Raft messages on the wire: JSON with byte arrays as base64, inside frames of [length u32][crc32 u32][payload].
// The checksum catches damaged frames; a damaged stream is closed (Raft tolerates the lost messages).

import type { InstallSnapshot, Message, NodeId } from '../raft/index.ts';
import { crc32 } from '../rowcodec.ts';

/** A frame larger than this closes the connection: it cannot be a message of ours. */
export const FRAME_BYTES_MAX = 64 * 1024 * 1024;
const HEADER_BYTES = 8;

/** One chunk of a row-store image streamed for InstallSnapshot (snapshot-sender.ts, snapshot-receiver.ts). */
export interface SnapshotChunkFrame {
  readonly kind: 'snapChunk';
  readonly from: NodeId;
  readonly to: NodeId;
  /** Identifies one transfer; a chunk with seq 0 and a new id starts a new one. */
  readonly id: string;
  readonly seq: number;
  readonly data: Uint8Array;
  /** On the last chunk only: totals to check the whole image against, and the Raft message it completes. */
  readonly end?: { readonly crc: number; readonly records: number; readonly bytes: number; readonly message: InstallSnapshot };
}

/** The receiver's answer to each chunk: ok, or give up (gap, bad checksum, too large) so the leader retries. */
export interface SnapshotAckFrame {
  readonly kind: 'snapAck';
  readonly from: NodeId;
  readonly to: NodeId;
  readonly id: string;
  readonly seq: number;
  readonly ok: boolean;
}

export type SnapshotFrame = SnapshotChunkFrame | SnapshotAckFrame;

/**
 * What one connection carries: a hello first (who is talking, where it serves SQL and, so that a peer not in
 * its --peers list can answer, where it listens for Raft), then messages. A `join` asks the leader to add the
 * sender as a learner (`duet node --join`), then to promote it once caught up (`voter`), then to remove the
 * member it `replaces`; it is repeated until all that is done, one configuration change at a time.
 */
export type WireMessage =
  | { readonly kind: 'hello'; readonly id: number; readonly sql: string; readonly raft?: string }
  | { readonly kind: 'raft'; readonly m: Message }
  | { readonly kind: 'join'; readonly id: number; readonly voter?: boolean; readonly replaces?: number }
  | SnapshotFrame;

export function encodeFrame(message: WireMessage): Buffer {
  const payload = Buffer.from(
    JSON.stringify(message, function (this: Record<string, unknown>, k: string, v: unknown) {
      // The holder's raw value: a Buffer's toJSON has already run on `v` by the time a replacer sees it.
      const raw = this[k];
      return raw instanceof Uint8Array ? { $b: Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64') } : v;
    }),
    'utf8',
  );
  const frame = Buffer.allocUnsafe(HEADER_BYTES + payload.length);
  frame.writeUInt32BE(payload.length, 0);
  frame.writeUInt32BE(crc32(payload, 0), 4);
  payload.copy(frame, HEADER_BYTES);
  return frame;
}

function decodePayload(payload: Buffer): WireMessage {
  return JSON.parse(payload.toString('utf8'), (_k, v: unknown) => {
    if (v !== null && typeof v === 'object' && '$b' in v && typeof (v as { $b: unknown }).$b === 'string') {
      return new Uint8Array(Buffer.from((v as { $b: string }).$b, 'base64'));
    }
    return v;
  }) as WireMessage;
}

/** Splits a byte stream into messages; throws on a bad checksum or an impossible length (close the stream). */
export class FrameDecoder {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): WireMessage[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const out: WireMessage[] = [];
    let at = 0;
    while (this.pending.length - at >= HEADER_BYTES) {
      const length = this.pending.readUInt32BE(at);
      if (length > FRAME_BYTES_MAX) throw new Error(`frame of ${length} bytes exceeds ${FRAME_BYTES_MAX}`);
      if (this.pending.length - at < HEADER_BYTES + length) break;
      const payload = this.pending.subarray(at + HEADER_BYTES, at + HEADER_BYTES + length);
      if (crc32(payload, 0) !== this.pending.readUInt32BE(at + 4)) throw new Error('frame fails its checksum');
      out.push(decodePayload(payload));
      at += HEADER_BYTES + length;
    }
    this.pending = this.pending.subarray(at);
    return out;
  }
}
