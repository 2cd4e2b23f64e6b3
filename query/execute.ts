// SQL entry points used by the Database/Session facade: executeSql (scripts, autocommit or the
// session's transaction), prepareSql/PreparedStatement, and the dispatch of each statement kind.

import type { Txn } from '../oltp/api.ts';
import { DuetError, SqlState } from '../oltp/errors.ts';
import { Types, type SqlType, type Value } from '../oltp/types.ts';
import type { Database, QueryResult, Session } from './database.ts';
import { bindQuery } from './bind/select.ts';
import { Scope } from './bind/scope.ts';
import { parseStatement, type Ast, type Statement } from './parse/parse.ts';
import { splitStatements, stripComments, type Piece } from './parse/split.ts';
import { normalizeLiterals, type Normalized } from './parse/normalize.ts';
import { convertParams, depsValid, newBindCtx, planQuery, runPlanned, type Deps, type PlannedQuery } from './run/context.ts';
import { runCopy } from './run/copy.ts';
import { showReplicas } from './run/replicas.ts';
import { runAlter, runCreateIndex, runCreateTable, runCreateView, runDrop } from './run/ddl.ts';
import { lockSelected, runCreateTableAs, runDelete, runInsert, runUpdate, type DmlInput, type DmlMemo, type RowsResult } from './run/dml.ts';
import type { BindCtx } from './bind/scope.ts';
import { explain } from './run/explain.ts';
import { isPointPlan, pointRead, rowPathAllowed } from './run/point.ts';
import { publicRows } from './run/format.ts';
import { LruMap, StatementCache } from './cache.ts';
import { noteStatementText, statementHint } from './route/hint.ts';
import { runRouted } from './route/run.ts';
import { arrowOutputOf, arrowRowCount, noteRun } from './route/arrow.ts';
import { checkRouteSetting, ENGINE_SETTING, routeSettingsOf } from './route/settings.ts';

const statementCache = new StatementCache(512);
/** Normalized statement text → its parsed statement with literal parameter types, or 'raw' (do not normalize). */
const shapeCache = new LruMap<string, Statement | 'raw' | 'seen'>(512);
/** Planned SELECTs by statement object, valid while the tables they read keep their definitions. */
const planCache = new WeakMap<Statement, { deps: Deps; planned: PlannedQuery }>();
/** UPDATE/DELETE target plans by statement object (run/dml.ts DmlMemo), valid while their tables keep their definitions. */
const dmlMemos = new WeakMap<Statement, { deps: Deps; memo: DmlMemo }>();

export interface PreparedStatement {
  readonly sql: string;
  run(session: Session, params: readonly Value[]): Promise<QueryResult>;
  /** The synchronous point SELECT outside a transaction (pointSelect); undefined when it does not apply (nothing ran). */
  runPoint?(session: Session, params: readonly Value[]): QueryResult | undefined;
}

export async function executeSql(session: Session, sql: string, params: readonly Value[] = []): Promise<QueryResult> {
  const pieces = splitStatements(sql);
  let last: QueryResult = { columns: [], rows: [], command: 'EMPTY', rowCount: 0 };
  for (const piece of pieces) last = await runPiece(session, piece, params);
  return last;
}

/**
 * db.query's synchronous attempt (Database.query, outside a transaction): one SELECT whose literal shape is
 * cached with a point plan, answered by pointSelect. undefined when it does not apply or the read failed:
 * reads have no effects, so the general path then runs the text again and reports exactly as before.
 */
export function runPointText(session: Session, sql: string, params: readonly Value[]): QueryResult | undefined {
  if (session.inTransaction || !SELECT_START.test(sql)) return undefined;
  const pieces = splitStatements(sql);
  if (pieces.length !== 1) return undefined;
  const piece = pieces[0]!;
  const norm = literalShape(piece, params);
  if (!norm) return undefined;
  const shape = shapeCache.get(shapeKey(norm));
  if (shape === undefined || shape === 'raw' || shape === 'seen' || shape.kind !== 'ast' || shape.ast.type !== 'select' || shape.lockRows) return undefined;
  noteStatementText(session, piece.text);
  const all: Value[] = [...params];
  while (all.length < norm.firstIndex - 1) all.push(null);
  all.push(...norm.literals);
  try {
    return pointSelect(session, shape, all);
  } catch {
    return undefined;
  }
}

