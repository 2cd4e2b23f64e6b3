// Row generators for the eight TPC-H tables (spec 4.2.3), one .tbl line per call. Each takes its
// random stream explicitly, so a table (or a block of orders) can be generated on its own.
import { dateTable, dayNumber, money, pad9 } from './format.ts';
import { Rng } from './random.ts';
import { orderCustomerKey, orderKey, partSupplier, retailPriceCents, type Scale } from './scale.ts';
import { TextPool, phone, vString } from './text.ts';
import type { TableWriter } from './writer.ts';
import * as v from './vocabulary.ts';

const currentDay = dayNumber('1995-06-17');
const lastOrderDay = dayNumber('1998-12-31') - 151;
// Latest receipt date: order date + 121 (ship) + 30 (receipt).
const dates = dateTable(lastOrderDay + 152);
/** The same dates as bytes, 10 per day, for the hot rows. */
const dateBytes = Buffer.from(dates.join(''), 'latin1');
const writeDate = (out: TableWriter, day: number): void => out.bytes(dateBytes, day * 10, day * 10 + 10);

export interface RowContext {
  scale: Scale;
  text: TextPool;
  /** Field separator after each field (dbgen writes one after the last field too). */
  end: (fields: string) => string;
}

export function nationRow(rng: Rng, ctx: RowContext, key: number): string {
  const [name, region] = v.nations[key]!;
  return ctx.end(`${key}|${name}|${region}|${ctx.text.text(rng, 31, 114)}`);
}

export function regionRow(rng: Rng, ctx: RowContext, key: number): string {
  return ctx.end(`${key}|${v.regions[key]}|${ctx.text.text(rng, 31, 115)}`);
}

export function partRow(rng: Rng, ctx: RowContext, key: number): string {
  const mfgr = rng.int(1, 5);
  const type = `${rng.pick(v.typeSyllables[0])} ${rng.pick(v.typeSyllables[1])} ${rng.pick(v.typeSyllables[2])}`;
  const container = `${rng.pick(v.containerSyllables[0])} ${rng.pick(v.containerSyllables[1])}`;
  return ctx.end(
    `${key}|${partName(rng)}|Manufacturer#${mfgr}|Brand#${mfgr}${rng.int(1, 5)}|${type}|${rng.int(1, 50)}|${container}|` +
      `${money(retailPriceCents(key))}|${ctx.text.text(rng, 5, 22)}`,
  );
}

/** Five distinct colours. */
function partName(rng: Rng): string {
  const chosen: string[] = [];
  while (chosen.length < 5) {
    const color = rng.pick(v.colors);
    if (!chosen.includes(color)) chosen.push(color);
  }
  return chosen.join(' ');
}

export function supplierRow(rng: Rng, ctx: RowContext, key: number): string {
  const nation = rng.int(0, 24);
  return ctx.end(
    `${key}|Supplier#${pad9(key)}|${vString(rng, 10, 40)}|${nation}|${phone(rng, nation)}|${money(rng.int(-99_999, 999_999))}|` +
      supplierComment(rng, ctx),
  );
}

/** S_COMMENT; SF*5 suppliers (in expectation) carry "Customer...Complaints", as many "...Recommends". */
function supplierComment(rng: Rng, ctx: RowContext): string {
  const comment = ctx.text.text(rng, 25, 100);
  const draw = rng.int(1, 10_000);
  if (draw > 10) return comment;
  const marker = `Customer ${ctx.text.text(rng, 0, 6)}${draw <= 5 ? 'Complaints' : 'Recommends'}`;
  const at = rng.int(0, comment.length - Math.min(comment.length, marker.length));
  return (comment.slice(0, at) + marker + comment.slice(at + marker.length)).slice(0, 100);
}

/** The four partsupp rows of one part. */
export function partSuppRows(rng: Rng, ctx: RowContext, partKey: number, out: TableWriter): void {
  for (let i = 0; i < 4; i++) {
    out.int(partKey);
    out.bar();
    out.int(partSupplier(partKey, i, ctx.scale.suppliers));
    out.bar();
    out.int(rng.int(1, 9999));
    out.bar();
    out.money(rng.int(100, 100_000));
    out.bar();
    ctx.text.writeText(rng, 49, 198, out);
    out.endRow();
  }
}

