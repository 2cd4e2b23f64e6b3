// One expression ready to run over batches: the compiled kernel, or the interpreter when asked for (or
// when the kernel signals that a batch needs the exact bigint path). Operators only use this interface.

import type { Value } from '../../../oltp/types.ts';
import type { Batch, Expr, Vector } from '../spec.ts';
import { compileSelect, compileVector, FALLBACK, type SelectKernel, type VectorKernel } from './compile.ts';
import { checkExpr, interpretSelection, interpretVector } from './interpret.ts';

export class Evaluator {
  readonly expr: Expr;
  private readonly params: readonly Value[];
  private vectorKernel: VectorKernel | undefined;
  private selectKernel: SelectKernel | undefined;
  private readonly interpret: boolean;

  constructor(expr: Expr, params: readonly Value[], interpret = false) {
    checkExpr(expr);
    this.expr = expr;
    this.params = params;
    this.interpret = interpret;
  }

  /** Values for the batch's live rows, aligned with its physical rows. */
  vector(batch: Batch): Vector {
    if (this.expr.kind === 'col') return batch.columns[this.expr.index]!;
    if (!this.interpret) {
      try {
        this.vectorKernel ??= compileVector(this.expr);
        return this.vectorKernel(batch.columns, batch.selection, batch.length, this.params);
      } catch (error) {
        if (error !== FALLBACK) throw error;
      }
    }
    return interpretVector(this.expr, batch, this.params);
  }

  /** The batch's live rows for which the predicate is TRUE (a new selection vector). */
  select(batch: Batch): Uint32Array {
    if (!this.interpret) {
      try {
        this.selectKernel ??= compileSelect(this.expr);
        return this.selectKernel(batch.columns, batch.selection, batch.length, this.params);
      } catch (error) {
        if (error !== FALLBACK) throw error;
      }
    }
    return interpretSelection(this.expr, batch, this.params);
  }
}

/** Evaluates an expression that reads no columns (LIMIT counts, VALUES cells). */
export function evalConstant(expr: Expr, params: readonly Value[]): Value {
  const batch: Batch = { length: 1, columns: [], types: [], selection: undefined };
  const v = new Evaluator(expr, params, true).vector(batch);
  return v.valid !== undefined && v.valid[0] === 0 ? null : interpretValue(v);
}

function interpretValue(v: Vector): Value {
  switch (v.kind) {
    case 'number': return v.data[0]!;
    case 'decimal': return BigInt(v.data[0]!);
    case 'bigdecimal': return v.data[0]!;
    case 'string': return v.data[0]!;
    case 'dict': return v.dict[v.codes[0]!]!;
    case 'bool': return v.data[0] === 1;
  }
}
