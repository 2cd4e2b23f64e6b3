// Encoders for the backend messages of protocol 3.0, written into a MessageWriter.

import type { SqlType } from '../../oltp/types.ts';
import type { MessageWriter } from './framing.ts';
import type { Value } from '../../oltp/types.ts';
import { formatBinary, formatText, oidOf, typeModOf, typeSizeOf } from './values.ts';

export interface ColumnInfo {
  readonly name: string;
  readonly type: SqlType;
}

/** The fields of an ErrorResponse / NoticeResponse. */
export interface Report {
  severity: 'ERROR' | 'FATAL' | 'NOTICE' | 'WARNING';
  code: string;
  message: string;
  position?: number | undefined;
  detail?: string | undefined;
  hint?: string | undefined;
}

export function writeReport(w: MessageWriter, type: 'E' | 'N', r: Report): void {
  w.begin(type);
  w.int8(0x53).cstring(r.severity); // S
  w.int8(0x56).cstring(r.severity); // V: the untranslated severity
  w.int8(0x43).cstring(r.code); // C
  w.int8(0x4d).cstring(r.message); // M
  if (r.detail !== undefined) w.int8(0x44).cstring(r.detail); // D
  if (r.hint !== undefined) w.int8(0x48).cstring(r.hint); // H
  if (r.position !== undefined) w.int8(0x50).cstring(String(r.position)); // P
  w.int8(0).end();
}

export function writeRowDescription(w: MessageWriter, columns: readonly ColumnInfo[], formats: readonly number[]): void {
  w.begin('T').int16(columns.length);
  columns.forEach((c, i) => {
    w.cstring(c.name).int32(0).int16(0);
    w.int32(oidOf(c.type)).int16(typeSizeOf(c.type)).int32(typeModOf(c.type));
    w.int16(formatFor(formats, i));
  });
  w.end();
}

/** Result/parameter format codes: none = all text, one = applies to all, else one per column. */
export function formatFor(formats: readonly number[], index: number): number {
  if (formats.length === 0) return 0;
  if (formats.length === 1) return formats[0]!;
  return formats[index] ?? 0;
}

export function writeParameterStatus(w: MessageWriter, name: string, value: string): void {
  w.begin('S').cstring(name).cstring(value).end();
}

export function writeReadyForQuery(w: MessageWriter, status: 'I' | 'T' | 'E'): void {
  w.begin('Z').int8(status.charCodeAt(0)).end();
}

export function writeCommandComplete(w: MessageWriter, tag: string): void {
  w.begin('C').cstring(tag).end();
}

export function writeAuthentication(w: MessageWriter, code: number, payload?: Buffer): void {
  w.begin('R').int32(code);
  if (payload) w.bytes(payload);
  w.end();
}

export function writeBackendKeyData(w: MessageWriter, processId: number, secretKey: number): void {
  w.begin('K').int32(processId).int32(secretKey).end();
}

export function writeParameterDescription(w: MessageWriter, oids: readonly number[]): void {
  w.begin('t').int16(oids.length);
  for (const oid of oids) w.int32(oid);
  w.end();
}

/** CopyInResponse ('G') / CopyOutResponse ('H'): overall format and per-column formats, all text here. */
export function writeCopyResponse(w: MessageWriter, type: 'G' | 'H', columnCount: number): void {
  w.begin(type).int8(0).int16(columnCount);
  for (let i = 0; i < columnCount; i++) w.int16(0);
  w.end();
}

/** One DataRow: each value in the format the client asked for its column (0 text, 1 binary). */
export function writeDataRow(w: MessageWriter, row: readonly Value[], columns: readonly ColumnInfo[], formats: readonly number[]): void {
  w.begin('D').int16(columns.length);
  for (let c = 0; c < columns.length; c++) {
    const type = columns[c]!.type;
    const value = row[c] ?? null;
    if (formatFor(formats, c) === 1) {
      const b = formatBinary(value, type);
      if (b === null) w.int32(-1);
      else w.int32(b.length).bytes(b);
    } else {
      const s = formatText(value, type);
      if (s === null) w.int32(-1);
      else w.lengthString(s);
    }
  }
  w.end();
}