const SELECT_START = /^\s*select\s/i;

/**
 * One statement of a script. A statement whose shape was seen before runs from the shape's cached
 * parse (and plan) with its literals as parameters; the first run of a shape uses the exact text, so
 * errors point at the user's own text.
 */
async function runPiece(session: Session, piece: Piece, params: readonly Value[]): Promise<QueryResult> {
  noteStatementText(session, piece.text);
  const norm = literalShape(piece, params);
  // the shape includes the literals' types: `x = 1` and `x = 1.0` bind differently
  const key = norm ? shapeKey(norm) : '';
  if (norm) {
    const shape = shapeCache.get(key);
    if (shape && shape !== 'raw' && shape !== 'seen') {
      const all: Value[] = [...params];
      while (all.length < norm.firstIndex - 1) all.push(null);
      all.push(...norm.literals);
      const failedBefore = session.failed;
      try {
        return await runStatement(session, shape, all);
      } catch (e) {
        // a shape that cannot be compiled with parameters falls back to its exact text from now on
        if (!(e instanceof DuetError) || !/^(42|0A)/.test(e.code) || failedBefore) throw e;
        shapeCache.set(key, 'raw');
        session.failed = false;
      }
    }
  }
  const stmt = statementCache.statements(piece.text, () => [parseStatement(piece)])[0]!;
  const result = await runStatement(session, stmt, params);
  if (norm && shapeCache.get(key) === undefined) {
    // a shape seen once is only remembered; parsing it as a template pays off from its second use
    shapeCache.set(key, 'seen');
  } else if (norm && shapeCache.get(key) === 'seen') {
    let shape: Statement | 'raw' = 'raw';
    try {
      const parsed = parseStatement({ text: norm.text, offset: piece.offset });
      if (parsed.kind === 'ast') shape = { ...parsed, paramTypes: literalTypes(norm) };
    } catch {
      shape = 'raw';
    }
    shapeCache.set(key, shape);
  }
  return result;
}

/**
 * The statement with its literals as parameters numbered after the caller's; null when it has none or the
 * caller passed more parameters than the text uses (they would take the literals' numbers).
 */
function literalShape(piece: Piece, params: readonly Value[]): Normalized | null {
  const norm = normalizeLiterals(stripComments(piece.text));
  return norm && params.length <= norm.firstIndex - 1 ? norm : null;
}

/** The shape cache's key: the normalized text and each literal's kind (a decimal with its scale). */
function shapeKey(norm: Normalized): string {
  let key = `${norm.text}\u0000`;
  for (let i = 0; i < norm.kinds.length; i++) {
    const k = norm.kinds[i]!;
    key += k === 'decimal' ? `n${decimalScale(String(norm.literals[i]))},` : `${k[0]},`; // i, b, d(ouble), s
  }
  return key;
}

function decimalScale(text: string): number {
  return text.includes('.') ? text.length - text.indexOf('.') - 1 : 0;
}

function literalTypes(norm: Normalized): Map<number, SqlType> {
  const m = new Map<number, SqlType>();
  norm.kinds.forEach((k, i) => {
    const index = norm.firstIndex + i;
    if (k === 'integer') m.set(index, Types.integer);
    else if (k === 'bigint') m.set(index, Types.bigint);
    else if (k === 'double') m.set(index, Types.double);
    else if (k === 'decimal') {
      m.set(index, Types.decimal(38, decimalScale(String(norm.literals[i]))));
    }
  });
  return m;
}

