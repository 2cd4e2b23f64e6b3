// Table sizes and key schemes of TPC-H at a scale factor (spec 4.2.5 and 4.2.3), shared by the
// row generators and by tests that check generated keys.
import { DuetError, SqlState } from '../../oltp/errors.ts';

export interface Scale {
  sf: number;
  parts: number;
  suppliers: number;
  customers: number;
  orders: number;
  /** O_CLERK is drawn from [1, clerks]. */
  clerks: number;
}

export function scaleFor(sf: number): Scale {
  // PS_SUPPKEY's formula needs at least 4 suppliers to give a part 4 distinct suppliers.
  // Up to SF 5000 every block of orders gets its own random stream (see generate.ts).
  if (!(sf >= 0.0004 && sf <= 5000)) {
    throw new DuetError(SqlState.invalidParameterValue, `scale factor must be between 0.0004 and 5000, got ${sf}`);
  }
  const rows = (base: number): number => Math.round(sf * base);
  return {
    sf,
    parts: rows(200_000),
    suppliers: rows(10_000),
    customers: rows(150_000),
    orders: rows(1_500_000),
    // The spec says SF * 1000; dbgen never goes below 1000, and the reference data follows dbgen.
    clerks: Math.max(1000, rows(1000)),
  };
}

/** Sparse order keys: of every 32 consecutive keys only the first 8 are used (dbgen's mk_sparse). */
export function orderKey(orderIndex1: number): number {
  return (Math.floor(orderIndex1 / 8) * 32) + (orderIndex1 % 8);
}

/** The supplier of a part's `i`-th partsupp row, i in 0..3 (spec 4.2.3, PS_SUPPKEY). */
export function partSupplier(partKey: number, i: number, suppliers: number): number {
  return ((partKey + i * (Math.floor(suppliers / 4) + Math.floor((partKey - 1) / suppliers))) % suppliers) + 1;
}

/** P_RETAILPRICE in cents (spec 4.2.3). */
export function retailPriceCents(partKey: number): number {
  return 90_000 + (Math.floor(partKey / 10) % 20_001) + 100 * (partKey % 1000);
}

/**
 * O_CUSTKEY from a uniform draw in [1, customers]: a multiple of 3 moves to its neighbour, so a third
 * of the customers have no orders (spec 4.2.3). Like dbgen, this gives keys = 1 (mod 3) twice the
 * orders of keys = 2 (mod 3); we keep that so orders per customer (Q13) match the reference data.
 */
export function orderCustomerKey(draw: number, customers: number): number {
  if (draw % 3 !== 0) return draw;
  return draw + 1 <= customers ? draw + 1 : draw - 1;
}
