// Statements the protocol layer answers itself because they are about the connection, not the data:
// SET/SHOW/RESET of client parameters, version(), and maintenance commands duetdb does not need
// (VACUUM, ANALYZE, CHECKPOINT), which get a NOTICE saying they were ignored.

import { Types } from '../../oltp/types.ts';
import type { QueryResult } from '../engine.ts';
import type { Report } from './messages.ts';

export const serverVersion = '15.0';
export const versionString = `PostgreSQL ${serverVersion} (duetdb 0.1.0, PostgreSQL 15 wire protocol compatible)`;

/** Parameters the server reports with ParameterStatus at startup and whenever SET changes them. */
export const reportedDefaults: ReadonlyMap<string, string> = new Map([
  ['server_version', serverVersion],
  ['server_encoding', 'UTF8'],
  ['client_encoding', 'UTF8'],
  ['DateStyle', 'ISO, MDY'],
  ['TimeZone', 'UTC'],
  ['integer_datetimes', 'on'],
  ['standard_conforming_strings', 'on'],
  ['IntervalStyle', 'postgres'],
  ['is_superuser', 'on'],
  ['application_name', ''],
]);

/** Other client parameters kept per connection (accepted by SET, answered by SHOW). */
const otherDefaults: ReadonlyMap<string, string> = new Map([
  ['extra_float_digits', '1'],
  ['search_path', '"$user", public'],
  ['statement_timeout', '0'],
  ['lock_timeout', '0'],
  ['idle_in_transaction_session_timeout', '0'],
  ['client_min_messages', 'notice'],
  ['synchronous_commit', 'on'],
  ['bytea_output', 'hex'],
  ['server_version_num', '150000'],
  ['max_identifier_length', '63'],
  ['max_connections', '100'],
  ['lc_messages', 'C'],
  ['lc_monetary', 'C'],
  ['lc_numeric', 'C'],
  ['lc_time', 'C'],
  ['row_security', 'on'],
  ['default_transaction_read_only', 'off'],
  ['transaction_read_only', 'off'],
  ['jit', 'off'],
]);

/** Canonical spelling of each parameter, by lower-case name. */
const canonical = new Map<string, string>([...reportedDefaults.keys(), ...otherDefaults.keys()].map((k) => [k.toLowerCase(), k]));

export class ClientSettings {
  readonly values = new Map<string, string>([...reportedDefaults, ...otherDefaults]);

  constructor(sessionUser: string, maxConnections: number) {
    this.values.set('session_authorization', sessionUser);
    this.values.set('max_connections', String(maxConnections));
  }

  /** Back to the defaults (DISCARD ALL), keeping who the client is. */
  reset(): void {
    for (const [name, value] of [...reportedDefaults, ...otherDefaults]) if (name !== 'application_name') this.values.set(name, value);
  }

  static known(name: string): string | undefined {
    return canonical.get(name.toLowerCase()) ?? (name.toLowerCase() === 'timezone' ? 'TimeZone' : undefined);
  }
}

export interface BuiltinOutcome {
  result: QueryResult;
  notices?: Report[];
  /** Parameters to announce with ParameterStatus after the command. */
  changed?: [string, string][];
  /** DISCARD ALL: the connection also drops its prepared statements and portals. */
  discardAll?: boolean;
}

const textColumn = (name: string) => ({ name, type: Types.text });

function oneValue(column: string, value: string): QueryResult {
  return { columns: [textColumn(column)], rows: [[value]], command: 'SHOW', rowCount: 1 };
}

function done(command: string): QueryResult {
  return { columns: [], rows: [], command, rowCount: 0 };
}

function unquote(value: string): string {
  const v = value.trim();
  if (v.length >= 2 && (v.startsWith("'") || v.startsWith('"')) && v.endsWith(v[0]!)) return v.slice(1, -1).replaceAll(v[0]! + v[0]!, v[0]!);
  return v;
}

/** `SELECT f()` (optionally `AS name`) for the functions clients call to learn about their connection. */
const connectionInfo = /^select\s+((?:pg_catalog\.)?(?:version|current_database|current_schema|pg_backend_pid)\s*\(\s*\)|current_user|session_user|user|current_schema)(?:\s+as\s+"?(\w+)"?)?$/i;

