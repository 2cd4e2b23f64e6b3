// Hand-made register histories with known answers, the log parser, the time budget, and a property
// test comparing the memoized search with a brute-force search over all orders.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkRegisterHistory } from './checker.ts';
import type { Operation, RegisterInput, RegisterOutput } from './history.ts';
import { parseJepsenLog } from './jepsen-log.ts';
import { REJECTED, registerModel } from './model.ts';

let nextClient = 0;
function op(call: number, ret: number, input: RegisterInput, output: RegisterOutput): Operation {
  return { clientId: nextClient++, input, output, call, return: ret };
}
const write = (call: number, ret: number, value: number): Operation => op(call, ret, { kind: 'write', value }, { status: 'ok' });
const read = (call: number, ret: number, value: number | null): Operation => op(call, ret, { kind: 'read' }, { status: 'ok', value });
const cas = (call: number, ret: number, expected: number, next: number, ok: boolean): Operation =>
  op(call, ret, { kind: 'cas', expected, next }, ok ? { status: 'ok' } : { status: 'fail' });
const infoWrite = (call: number, value: number): Operation => op(call, Infinity, { kind: 'write', value }, { status: 'info' });

describe('checkRegisterHistory: hand-made histories', () => {
  it('accepts the empty history and a sequential one', () => {
    expect(checkRegisterHistory([]).linearizable).toBe(true);
    expect(checkRegisterHistory([read(0, 1, null), write(2, 3, 1), read(4, 5, 1), cas(6, 7, 1, 2, true), read(8, 9, 2)]).linearizable).toBe(true);
  });

  it('accepts a read that overlaps a write seeing either value', () => {
    expect(checkRegisterHistory([write(0, 10, 1), read(1, 2, 1)]).linearizable).toBe(true);
    expect(checkRegisterHistory([write(0, 10, 1), read(1, 2, null)]).linearizable).toBe(true);
  });

  it('rejects a stale read after the write returned, and explains why', () => {
    const history = [write(0, 1, 1), read(2, 3, null)];
    const result = checkRegisterHistory(history);
    expect(result.linearizable).toBe(false);
    if (result.linearizable !== false) return;
    expect(result.longestPrefix).toEqual([0]);
    expect(result.blockedOp).toBe(1);
    expect(result.explanation).toContain('read -> ok nil');
  });

  it('rejects two reads that see the values of concurrent writes in opposite orders', () => {
    // Both writes overlap both reads, but client A sees 1 then 2 while client B sees 2 then 1.
    const history = [write(0, 10, 1), write(0, 10, 2), read(1, 2, 1), read(3, 4, 2), read(1, 2, 2), read(3, 4, 1)];
    expect(checkRegisterHistory(history).linearizable).toBe(false);
  });

  it('treats a failed cas as a compare that did not match', () => {
    expect(checkRegisterHistory([write(0, 1, 3), cas(2, 3, 4, 9, false), read(4, 5, 3)]).linearizable).toBe(true);
    // The register held 3, so a cas expecting 3 cannot fail.
    expect(checkRegisterHistory([write(0, 1, 3), cas(2, 3, 3, 9, false)]).linearizable).toBe(false);
  });

  it('lets an :info write take effect late, or never', () => {
    // Takes effect long after its call, after another write returned.
    expect(checkRegisterHistory([infoWrite(0, 7), write(1, 2, 1), read(3, 4, 1), read(5, 6, 7)]).linearizable).toBe(true);
    // Never takes effect.
    expect(checkRegisterHistory([infoWrite(0, 7), read(3, 4, null)]).linearizable).toBe(true);
    // But it cannot take effect before it was called.
    expect(checkRegisterHistory([read(0, 1, 7), infoWrite(2, 7)]).linearizable).toBe(false);
    // And once seen, a later read cannot see the value it replaced (it happens once).
    expect(checkRegisterHistory([write(0, 1, 1), infoWrite(2, 7), read(3, 4, 7), read(5, 6, 1)]).linearizable).toBe(false);
  });

  it('ignores the return time given for an :info operation', () => {
    const early = op(0, 1, { kind: 'write', value: 7 }, { status: 'info' });
    expect(checkRegisterHistory([early, read(2, 3, null), read(4, 5, 7)]).linearizable).toBe(true);
  });

  it('answers unknown, not forever, when the time budget runs out', () => {
    // A clock that jumps 1 s per reading: the budget is spent at the first check.
    let clockMs = 0;
    const now = (): number => (clockMs += 1000);
    const history = Array.from({ length: 40 }, (_, i) => write(0, 100, i)).concat([read(101, 102, 999)]);
    const result = checkRegisterHistory(history, { timeoutMs: 500, now });
    expect(result.linearizable).toBe('unknown');
    if (result.linearizable === 'unknown') expect(result.reason).toContain('timed out');
  });
});