export function prepareSql(_db: Database, sql: string): PreparedStatement {
  const statements = statementCache.statements(sql, () => splitStatements(sql).map(parseStatement));
  if (statements.length !== 1) throw new DuetError(SqlState.syntaxError, 'a prepared statement must contain exactly one statement');
  const stmt = statements[0]!;
  const plainSelect = stmt.kind === 'ast' && stmt.ast.type === 'select' && !stmt.lockRows ? stmt : undefined;
  return {
    sql,
    run: (session, params) => {
      noteStatementText(session, sql);
      return runStatement(session, stmt, params);
    },
    ...(plainSelect && {
      runPoint: (session: Session, params: readonly Value[]) => {
        if (session.inTransaction) return undefined;
        noteStatementText(session, sql);
        return pointSelect(session, plainSelect, params);
      },
    }),
  };
}

async function runStatement(session: Session, stmt: Statement, params: readonly Value[]): Promise<QueryResult> {
  if (session.failed && stmt.kind !== 'commit' && stmt.kind !== 'rollback') {
    throw new DuetError(SqlState.inFailedTransaction, 'current transaction is aborted, commands ignored until end of transaction block');
  }
  switch (stmt.kind) {
    case 'begin':
      if (!session.inTransaction) session.begin(stmt.isolation ? { isolation: stmt.isolation } : {});
      return done('BEGIN');
    case 'commit':
      if (!session.inTransaction) return done('COMMIT');
      if (session.failed) { session.rollback(); return done('ROLLBACK'); }
      await session.commit();
      return done('COMMIT');
    case 'rollback':
      session.rollback();
      return done('ROLLBACK');
    case 'set_isolation':
      if (stmt.session || !session.txn) session.defaultIsolation = stmt.isolation;
      return done('SET');
    case 'set':
      if (stmt.name === 'default_transaction_isolation' || stmt.name === 'transaction_isolation') {
        const v = stmt.value.toLowerCase();
        session.defaultIsolation = v === 'serializable' ? 'serializable' : v === 'repeatable read' ? 'snapshot' : 'read committed';
      }
      checkRouteSetting(stmt.name, stmt.value); // rejects a bad value now, as PostgreSQL does
      session.settings.set(stmt.name, stmt.value);
      return done('SET');
    case 'show': return stmt.name === 'replicas' ? showReplicas(session.db.store) : show(session, stmt.name);
    default:
      return (stmt.kind === 'ast' && stmt.ast.type === 'select' && !stmt.lockRows ? pointSelect(session, stmt, params) : undefined)
        ?? inTxn(session, (txn) => runInTxn(txn, stmt, params, undefined, session));
  }
}

/**
 * The synchronous point-read path: a plain SELECT whose cached plan is a primary-key point get runs with no
 * promise hop, and in autocommit its transaction (one snapshot, nothing written) ends at once without the
 * commit queue. undefined when it does not apply (not planned yet, not a point plan, column path asked
 * for, or the key is no full primary key): the general path then runs the statement.
 */
function pointSelect(session: Session, stmt: Extract<Statement, { kind: 'ast' }>, params: readonly Value[]): QueryResult | undefined {
  const cached = planCache.get(stmt);
  if (cached === undefined || session.arrowOutput) return undefined;
  const { planned } = cached;
  const root = planned.lowered.root;
  if (!isPointPlan(root) || !rowPathAllowed(statementHint(session), session.settings.get(ENGINE_SETTING))) return undefined;
  const open = session.txn;
  open?.beginStatement();
  // autocommit: one synchronous read-only statement, for which every isolation level reads the same snapshot
  const txn = open ?? session.db.store.snapshotReader();
  let rows: Value[][] | undefined;
  try {
    // a changed table definition means a new plan: the general path binds the statement again
    rows = depsValid(txn, cached.deps) ? pointRead(txn, root, convertParams(params, planned.lowered.paramTypes)) : undefined;
  } catch (e) {
    if (open) session.failed = true;
    else txn.rollback();
    throw e;
  }
  // nothing written: ending the transaction is all its commit would do (Transaction.commit of a read-only txn)
  if (!open) txn.rollback();
  if (rows === undefined) return undefined;
  noteRun(session, undefined);
  pointSelectCounters.served++;
  return toPublic({ command: `SELECT ${rows.length}`, rowCount: rows.length, columns: planned.cols.map((c) => ({ name: c.name, type: c.type })), rows });
}

