// Messages between the learner thread and its helper thread (structured-clonable; typed arrays on
// SharedArrayBuffers are shared, not copied, when posted).
import type { Batch, OperatorStats, PlanNode } from '../exec/spec.ts';
import type { SqlType } from '../../oltp/types.ts';
import type { SharedColumn } from './shared-columns.ts';

export type ToHelper =
  /**
   * Blocks the helper may be asked to read: `add` once per block (begin, and a shared mirror of end that the
   * learner refreshes in place), `columns` once per block column a query needed, `drop` when the learner
   * let go of a block (compaction replaced it and no read holds it).
   */
  | {
      readonly kind: 'blocks';
      readonly add: readonly { readonly id: number; readonly rows: number; readonly begin: Float64Array; readonly end: Float64Array }[];
      readonly columns: readonly { readonly id: number; readonly column: number; readonly data: SharedColumn }[];
      readonly drop: readonly number[];
    }
  /**
   * Run `plan` (a partial aggregate) at ts: its scans, named by preorder index, read rows visible at ts of
   * `blocks` (table columns `columns`); the split scan only the morsels this thread claims from `counter`,
   * the others every block and then `delta` (the learner's delta rows, which only it holds).
   */
  | {
      readonly kind: 'run'; readonly id: number; readonly plan: PlanNode; readonly params: readonly unknown[]; readonly ts: number;
      readonly scans: readonly HelperScan[];
      readonly counter: Int32Array; readonly morselBlocks: number; readonly batchRowsMax?: number; readonly analyze: boolean;
    };

export interface HelperScan {
  readonly index: number;
  readonly blocks: Int32Array;
  readonly columns: readonly number[];
  readonly types: readonly SqlType[];
  readonly split: boolean;
  readonly delta: readonly Batch[];
}

export interface HelperDone {
  readonly kind: 'done';
  readonly id: number;
  readonly batches: readonly Batch[];
  readonly blocksScanned: number;
  /** Per node of the run's plan in preorder (analyze only). */
  readonly stats?: readonly (OperatorStats | null)[];
  readonly error?: { readonly code?: string; readonly message: string };
}
