// Scalar functions the binder knows: name → result type from argument types, and the argument
// coercions the executor expects (olap/exec/spec.ts lists the names it implements).

import { DuetError, SqlState } from '../../oltp/errors.ts';
import { Types, typeName, type SqlType } from '../../oltp/types.ts';
import { E, type Expr } from '../plan/expr.ts';
import { arithmeticType, coerce, commonType, isNumeric, scaleOf } from './types.ts';

type Rule = (args: Expr[], name: string) => Expr;

const text = (args: Expr[]): Expr[] => args.map((a) => (a.type.id === 'varchar' ? a : coerce(a, Types.text)));
const ints = (args: Expr[], from: number): Expr[] => args.map((a, i) => (i >= from && a.type.id !== 'integer' && a.type.id !== 'bigint' ? coerce(a, Types.integer) : a));

function arity(name: string, args: Expr[], min: number, max: number): void {
  if (args.length < min || args.length > max) {
    throw new DuetError(SqlState.undefinedFunction, `function ${name}(${args.map((a) => typeName(a.type)).join(', ')}) does not exist`, {
      hint: 'No function matches the given name and argument count.',
    });
  }
}

function numericArg(name: string, a: Expr): Expr {
  if (a.type.id === 'null') return coerce(a, Types.double);
  if (a.type.id === 'varchar' && a.kind === 'const') return coerce(a, Types.double);
  if (!isNumeric(a.type)) throw new DuetError(SqlState.undefinedFunction, `function ${name}(${typeName(a.type)}) does not exist`);
  return a;
}

const common = (name: string, args: Expr[]): Expr[] => {
  let t: SqlType = Types.null;
  for (const a of args) t = commonType(t, a.type, `${name.toUpperCase()}`);
  if (t.id === 'null') t = Types.text;
  return args.map((a) => coerce(a, t));
};

