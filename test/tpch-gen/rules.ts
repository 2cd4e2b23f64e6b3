// The TPC-H specification's rules that tie columns together (spec 4.2.3), checked on a folder of
// .tbl files. Run on the official dbgen data too, which shows the rules are read the right way.
import { join } from 'node:path';
import { dayOf, readTbl } from './tbl.ts';

const currentDay = dayOf('1995-06-17');
const colorWords = new Set(
  ('almond antique aquamarine azure beige bisque black blanched blue blush brown burlywood burnished chartreuse chiffon ' +
    'chocolate coral cornflower cornsilk cream cyan dark deep dim dodger drab firebrick floral forest frosted gainsboro ' +
    'ghost goldenrod green grey honeydew hot indian ivory khaki lace lavender lawn lemon light lime linen magenta maroon ' +
    'medium metallic midnight mint misty moccasin navajo navy olive orange orchid pale papaya peach peru pink plum powder ' +
    'puff purple red rose rosy royal saddle salmon sandy seashell sienna sky slate smoke snow spring steel tan thistle ' +
    'tomato turquoise violet wheat white yellow').split(' '),
);
const cents = (text: string): number => Math.round(Number(text) * 100);

/** Every violated rule, with the offending row (at most `violationsMax`). */
export function checkRules(dir: string, violationsMax = 20): string[] {
  const problems: string[] = [];
  const fail = (message: string): void => {
    if (problems.length < violationsMax) problems.push(message);
  };
  const part = readTbl(join(dir, 'part.tbl'), 9);
  const supplier = readTbl(join(dir, 'supplier.tbl'), 7);
  const partsupp = readTbl(join(dir, 'partsupp.tbl'), 5);
  const customer = readTbl(join(dir, 'customer.tbl'), 8);
  const orders = readTbl(join(dir, 'orders.tbl'), 9);
  const lineitem = readTbl(join(dir, 'lineitem.tbl'), 16);
  const suppliers = supplier.length;

  for (const [key, name, mfgr, brand, , , , price] of part as string[][] as [string, string, string, string, string, string, string, string][]) {
    const k = Number(key);
    const expectedCents = 90_000 + (Math.floor(k / 10) % 20_001) + 100 * (k % 1000);
    if (cents(price) !== expectedCents) fail(`part ${key}: p_retailprice ${price}`);
    const words = name.split(' ');
    if (words.length !== 5 || new Set(words).size !== 5 || !words.every((w) => colorWords.has(w))) fail(`part ${key}: p_name "${name}"`);
    if (brand.slice(6, 7) !== mfgr.slice(13)) fail(`part ${key}: ${brand} not of ${mfgr}`);
  }

  const supplyPairs = new Set<string>();
  const suppliersOfPart = new Map<number, number[]>();
  for (const [partKey, suppKey] of partsupp) {
    supplyPairs.add(`${partKey}|${suppKey}`);
    const list = suppliersOfPart.get(Number(partKey)) ?? [];
    list.push(Number(suppKey));
    suppliersOfPart.set(Number(partKey), list);
  }
  for (const [p, list] of suppliersOfPart) {
    const expected = [0, 1, 2, 3].map((i) => ((p + i * (Math.floor(suppliers / 4) + Math.floor((p - 1) / suppliers))) % suppliers) + 1);
    if (list.join() !== expected.join()) fail(`partsupp of part ${p}: suppliers ${list.join()} (expected ${expected.join()})`);
  }

  for (const [table, rows, nationAt, phoneAt] of [['customer', customer, 3, 4], ['supplier', supplier, 3, 4]] as const) {
    for (const row of rows) {
      if (!/^\d\d-\d{3}-\d{3}-\d{4}$/.test(row[phoneAt]!) || Number(row[phoneAt]!.slice(0, 2)) !== Number(row[nationAt]) + 10) {
        fail(`${table} ${row[0]}: phone ${row[phoneAt]} for nation ${row[nationAt]}`);
      }
    }
  }

  const linesOf = new Map<string, string[][]>();
  for (const line of lineitem) {
    const list = linesOf.get(line[0]!) ?? [];
    list.push(line);
    linesOf.set(line[0]!, list);
  }
  for (const order of orders) {
    const [key, custKey, status, total, orderDate] = order as [string, string, string, string, string];
    if (Number(custKey) % 3 === 0) fail(`order ${key}: customer ${custKey} is divisible by 3`);
    const lines = linesOf.get(key) ?? [];
    if (lines.length < 1 || lines.length > 7) fail(`order ${key}: ${lines.length} lines`);
    let totalCents = 0;
    let open = 0;
    lines.forEach((line, i) => {
      checkLine(line, i + 1, dayOf(orderDate), supplyPairs, fail);
      totalCents += cents(line[5]!) * (1 - Number(line[6])) * (1 + Number(line[7]));
      if (line[9] === 'O') open++;
    });
    const expectedStatus = open === lines.length ? 'O' : open === 0 ? 'F' : 'P';
    if (status !== expectedStatus) fail(`order ${key}: status ${status}, lines say ${expectedStatus}`);
    // dbgen truncates to cents twice per line (after discount, after tax): up to 2 cents per line.
    if (Math.abs(cents(total) - totalCents) > 2 * lines.length) fail(`order ${key}: total ${total}, lines sum to ${(totalCents / 100).toFixed(2)}`);
  }
  return problems;
}

function checkLine(line: string[], lineNumber: number, orderDay: number, supplyPairs: Set<string>, fail: (m: string) => void): void {
  const [orderKey, partKey, suppKey, number, quantity, price, , , returnFlag, lineStatus, ship, commit, receipt] = line as [
    string, string, string, string, string, string, string, string, string, string, string, string, string,
  ];
  const where = `lineitem ${orderKey}/${number}`;
  if (Number(number) !== lineNumber) fail(`${where}: line number out of sequence`);
  if (!supplyPairs.has(`${partKey}|${suppKey}`)) fail(`${where}: (${partKey}, ${suppKey}) is not in partsupp`);
  const k = Number(partKey);
  const retailCents = 90_000 + (Math.floor(k / 10) % 20_001) + 100 * (k % 1000);
  if (cents(price) !== Number(quantity) * retailCents) fail(`${where}: extendedprice ${price} != ${quantity} * retail price`);
  const shipDays = dayOf(ship) - orderDay;
  const commitDays = dayOf(commit) - orderDay;
  const receiptDays = dayOf(receipt) - dayOf(ship);
  if (shipDays < 1 || shipDays > 121 || commitDays < 30 || commitDays > 90 || receiptDays < 1 || receiptDays > 30) {
    fail(`${where}: dates ship +${shipDays}, commit +${commitDays}, receipt +${receiptDays} days`);
  }
  if (lineStatus !== (dayOf(ship) > currentDay ? 'O' : 'F')) fail(`${where}: linestatus ${lineStatus} with shipdate ${ship}`);
  const returned = dayOf(receipt) <= currentDay;
  if (returned ? returnFlag !== 'R' && returnFlag !== 'A' : returnFlag !== 'N') fail(`${where}: returnflag ${returnFlag} with receiptdate ${receipt}`);
}
