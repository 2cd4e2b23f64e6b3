// Calendar arithmetic for DATE (days since 1970-01-01) and TIMESTAMP (µs since 1970-01-01 00:00:00):
// civil-date conversion (proleptic Gregorian), month addition with end-of-month clamping, text forms.

import { DuetError, SqlState } from '../../oltp/errors.ts';

export const MICROS_PER_DAY = 86_400_000_000;

/** Days since 1970-01-01 of a civil date (month 1-12). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = (month + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

export interface Civil { year: number; month: number; day: number }

export function civilFromDays(days: number): Civil {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

export function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** date + n months, clamping the day to the month's end like PostgreSQL ('2020-01-31' + 1 month = '2020-02-29'). */
export function addMonths(days: number, months: number): number {
  const c = civilFromDays(days);
  const total = c.year * 12 + (c.month - 1) + months;
  const year = Math.floor(total / 12);
  const month = total - year * 12 + 1;
  return daysFromCivil(year, month, Math.min(c.day, daysInMonth(year, month)));
}

export function addMonthsMicros(micros: number, months: number): number {
  const days = Math.floor(micros / MICROS_PER_DAY);
  const timeOfDay = micros - days * MICROS_PER_DAY;
  return addMonths(days, months) * MICROS_PER_DAY + timeOfDay;
}

const DATE_TEXT = /^\s*(\d{1,6})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6})\d*)?)?)?\s*$/;

function parseParts(text: string, typeName: string): { days: number; micros: number } {
  const m = DATE_TEXT.exec(text);
  if (m === null) throw new DuetError(SqlState.invalidDatetimeFormat, `invalid input syntax for type ${typeName}: "${text}"`);
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
    throw new DuetError(SqlState.datetimeFieldOverflow, `date/time field value out of range: "${text}"`);
  }
  const hour = Number(m[4] ?? 0);
  const minute = Number(m[5] ?? 0);
  const second = Number(m[6] ?? 0);
  if (hour > 24 || minute > 59 || second > 60) {
    throw new DuetError(SqlState.datetimeFieldOverflow, `date/time field value out of range: "${text}"`);
  }
  const fraction = Number((m[7] ?? '').padEnd(6, '0'));
  const micros = ((hour * 60 + minute) * 60 + second) * 1_000_000 + fraction;
  return { days: daysFromCivil(year, month, day), micros };
}

/** 'YYYY-MM-DD' (a time part is accepted and dropped, like PostgreSQL) → days. */
export function parseDate(text: string): number {
  return parseParts(text, 'date').days;
}

/** 'YYYY-MM-DD[ HH:MM[:SS[.ffffff]]]' → µs. */
export function parseTimestamp(text: string): number {
  const p = parseParts(text, 'timestamp');
  return p.days * MICROS_PER_DAY + p.micros;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

export function formatDate(days: number): string {
  const c = civilFromDays(days);
  return `${pad(c.year, 4)}-${pad(c.month, 2)}-${pad(c.day, 2)}`;
}

export function formatTimestamp(micros: number): string {
  const days = Math.floor(micros / MICROS_PER_DAY);
  let rest = micros - days * MICROS_PER_DAY;
  const fraction = rest % 1_000_000;
  rest = (rest - fraction) / 1_000_000;
  const second = rest % 60;
  rest = (rest - second) / 60;
  const minute = rest % 60;
  const hour = (rest - minute) / 60;
  const base = `${formatDate(days)} ${pad(hour, 2)}:${pad(minute, 2)}:${pad(second, 2)}`;
  return fraction === 0 ? base : `${base}.${pad(fraction, 6).replace(/0+$/, '')}`;
}
