// HistoryRecorder turns a run of invocations and outcomes into a history the checker reads.
import { describe, expect, it } from 'vitest';
import { checkRegisterHistory } from './checker.ts';
import { HistoryRecorder } from './recorder.ts';

describe('HistoryRecorder', () => {
  it('records call and return times from the clock, and pending operations as info', () => {
    let clock = 0;
    const recorder = new HistoryRecorder(() => clock);
    const write = recorder.invoke(1, { kind: 'write', value: 5 });
    clock = 2;
    const read = recorder.invoke(2, { kind: 'read' });
    clock = 3;
    recorder.ok(write);
    clock = 4;
    recorder.ok(read, 5);
    recorder.invoke(3, { kind: 'write', value: 6 }); // never completes
    const refused = recorder.invoke(4, { kind: 'write', value: 7 });
    recorder.didNotHappen(refused);
    const cas = recorder.invoke(1, { kind: 'cas', expected: 1, next: 2 });
    clock = 5;
    recorder.casFailed(cas);
    const ops = recorder.operations();
    expect(ops).toEqual([
      { clientId: 1, input: { kind: 'write', value: 5 }, output: { status: 'ok' }, call: 0, return: 3 },
      { clientId: 2, input: { kind: 'read' }, output: { status: 'ok', value: 5 }, call: 2, return: 4 },
      { clientId: 1, input: { kind: 'cas', expected: 1, next: 2 }, output: { status: 'fail' }, call: 4, return: 5 },
      { clientId: 3, input: { kind: 'write', value: 6 }, output: { status: 'info' }, call: 4, return: Infinity },
    ]);
    expect(recorder.operations().some((op) => op.clientId === 4)).toBe(false);
    expect(checkRegisterHistory(ops).linearizable).toBe(true);
  });

  it('refuses to complete an operation twice', () => {
    const recorder = new HistoryRecorder(() => 0);
    const id = recorder.invoke(1, { kind: 'write', value: 1 });
    recorder.info(id);
    expect(() => recorder.ok(id)).toThrow(/not pending/);
  });
});