const RULES: Record<string, Rule> = {
  coalesce: (args, n) => { arity(n, args, 1, 100); const c = common(n, args); return E.call('coalesce', c, c[0]!.type); },
  nullif: (args, n) => { arity(n, args, 2, 2); const c = common(n, args); return E.call('nullif', c, c[0]!.type); },
  greatest: (args, n) => { arity(n, args, 1, 100); const c = common(n, args); return E.call(n, c, c[0]!.type); },
  least: (args, n) => { arity(n, args, 1, 100); const c = common(n, args); return E.call(n, c, c[0]!.type); },
  substring: (args, n) => { arity(n, args, 2, 3); const a = text(args.slice(0, 1)).concat(ints(args.slice(1), 0)); return E.call('substring', a, Types.text); },
  substr: (args) => RULES.substring!(args, 'substr'),
  upper: (args, n) => { arity(n, args, 1, 1); return E.call(n, text(args), Types.text); },
  lower: (args, n) => { arity(n, args, 1, 1); return E.call(n, text(args), Types.text); },
  trim: (args, n) => { arity(n, args, 1, 2); return E.call(n, text(args), Types.text); },
  ltrim: (args, n) => { arity(n, args, 1, 2); return E.call(n, text(args), Types.text); },
  rtrim: (args, n) => { arity(n, args, 1, 2); return E.call(n, text(args), Types.text); },
  btrim: (args) => RULES.trim!(args, 'trim'),
  replace: (args, n) => { arity(n, args, 3, 3); return E.call(n, text(args), Types.text); },
  left: (args, n) => { arity(n, args, 2, 2); return E.call(n, [...text(args.slice(0, 1)), ...ints(args.slice(1), 0)], Types.text); },
  right: (args, n) => { arity(n, args, 2, 2); return E.call(n, [...text(args.slice(0, 1)), ...ints(args.slice(1), 0)], Types.text); },
  lpad: (args, n) => { arity(n, args, 2, 3); return E.call(n, [...text(args.slice(0, 1)), ...ints(args.slice(1, 2), 0), ...text(args.slice(2))], Types.text); },
  rpad: (args, n) => { arity(n, args, 2, 3); return E.call(n, [...text(args.slice(0, 1)), ...ints(args.slice(1, 2), 0), ...text(args.slice(2))], Types.text); },
  concat: (args, n) => { arity(n, args, 1, 100); return E.call('concat', text(args), Types.text); },
  length: (args, n) => { arity(n, args, 1, 1); return E.call('length', text(args), Types.integer); },
  char_length: (args) => RULES.length!(args, 'length'),
  character_length: (args) => RULES.length!(args, 'length'),
  strpos: (args, n) => { arity(n, args, 2, 2); return E.call('strpos', text(args), Types.integer); },
  // the prepass turns position(a IN b) into position(b, a)
  position: (args, n) => { arity(n, args, 2, 2); return E.call('strpos', text(args), Types.integer); },
  abs: (args, n) => { arity(n, args, 1, 1); const a = numericArg(n, args[0]!); return E.call(n, [a], a.type); },
  sign: (args, n) => { arity(n, args, 1, 1); const a = numericArg(n, args[0]!); return E.call(n, [a], a.type); },
  round: (args, n) => roundLike(args, n),
  trunc: (args, n) => roundLike(args, n),
  floor: (args, n) => { arity(n, args, 1, 1); const a = numericArg(n, args[0]!); return E.call(n, [a], a.type.id === 'decimal' ? Types.decimal(38, 0) : a.type); },
  ceil: (args, n) => { arity(n, args, 1, 1); const a = numericArg(n, args[0]!); return E.call('ceil', [a], a.type.id === 'decimal' ? Types.decimal(38, 0) : a.type); },
  ceiling: (args) => RULES.ceil!(args, 'ceil'),
  sqrt: (args, n) => doubleFn(args, n, 1),
  exp: (args, n) => doubleFn(args, n, 1),
  ln: (args, n) => doubleFn(args, n, 1),
  log10: (args, n) => doubleFn(args, n, 1),
  power: (args, n) => doubleFn(args, n, 2),
  pow: (args) => doubleFn(args, 'power', 2),
  mod: (args, n) => {
    arity(n, args, 2, 2);
    const a = args.map((x) => numericArg(n, x));
    return E.call('%', a, arithmeticType('%', a[0]!.type, a[1]!.type));
  },
  date_trunc: (args, n) => { arity(n, args, 2, 2); return E.call(n, [coerce(args[0]!, Types.text), args[1]!], args[1]!.type.id === 'date' ? Types.timestamp : args[1]!.type); },
};

function doubleFn(args: Expr[], n: string, count: number): Expr {
  arity(n, args, count, count);
  return E.call(n, args.map((a) => coerce(numericArg(n, a), Types.double)), Types.double);
}

function roundLike(args: Expr[], n: string): Expr {
  arity(n, args, 1, 2);
  const a = numericArg(n, args[0]!);
  if (args.length === 1) return E.call(n, [a], a.type.id === 'decimal' ? Types.decimal(38, 0) : a.type);
  const digits = coerce(args[1]!, Types.integer);
  if (a.type.id === 'double') return E.call(n, [a, digits], Types.double);
  const places = digits.kind === 'const' && typeof digits.value === 'number' ? Math.max(0, digits.value) : scaleOf(a.type);
  const arg = a.type.id === 'decimal' ? a : coerce(a, Types.decimal(38, 0));
  return E.call(n, [arg, digits], Types.decimal(38, places));
}

export function bindFunction(name: string, args: Expr[]): Expr {
  const rule = RULES[name];
  if (!rule) {
    throw new DuetError(SqlState.undefinedFunction, `function ${name}(${args.map((a) => typeName(a.type)).join(', ')}) does not exist`, {
      hint: 'No function matches the given name and argument types.',
    });
  }
  return rule(args, name);
}