/** Statements answered by pointSelect (tests check that the synchronous path is taken). */
export const pointSelectCounters = { served: 0 };

function done(command: string): QueryResult {
  return { columns: [], rows: [], command, rowCount: 0 };
}

function show(session: Session, name: string): QueryResult {
  let value = session.settings.get(name);
  if (name === 'transaction_isolation' || name === 'default_transaction_isolation') {
    const iso = name === 'transaction_isolation' && session.txn ? session.txn.isolation : session.defaultIsolation;
    value = iso === 'snapshot' ? 'repeatable read' : iso;
  }
  if (value === undefined) throw new DuetError(SqlState.undefinedObject, `unrecognized configuration parameter "${name}"`);
  return { columns: [{ name, type: { id: 'varchar' } }], rows: [[value]], command: 'SHOW', rowCount: 1 };
}

/** Runs in the session's open transaction (an error aborts it: 25P02 until ROLLBACK) or in autocommit. */
async function inTxn(session: Session, fn: (txn: Txn) => Promise<QueryResult>): Promise<QueryResult> {
  const open = session.txn;
  if (open) {
    open.beginStatement();
    try {
      return await fn(open);
    } catch (e) {
      session.failed = true;
      throw e;
    }
  }
  const txn = session.db.store.begin({ isolation: session.defaultIsolation });
  try {
    const result = await fn(txn);
    await txn.commit();
    return result;
  } catch (e) {
    if (txn.state === 'active') txn.rollback();
    throw e;
  }
}

async function runInTxn(txn: Txn, stmt: Statement, params: readonly Value[], signal?: AbortSignal, session?: Session): Promise<QueryResult> {
  // A plain SELECT binds through the plan cache (runSelect) and asks for the cancel signal only when it
  // runs the executor: creating an AbortSignal was about 8% of a point read.
  if (stmt.kind === 'ast' && stmt.ast.type === 'select' && !stmt.lockRows) return toPublic(await runSelect(txn, stmt, params, signal, session));
  // INSERT / UPDATE / DELETE likewise: a point write or a VALUES row never runs the executor
  if (stmt.kind === 'ast' && (stmt.ast.type === 'update' || stmt.ast.type === 'delete')) return toPublic(await runUpdateOrDelete(txn, stmt, params, signal, session));
  if (stmt.kind === 'ast' && stmt.ast.type === 'insert') {
    return toPublic(await runInsert(dmlInput(txn, newBindCtx(txn, stmt.text, stmt.offset, stmt.paramTypes), stmt.ast, params, signal, session)));
  }
  signal ??= session?.cancelSignal;
  if (stmt.kind === 'copy') return toPublic(await runCopy(txn, stmt, signal));
  if (stmt.kind === 'explain') return explain(txn, stmt, params, signal, session);
  if (stmt.kind !== 'ast') throw new DuetError(SqlState.featureNotSupported, `${stmt.kind.toUpperCase()} is not allowed here`);
  const ast = stmt.ast;
  const ctx = newBindCtx(txn, stmt.text, stmt.offset, stmt.paramTypes);
  switch (ast.type) {
    case 'select':
      if (stmt.lockRows) {
        await lockSelected({ txn, ctx, ast, params, ...(signal ? { signal } : {}) });
        txn.beginStatement(); // READ COMMITTED: read the versions just locked
      }
      return toPublic(await runSelect(txn, stmt, params, signal, session));
    case 'create': {
      const kw = String(ast.keyword).toLowerCase();
      if (kw === 'table' && ast.query_expr) return toPublic(await runCreateTableAs({ txn, ctx, ast, params, ...(signal ? { signal } : {}) }));
      if (kw === 'table') return done((await runCreateTable(txn, ast)).command);
      if (kw === 'index') return done((await runCreateIndex(txn, ast)).command);
      if (kw === 'view') return done((await runCreateView(txn, ast, stmt.text)).command);
      break;
    }
    case 'drop': return done((await runDrop(txn, ast)).command);
    case 'alter': return done((await runAlter(txn, ast)).command);
  }
  throw new DuetError(SqlState.featureNotSupported, `statement ${String(ast.type).toUpperCase()} is not supported`, { position: stmt.offset + 1 });
}

