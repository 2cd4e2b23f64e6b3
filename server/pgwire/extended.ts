// The extended query protocol's per-connection objects: prepared statements (Parse) and portals
// (Bind), decoded from their messages, named or unnamed, bounded in number.

import { DuetError, SqlState } from '../../oltp/errors.ts';
import type { Value } from '../../oltp/types.ts';
import type { QueryResult } from '../engine.ts';
import type { BodyReader } from './framing.ts';
import { formatFor } from './messages.ts';
import { splitStatements } from './split.ts';
import { Oid, parseBinaryParam, parseTextParam } from './values.ts';

export interface PreparedStatement {
  readonly sql: string;
  readonly paramOids: readonly number[];
}

export interface Portal {
  readonly statement: PreparedStatement;
  readonly params: readonly Value[];
  readonly resultFormats: readonly number[];
  /** Filled when the statement has run (at Describe or at the first Execute). */
  result: QueryResult | undefined;
  /** Rows already sent by earlier Execute calls with a row limit. */
  sentRows: number;
}

/** Named prepared statements (and portals) one connection may hold: memory per client stays bounded. */
const namedObjectsMax = 10_000;

function tooMany(what: string): DuetError {
  return new DuetError('54000', `too many ${what} on this connection (at most ${namedObjectsMax})`, { hint: 'close the ones no longer needed' });
}

export class ExtendedState {
  private readonly statements = new Map<string, PreparedStatement>();
  private readonly portals = new Map<string, Portal>();

  /** Parse: stores the statement; returns its SQL (for the statement log). */
  parse(r: BodyReader): string {
    const name = r.cstring();
    const sql = r.cstring();
    const count = r.int16();
    const paramOids: number[] = [];
    for (let i = 0; i < count; i++) paramOids.push(r.int32());
    if (name !== '' && this.statements.has(name)) throw new DuetError('42P05', `prepared statement "${name}" already exists`);
    if (name !== '' && this.statements.size >= namedObjectsMax) throw tooMany('prepared statements');
    const statements = splitStatements(sql);
    if (statements.length > 1) throw new DuetError(SqlState.syntaxError, 'cannot insert multiple commands into a prepared statement');
    this.statements.set(name, { sql: statements[0]?.text ?? '', paramOids });
    return sql;
  }

  /** Bind: decodes the parameters by format and declared type and creates the portal. */
  bind(r: BodyReader): void {
    const portalName = r.cstring();
    const statement = this.statement(r.cstring());
    const formatCount = r.int16();
    const paramFormats: number[] = [];
    for (let i = 0; i < formatCount; i++) paramFormats.push(r.int16());
    const count = r.int16();
    const params: Value[] = [];
    for (let i = 0; i < count; i++) {
      const length = r.int32();
      if (length < 0) {
        params.push(null);
        continue;
      }
      const bytes = r.bytes(length);
      const oid = statement.paramOids[i] ?? 0;
      params.push(formatFor(paramFormats, i) === 1 ? parseBinaryParam(bytes, oid) : parseTextParam(bytes.toString('utf8'), oid));
    }
    const resultCount = r.int16();
    const resultFormats: number[] = [];
    for (let i = 0; i < resultCount; i++) resultFormats.push(r.int16());
    if (portalName !== '' && this.portals.has(portalName)) throw new DuetError('42P03', `cursor "${portalName}" already exists`);
    if (portalName !== '' && this.portals.size >= namedObjectsMax) throw tooMany('portals');
    this.portals.set(portalName, { statement, params, resultFormats, result: undefined, sentRows: 0 });
  }

  statement(name: string): PreparedStatement {
    const statement = this.statements.get(name);
    if (!statement) throw new DuetError('26000', `prepared statement "${name}" does not exist`);
    return statement;
  }

  portal(name: string): Portal {
    const portal = this.portals.get(name);
    if (!portal) throw new DuetError('34000', `portal "${name}" does not exist`);
    return portal;
  }

  /** Close ('S' statement or 'P' portal); closing what does not exist is not an error. */
  close(kind: string, name: string): void {
    if (kind === 'S') this.statements.delete(name);
    else this.portals.delete(name);
  }

  /** Sync ends the implicit transaction, and with it the unnamed portal. */
  sync(): void {
    this.portals.delete('');
  }

  /** DISCARD ALL. */
  clear(): void {
    this.statements.clear();
    this.portals.clear();
  }
}

/** Declared parameter types, and text for the ones the client left open (highest $n in the SQL). */
export function parameterOids(statement: PreparedStatement): number[] {
  let count = statement.paramOids.length;
  for (const m of statement.sql.matchAll(/\$(\d+)/g)) count = Math.max(count, Number(m[1]));
  const oids: number[] = [];
  for (let i = 0; i < count; i++) oids.push(statement.paramOids[i] || Oid.text);
  return oids;
}