/** Answers `sql` if it is a connection-level statement; undefined means: give it to the engine. */
export function runBuiltin(sql: string, settings: ClientSettings, processId = 0): BuiltinOutcome | undefined {
  const s = sql.replace(/;\s*$/, '').trim();
  const info = connectionInfo.exec(s);
  if (info) {
    const fn = info[1]!.toLowerCase().replace(/^pg_catalog\./, '').replace(/\s*\(\s*\)$/, '');
    const column = info[2] ?? fn;
    const value = fn === 'version' ? versionString : fn === 'pg_backend_pid' ? processId : fn === 'current_database' ? 'duet' : fn === 'current_schema' ? 'public' : (settings.values.get('session_authorization') ?? 'duet');
    const type = fn === 'pg_backend_pid' ? Types.integer : Types.text;
    return { result: { columns: [{ name: column, type }], rows: [[value]], command: 'SELECT 1', rowCount: 1 } };
  }
  const maintenance = /^(vacuum|analyze|analyse|checkpoint)\b/i.exec(s);
  if (maintenance) {
    const command = maintenance[1]!.toUpperCase().replace('ANALYSE', 'ANALYZE');
    const notice: Report = {
      severity: 'NOTICE',
      code: '00000',
      message: `${command} is not needed in duetdb and was ignored`,
      detail: 'The row store removes old versions itself and statistics are kept up to date as data changes.',
    };
    return { result: done(command), notices: [notice] };
  }
  if (/^discard\s+all$/i.test(s)) {
    return { result: done('DISCARD ALL'), discardAll: true };
  }
  const show = /^show\s+("?[\w.]+"?)$/i.exec(s);
  if (show) {
    const name = ClientSettings.known(unquote(show[1]!));
    if (name === undefined) return undefined;
    return { result: oneValue(name.toLowerCase(), settings.values.get(name) ?? '') };
  }
  const timeZone = /^set\s+(?:session\s+)?time\s+zone\s+(.+)$/i.exec(s);
  if (timeZone) return setParameter(settings, 'TimeZone', unquote(timeZone[1]!));
  const set = /^set\s+(?:session\s+|local\s+)?("?[\w.]+"?)\s*(?:=|\bto\b)\s*(.+)$/is.exec(s);
  if (set) {
    const name = ClientSettings.known(unquote(set[1]!));
    if (name === undefined) return undefined;
    return setParameter(settings, name, set[2]!.split(',').map(unquote).join(', '));
  }
  const reset = /^reset\s+("?[\w.]+"?)$/i.exec(s);
  if (reset) {
    const name = unquote(reset[1]!).toLowerCase() === 'all' ? 'all' : ClientSettings.known(unquote(reset[1]!));
    if (name === undefined) return undefined;
    const names = name === 'all' ? [...reportedDefaults.keys()] : [name];
    const changed: [string, string][] = [];
    for (const n of names) {
      const v = reportedDefaults.get(n) ?? otherDefaults.get(n);
      if (v === undefined) continue;
      settings.values.set(n, v);
      if (reportedDefaults.has(n)) changed.push([n, v]);
    }
    return { result: done('RESET'), changed };
  }
  return undefined;
}

function setParameter(settings: ClientSettings, name: string, raw: string): BuiltinOutcome {
  let value = raw.toLowerCase() === 'default' ? (reportedDefaults.get(name) ?? otherDefaults.get(name) ?? '') : raw;
  // Results are always sent as UTF-8: other client encodings are not converted, so say so.
  if (name === 'client_encoding' && !/^(utf-?8|unicode)$/i.test(value)) {
    const notice: Report = { severity: 'WARNING', code: '01000', message: `client_encoding ${value} is not supported; it stays UTF8` };
    return { result: done('SET'), notices: [notice] };
  }
  if (name === 'client_encoding') value = 'UTF8';
  settings.values.set(name, value);
  return { result: done('SET'), changed: reportedDefaults.has(name) ? [[name, value]] : [] };
}