describe('checkRegisterHistory: memory budget', () => {
  it('answers unknown when the memo would exceed its bound', () => {
    // Many concurrent writes and an impossible read: the search must visit many configurations.
    const history = Array.from({ length: 10 }, (_, i) => write(0, 100, i)).concat([read(101, 102, 999)]);
    const result = checkRegisterHistory(history, { cacheEntriesMax: 1000 });
    expect(result.linearizable).toBe('unknown');
    if (result.linearizable === 'unknown') expect(result.reason).toContain('memo exceeded 1000');
    expect(checkRegisterHistory(history).linearizable).toBe(false);
  });
});

describe('parseJepsenLog', () => {
  it('parses invoke/ok/fail/info with tabs or spaces', () => {
    const log = [
      'INFO  jepsen.util - 0\t:invoke\t:write\t3',
      'INFO  jepsen.util - 1   :invoke :cas    [3 4]',
      'INFO  jepsen.util - 0\t:ok\t:write\t3',
      'INFO  jepsen.util - 2\t:invoke\t:read\tnil',
      'INFO  jepsen.util - 1   :fail   :cas    [3 4]',
      'INFO  jepsen.util - 2\t:ok\t:read\t3',
      'INFO  jepsen.util - 3\t:invoke\t:write\t1',
      'INFO  jepsen.util - 3\t:info\t:write\t:timed-out',
    ].join('\n');
    const ops = parseJepsenLog(log);
    expect(ops).toEqual([
      { clientId: 0, input: { kind: 'write', value: 3 }, output: { status: 'ok' }, call: 0, return: 2 },
      { clientId: 1, input: { kind: 'cas', expected: 3, next: 4 }, output: { status: 'fail' }, call: 1, return: 4 },
      { clientId: 2, input: { kind: 'read' }, output: { status: 'ok', value: 3 }, call: 3, return: 5 },
      { clientId: 3, input: { kind: 'write', value: 1 }, output: { status: 'info' }, call: 6, return: Infinity },
    ]);
  });

  it('rejects a completion without an invocation, naming the line', () => {
    expect(() => parseJepsenLog('INFO  jepsen.util - 4\t:ok\t:read\t1')).toThrow(/line 1: process 4/);
  });
});

/** Reference: try every order consistent with real time (only for tiny histories). */
function bruteForce(history: readonly Operation[]): boolean {
  const end = history.map((o) => (o.output.status === 'info' ? Infinity : o.return));
  const used = new Array<boolean>(history.length).fill(false);
  const go = (state: number | string | null, placed: number): boolean => {
    if (placed === history.length) return true;
    for (let i = 0; i < history.length; i++) {
      if (used[i]) continue;
      // i may go next only if no other unplaced operation returned before i was called.
      if (history.some((_, j) => !used[j] && j !== i && end[j]! < history[i]!.call)) continue;
      const after = registerModel.step(state, history[i]!);
      if (after === REJECTED) continue;
      used[i] = true;
      if (go(after, placed + 1)) return true;
      used[i] = false;
    }
    return false;
  };
  return go(null, 0);
}