/** UPDATE / DELETE, with the statement's target plan kept between runs (run/dml.ts DmlMemo) while valid. */
async function runUpdateOrDelete(txn: Txn, stmt: Extract<Statement, { kind: 'ast' }>, params: readonly Value[], signal?: AbortSignal, session?: Session): Promise<RowsResult> {
  const known = dmlMemos.get(stmt);
  let memo: DmlMemo;
  let deps: Deps | undefined;
  if (known && depsValid(txn, known.deps)) memo = known.memo;
  else {
    memo = {};
    deps = { tables: new Map(), usedView: false };
  }
  const ctx = newBindCtx(txn, stmt.text, stmt.offset, stmt.paramTypes, deps);
  const input = dmlInput(txn, ctx, stmt.ast, params, signal, session, memo);
  try {
    return await (stmt.ast.type === 'update' ? runUpdate(input) : runDelete(input));
  } finally {
    // kept once a point target was planned (even if the run then failed, e.g. on a constraint); views never
    if (deps && memo.target && !deps.usedView) dmlMemos.set(stmt, { deps, memo });
  }
}

/** A DML statement's input whose cancel signal is made only when read (creating an AbortSignal costs more than a point write's lookup). */
function dmlInput(txn: Txn, ctx: BindCtx, ast: Ast, params: readonly Value[], signal: AbortSignal | undefined, session: Session | undefined, memo?: DmlMemo): DmlInput {
  return { txn, ctx, ast, params, ...(memo ? { memo } : {}), get signal() { return signal ?? session?.cancelSignal; } };
}

export async function runSelect(txn: Txn, stmt: Extract<Statement, { kind: 'ast' }>, params: readonly Value[], signal?: AbortSignal, session?: Session): Promise<RowsResult> {
  let planned: PlannedQuery;
  const cached = planCache.get(stmt);
  if (cached && depsValid(txn, cached.deps)) {
    planned = cached.planned;
  } else {
    const deps: Deps = { tables: new Map(), usedView: false };
    const ctx = newBindCtx(txn, stmt.text, stmt.offset, stmt.paramTypes, deps);
    const bound = bindQuery(ctx, stmt.ast, new Scope(null));
    planned = planQuery(ctx, bound.plan, bound.cols);
    if (!ctx.volatile) planCache.set(stmt, { deps, planned });
  }
  const values = convertParams(params, planned.lowered.paramTypes);
  const root = planned.lowered.root;
  // a primary-key point read skips the executor (run/point.ts); anything else is routed and executed
  const fast = isPointPlan(root) && (!session || (!session.arrowOutput && rowPathAllowed(statementHint(session), session.settings.get(ENGINE_SETTING)))) ? pointRead(txn, root, values) : undefined;
  if (fast === undefined) signal ??= session?.cancelSignal;
  // with a session the router picks the row or the column path (query/route/); db.queryArrow asks for Arrow
  const run = fast === undefined && session
    ? await runRouted({ store: session.db.store, txn, root: planned.lowered.root, params: values, ...routeSettingsOf(session), ...(signal ? { signal } : {}), ...arrowOutputOf(session, planned.cols) })
    : undefined;
  if (session) noteRun(session, run);
  const rows = fast ?? run?.rows ?? await runPlanned(txn, planned.lowered.root, values, undefined, signal);
  const rowCount = run?.arrow ? arrowRowCount(run.arrow) : rows.length;
  return { command: `SELECT ${rowCount}`, rowCount, columns: planned.cols.map((c) => ({ name: c.name, type: c.type })), rows };
}

function toPublic(r: RowsResult): QueryResult {
  return { columns: r.columns, rows: publicRows(r.rows, r.columns.map((c) => c.type)), command: r.command, rowCount: r.rowCount };
}
