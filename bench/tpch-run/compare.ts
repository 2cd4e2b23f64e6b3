// Compares a duetdb result with DuckDB's: same row count, cells equal as text or as numbers within a
// relative tolerance (like test/sql/tpch.test.ts); rows in order, else as a multiset (ties under ORDER BY).

export const TOLERANCE = 1e-9;

function cell(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  return String(v).trimEnd();
}

function sameCell(a: string, b: string): boolean {
  if (a === b) return true;
  const x = Number(a);
  const y = Number(b);
  if (a !== '' && b !== '' && a !== 'NULL' && b !== 'NULL' && Number.isFinite(x) && Number.isFinite(y)) {
    return x === y || Math.abs(x - y) <= TOLERANCE * Math.max(Math.abs(x), Math.abs(y));
  }
  return false;
}

const sameRow = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((v, i) => sameCell(v, b[i]!));

/** undefined when equal, else a short description of the first difference. */
export function resultDifference(got: readonly (readonly unknown[])[], want: readonly (readonly unknown[])[]): string | undefined {
  if (got.length !== want.length) return `${got.length} rows vs DuckDB's ${want.length}`;
  const g = got.map((r) => r.map(cell));
  const w = want.map((r) => r.map(cell));
  const firstBad = g.findIndex((r, i) => !sameRow(r, w[i]!));
  if (firstBad < 0) return undefined;
  // Ties under ORDER BY may come in another order: compare sorted rows.
  const key = (r: readonly string[]): string => r.join('|');
  const gs = [...g].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  const ws = [...w].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  if (gs.every((r, i) => sameRow(r, ws[i]!))) return undefined;
  return `row ${firstBad}: ${key(g[firstBad]!)} vs DuckDB ${key(w[firstBad]!)}`;
}