/** `order` is a legal sequential history that respects real time. */
function expectValidOrder(history: readonly Operation[], order: readonly number[]): void {
  expect([...order].sort((a, b) => a - b)).toEqual(history.map((_, i) => i));
  const end = (index: number): number => (history[index]!.output.status === 'info' ? Infinity : history[index]!.return);
  // Nothing placed later may have returned before an earlier-placed one was called.
  const laterEndMin = new Array<number>(order.length + 1).fill(Infinity);
  for (let position = order.length - 1; position >= 0; position--) laterEndMin[position] = Math.min(laterEndMin[position + 1]!, end(order[position]!));
  let state = registerModel.init();
  order.forEach((index, position) => {
    const after = registerModel.step(state, history[index]!);
    if (after === REJECTED) expect.fail(`operation ${index} is illegal at position ${position}`);
    state = after;
    if (laterEndMin[position + 1]! < history[index]!.call) expect.fail(`operation ${index} placed after one that returned before its call`);
  });
}

/** Random histories from a simulated register, sometimes with one observed value corrupted. */
const arbHistory = fc
  .array(
    fc.record({
      call: fc.integer({ min: 0, max: 20 }),
      lengthTicks: fc.integer({ min: 0, max: 8 }),
      kind: fc.constantFrom('read', 'write', 'cas'),
      a: fc.integer({ min: 0, max: 2 }),
      b: fc.integer({ min: 0, max: 2 }),
      info: fc.boolean(),
      lands: fc.boolean(),
    }),
    { minLength: 1, maxLength: 8 },
  )
  .chain((specs) => fc.tuple(fc.constant(specs), fc.integer({ min: -1, max: specs.length - 1 }), fc.integer({ min: 0, max: 2 })));

function simulate([specs, corruptIndex, corruptValue]: [
  { call: number; lengthTicks: number; kind: string; a: number; b: number; info: boolean; lands: boolean }[],
  number,
  number,
]): Operation[] {
  // Each operation takes effect at a point inside its interval, in that order.
  const points = specs.map((s, i) => ({ i, at: s.call + s.lengthTicks / 2 })).sort((x, y) => x.at - y.at);
  const ops = new Array<Operation>(specs.length);
  let state: number | null = null;
  for (const { i } of points) {
    const s = specs[i]!;
    const info = s.info;
    const span = { clientId: i, call: s.call, return: info ? Infinity : s.call + s.lengthTicks };
    if (s.kind === 'read') {
      const value = i === corruptIndex ? corruptValue : state;
      ops[i] = { ...span, input: { kind: 'read' }, output: info ? { status: 'info' } : { status: 'ok', value } };
    } else if (s.kind === 'write') {
      if (!info || s.lands) state = s.a;
      ops[i] = { ...span, input: { kind: 'write', value: s.a }, output: info ? { status: 'info' } : { status: 'ok' } };
    } else {
      const swapped = state === s.a;
      if (swapped && (!info || s.lands)) state = s.b;
      const okSeen = i === corruptIndex ? !swapped : swapped;
      ops[i] = { ...span, input: { kind: 'cas', expected: s.a, next: s.b }, output: info ? { status: 'info' } : okSeen ? { status: 'ok' } : { status: 'fail' } };
    }
  }
  return ops;
}

describe('checkRegisterHistory against brute force', () => {
  it('agrees on random small histories', () => {
    fc.assert(
      fc.property(arbHistory, (input) => {
        const history = simulate(input);
        const uncorrupted = input[1] === -1;
        const result = checkRegisterHistory(history);
        if (uncorrupted) expect(result.linearizable).toBe(true);
        expect(result.linearizable).toBe(bruteForce(history));
        if (result.linearizable === true) expectValidOrder(history, result.order);
      }),
      { numRuns: 400, seed: 4242 },
    );
  });
});

