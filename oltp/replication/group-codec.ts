// One Raft entry carries one commit group: [count u32] then per commit-log entry [length u32][encodeLogEntry bytes].

import { decodeLogEntry, encodeLogEntry, type LogEntry } from '../commitlog.ts';

export function encodeGroup(entries: readonly LogEntry[]): Uint8Array {
  const parts = entries.map((e) => encodeLogEntry(e));
  const out = Buffer.allocUnsafe(4 + parts.reduce((n, p) => n + 4 + p.length, 0));
  out.writeUInt32BE(parts.length, 0);
  let at = 4;
  for (const p of parts) {
    out.writeUInt32BE(p.length, at);
    p.copy(out, at + 4);
    at += 4 + p.length;
  }
  return out;
}

export function decodeGroup(data: Uint8Array): LogEntry[] {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const count = buf.readUInt32BE(0);
  const out: LogEntry[] = [];
  let at = 4;
  for (let i = 0; i < count; i++) {
    const length = buf.readUInt32BE(at);
    out.push(decodeLogEntry(buf.subarray(at + 4, at + 4 + length)));
    at += 4 + length;
  }
  return out;
}
