// Public result values: DECIMAL as an exact string at its scale, DATE 'YYYY-MM-DD', TIMESTAMP
// 'YYYY-MM-DD HH:MM:SS[.ffffff]', integers and doubles as numbers, booleans, null (see README).

import type { SqlType, Value } from '../../oltp/types.ts';
import { decimalToString } from '../../olap/exec/decimal.ts';
import { formatDate, formatTimestamp } from '../../olap/exec/datetime.ts';

export function publicValue(v: Value, t: SqlType): Value {
  if (v === null) return null;
  switch (t.id) {
    case 'decimal': return decimalToString(typeof v === 'bigint' ? v : BigInt(v as number), t.scale ?? 0);
    case 'date': return formatDate(v as number);
    case 'timestamp': return formatTimestamp(v as number);
    case 'integer': case 'bigint': return typeof v === 'bigint' ? Number(v) : v;
    default: return v;
  }
}

export function publicRows(rows: Value[][], types: readonly SqlType[]): Value[][] {
  for (const row of rows) {
    for (let i = 0; i < row.length; i++) row[i] = publicValue(row[i]!, types[i]!);
  }
  return rows;
}