/** A long history from a seeded simulated register: clients run one operation at a time. */
function longHistory(seed: number, clients: number, total: number, infoShare: number): Operation[] {
  let x = seed;
  const random = (): number => ((x = (Math.imul(x, 1103515245) + 12345) | 0) >>> 0) / 2 ** 32;
  const freeAt = new Array<number>(clients).fill(0);
  const planned = Array.from({ length: total }, (_, i) => {
    const client = i % clients;
    const call = freeAt[client]! + random() * 5;
    const lengthTicks = 1 + random() * 20;
    freeAt[client] = call + lengthTicks;
    const r = random();
    const kind = r < 0.4 ? 'read' : r < 0.7 ? 'write' : 'cas';
    return { client, call, lengthTicks, kind, a: Math.floor(random() * 5), b: Math.floor(random() * 5), info: kind !== 'read' && random() < infoShare, lands: random() < 0.5 };
  });
  return simulate([planned, -1, 0]).map((op, i) => ({ ...op, clientId: planned[i]!.info ? clients + i : planned[i]!.client }));
}

describe('checkRegisterHistory on long histories', () => {
  // Not timed: the budget is generous; what matters is a definite answer (no 'unknown').
  it.each([
    [10, 2000, 0],
    [5, 1000, 0.01],
  ])('decides %i clients x %i operations (%f info) and a corrupted copy', (clients, total, infoShare) => {
    const history = longHistory(99, clients, total, infoShare);
    const verdict = checkRegisterHistory(history, { timeoutMs: 60_000 });
    expect(verdict.linearizable).toBe(true);
    if (verdict.linearizable === true) expectValidOrder(history, verdict.order);
    const readAt = history.findIndex((op, i) => i > total / 2 && op.input.kind === 'read' && op.output.status === 'ok');
    const corrupted = history.map((op, i) => (i === readAt ? { ...op, output: { status: 'ok' as const, value: 42 } } : op));
    const result = checkRegisterHistory(corrupted, { timeoutMs: 60_000 });
    expect(result.linearizable).toBe(false);
    if (result.linearizable === false) expect(result.longestPrefix).not.toContain(readAt);
  });
});

describe('checkRegisterHistory against brute force, arbitrary outputs', () => {
  // Histories with random observed values and outcomes: mostly nonsense, which is the point.
  const arbOp = fc.record({
    call: fc.integer({ min: 0, max: 12 }),
    lengthTicks: fc.integer({ min: 0, max: 6 }),
    kind: fc.constantFrom('read', 'write', 'cas'),
    a: fc.constantFrom(null, 0, 1),
    b: fc.constantFrom(0, 1),
    status: fc.constantFrom('ok', 'ok', 'fail', 'info'),
  });
  it('agrees on random histories', () => {
    fc.assert(
      fc.property(fc.array(arbOp, { minLength: 1, maxLength: 8 }), (specs) => {
        const history = specs.map((s, i): Operation => {
          const span = { clientId: i, call: s.call, return: s.status === 'info' ? Infinity : s.call + s.lengthTicks };
          const info = s.status === 'info';
          if (s.kind === 'read') return { ...span, input: { kind: 'read' }, output: info ? { status: 'info' } : { status: 'ok', value: s.a } };
          if (s.kind === 'write') return { ...span, input: { kind: 'write', value: s.b }, output: info ? { status: 'info' } : { status: 'ok' } };
          return { ...span, input: { kind: 'cas', expected: s.a, next: s.b }, output: { status: s.status as 'ok' | 'fail' | 'info' } };
        });
        const result = checkRegisterHistory(history);
        expect(result.linearizable).toBe(bruteForce(history));
        if (result.linearizable === true) expectValidOrder(history, result.order);
      }),
      { numRuns: 600, seed: 77 },
    );
  });
});
