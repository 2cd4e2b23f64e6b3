// Leader side of InstallSnapshot over the transport: when the Raft core sends a snapshot to a peer, stream the
// row store's image to it in chunks, at most a window of unacknowledged chunks at a time (bounded memory).

import { assert } from '../errors.ts';
import type { RowStore } from '../rowstore.ts';
import type { InstallSnapshot, NodeId } from '../raft/index.ts';
import { crc32 } from '../rowcodec.ts';
import type { SnapshotAckFrame, SnapshotChunkFrame } from './codec.ts';
import { exportImage } from './snapshot-image.ts';

export interface SnapshotSenderOptions {
  readonly id: NodeId;
  readonly store: RowStore;
  /** False when the chunk could not go out now (no connection, or no room in the socket): retried shortly. */
  readonly send: (f: SnapshotChunkFrame) => boolean;
  /** Tells the core how the transfer ended (`reportSnapshot`): a failure lets it send the snapshot again. */
  readonly report: (to: NodeId, ok: boolean) => void;
  readonly log: (line: string) => void;
  /** Image bytes per chunk (default 256 KiB); unacknowledged chunks in flight (default 4). */
  readonly chunkBytes?: number;
  readonly windowChunks?: number;
  /** A transfer whose receiver acknowledges nothing for this long is abandoned (default 5000). */
  readonly ackTimeoutMs?: number;
  /** After a failed transfer, offers for that peer are ignored this long (default 1000): no tight retry loop. */
  readonly retryAfterMs?: number;
}

interface Transfer {
  readonly id: string;
  readonly to: NodeId;
  /** Chunks acknowledged so far (acks come in order: the receiver refuses any gap). */
  acked: number;
  failed: boolean;
  wake: (() => void) | undefined;
}

export class SnapshotSender {
  private readonly transfers = new Map<NodeId, Transfer>();
  private readonly failedAtMs = new Map<NodeId, number>();
  private transferSeq = 0;
  private stopped = false;

  constructor(private readonly options: SnapshotSenderOptions) {}

  /** The core wants `m.to` to get a snapshot: start a transfer unless one is running (the core resends). */
  offer(m: InstallSnapshot): void {
    if (this.stopped || this.transfers.has(m.to)) return;
    const failedAt = this.failedAtMs.get(m.to);
    if (failedAt !== undefined && Date.now() - failedAt < (this.options.retryAfterMs ?? 1000)) return;
    const t: Transfer = { id: `${this.options.id}-${Date.now()}-${++this.transferSeq}`, to: m.to, acked: 0, failed: false, wake: undefined };
    this.transfers.set(m.to, t);
    const startedMs = Date.now();
    void this.run(t, m).then(
      (sent) => {
        this.transfers.delete(m.to);
        this.options.log(`sent a snapshot at Raft index ${m.snapshot.meta.index} to node ${m.to}: ${sent.records} keys, ${sent.bytes} bytes in ${Date.now() - startedMs} ms`);
        this.options.report(m.to, true);
      },
      (e: unknown) => {
        this.transfers.delete(m.to);
        this.failedAtMs.set(m.to, Date.now());
        if (!this.stopped) this.options.log(`snapshot to node ${m.to} failed: ${(e as Error).message}`);
        this.options.report(m.to, false);
      },
    );
  }

  onAck(a: SnapshotAckFrame): void {
    const t = this.transfers.get(a.from);
    if (t === undefined || t.id !== a.id) return;
    if (!a.ok) t.failed = true;
    else t.acked = Math.max(t.acked, a.seq + 1);
    t.wake?.();
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.transfers.values()) {
      t.failed = true;
      t.wake?.();
    }
  }

  private async run(t: Transfer, m: InstallSnapshot): Promise<{ records: number; bytes: number }> {
    const window = this.options.windowChunks ?? 4;
    assert(window > 0, 'windowChunks must be positive');
    let seq = 0;
    let crc = 0;
    let bytes = 0;
    let records = 0;
    const image = exportImage(this.options.store, this.options.chunkBytes ?? 256 * 1024);
    try {
      for await (const chunk of image) {
        await this.waitAcked(t, seq - window + 1);
        crc = crc32(chunk.data, 0, chunk.data.length, crc);
        bytes += chunk.data.length;
        records += chunk.records;
        await this.sendChunk(t, { kind: 'snapChunk', from: this.options.id, to: t.to, id: t.id, seq: seq++, data: chunk.data });
      }
    } finally {
      await image.return(undefined);
    }
    await this.waitAcked(t, seq - window + 1);
    const end = { crc, records, bytes, message: m };
    await this.sendChunk(t, { kind: 'snapChunk', from: this.options.id, to: t.to, id: t.id, seq: seq++, data: new Uint8Array(0), end });
    await this.waitAcked(t, seq);
    return { records, bytes };
  }

  /** Hands a chunk to the transport, retrying every 20 ms while it has no room; gives up after the ack timeout. */
  private async sendChunk(t: Transfer, frame: SnapshotChunkFrame): Promise<void> {
    const deadlineMs = Date.now() + (this.options.ackTimeoutMs ?? 5000);
    while (!this.options.send(frame)) {
      if (t.failed || this.stopped) throw new Error('the transfer was abandoned');
      if (Date.now() > deadlineMs) throw new Error(`node ${t.to} is not reachable`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Resolves once `count` chunks are acknowledged; throws when the receiver refused or went silent. */
  private async waitAcked(t: Transfer, count: number): Promise<void> {
    const timeoutMs = this.options.ackTimeoutMs ?? 5000;
    while (t.acked < count) {
      if (t.failed || this.stopped) throw new Error('the receiver refused a chunk (or the node is stopping)');
      const before = t.acked;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        t.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      t.wake = undefined;
      if (t.acked === before && !t.failed) throw new Error(`no acknowledgement within ${timeoutMs} ms`);
    }
    if (t.failed) throw new Error('the receiver refused a chunk');
  }
}