export function customerRow(rng: Rng, ctx: RowContext, key: number): string {
  const nation = rng.int(0, 24);
  return ctx.end(
    `${key}|Customer#${pad9(key)}|${vString(rng, 10, 40)}|${nation}|${phone(rng, nation)}|${money(rng.int(-99_999, 999_999))}|` +
      `${rng.pick(v.segments)}|${ctx.text.text(rng, 29, 116)}`,
  );
}

/**
 * One order and its 1-7 line items; status and total price follow from the lines, so the order row
 * is written after them. Returns the number of lines.
 */
export function orderRows(rng: Rng, ctx: RowContext, orderIndex1: number, orders: TableWriter, lineitem: TableWriter): number {
  const { scale } = ctx;
  const key = orderKey(orderIndex1);
  const customer = orderCustomerKey(rng.int(1, scale.customers), scale.customers);
  const orderDay = rng.int(0, lastOrderDay);
  const lineCount = rng.int(1, 7);
  let totalCents = 0;
  let shipped = 0;
  for (let line = 1; line <= lineCount; line++) {
    const part = rng.int(1, scale.parts);
    const supplier = partSupplier(part, rng.int(0, 3), scale.suppliers);
    const quantity = rng.int(1, 50);
    const priceCents = quantity * retailPriceCents(part);
    const discount = rng.int(0, 10);
    const tax = rng.int(0, 8);
    const shipDay = orderDay + rng.int(1, 121);
    const commitDay = orderDay + rng.int(30, 90);
    const receiptDay = shipDay + rng.int(1, 30);
    const returnFlag = receiptDay <= currentDay ? (rng.int(0, 1) === 0 ? 0x52 /* R */ : 0x41 /* A */) : 0x4e /* N */;
    const isShipped = shipDay <= currentDay;
    if (isShipped) shipped++;
    // Integer cents, truncating at each step, so the total is exact and reproducible.
    totalCents += Math.floor((Math.floor((priceCents * (100 - discount)) / 100) * (100 + tax)) / 100);
    writeLine(lineitem, key, part, supplier, line, quantity, priceCents, discount, tax);
    lineitem.bar();
    lineitem.char(returnFlag);
    lineitem.bar();
    lineitem.char(isShipped ? 0x46 /* F */ : 0x4f /* O */);
    for (const day of [shipDay, commitDay, receiptDay]) {
      lineitem.bar();
      writeDate(lineitem, day);
    }
    lineitem.bar();
    lineitem.ascii(rng.pick(v.shipInstructions));
    lineitem.bar();
    lineitem.ascii(rng.pick(v.shipModes));
    lineitem.bar();
    ctx.text.writeText(rng, 10, 43, lineitem);
    lineitem.endRow();
  }
  const status = shipped === lineCount ? 'F' : shipped === 0 ? 'O' : 'P';
  orders.int(key);
  orders.bar();
  orders.int(customer);
  orders.ascii(`|${status}|`);
  orders.money(totalCents);
  orders.ascii(`|${dates[orderDay]}|${rng.pick(v.priorities)}|Clerk#${pad9(rng.int(1, scale.clerks))}|0|`);
  ctx.text.writeText(rng, 19, 78, orders);
  orders.endRow();
  return lineCount;
}

/** The numeric head of a lineitem row, up to the tax. */
function writeLine(out: TableWriter, key: number, part: number, supplier: number, line: number, quantity: number, priceCents: number, discount: number, tax: number): void {
  out.int(key);
  out.bar();
  out.int(part);
  out.bar();
  out.int(supplier);
  out.bar();
  out.int(line);
  out.bar();
  out.int(quantity);
  out.bar();
  out.money(priceCents);
  out.bar();
  out.hundredths(discount);
  out.bar();
  out.hundredths(tax);
}
