// Value formatting for .tbl files: money as fixed two decimals from integer cents, dates as ISO days,
// zero-padded key names. Integer cents keep every price exact (no float rounding).

const msPerDay = 86_400_000;
const epochMs = Date.UTC(1992, 0, 1);

/** Days since 1992-01-01 for an ISO date. */
export function dayNumber(iso: string): number {
  return Math.round((Date.parse(`${iso}T00:00:00Z`) - epochMs) / msPerDay);
}

/** ISO strings for days 0 .. days-1 after 1992-01-01, computed once so rows only index an array. */
export function dateTable(days: number): string[] {
  return Array.from({ length: days }, (_, day) => new Date(epochMs + day * msPerDay).toISOString().slice(0, 10));
}

export function money(cents: number): string {
  const abs = Math.abs(cents);
  const fraction = abs % 100;
  return `${cents < 0 ? '-' : ''}${Math.floor(abs / 100)}.${fraction < 10 ? '0' : ''}${fraction}`;
}

export function pad9(n: number): string {
  return String(n).padStart(9, '0');
}
