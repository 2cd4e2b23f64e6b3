// Parser for Jepsen's register-test logs as kept by Porcupine's etcd test data: one event per line,
// "<prefix> - <process> :invoke|:ok|:fail|:info :read|:write|:cas <value>", tabs or spaces between.
import { DuetError, SqlState } from '../../oltp/errors.ts';
import type { Operation, RegisterInput, RegisterOutput, RegisterValue } from './history.ts';

const lineRe = /^.*?-\s+(\d+)\s+:(invoke|ok|fail|info)\s+:(read|write|cas)\s*(.*?)\s*$/;

/**
 * Turns a log into operations. Time is the line number (Jepsen logs are in real-time order).
 * `:info` operations get `return: Infinity`; a process never continues after `:info` in Jepsen.
 */
export function parseJepsenLog(text: string): Operation[] {
  const ops: Operation[] = [];
  const open = new Map<number, { input: RegisterInput; call: number }>();
  const lines = text.split('\n');
  for (let lineIndex = 0; lineIndex < lines.length; lineIndex++) {
    const line = lines[lineIndex]!.trim();
    if (line === '') continue;
    const match = lineRe.exec(line);
    if (match === null) throw logError(lineIndex, `not a Jepsen register event: ${line}`);
    const [, processText, type, f, valueText] = match as unknown as [string, string, string, 'read' | 'write' | 'cas', string];
    const clientId = Number(processText);
    if (type === 'invoke') {
      if (open.has(clientId)) throw logError(lineIndex, `process ${clientId} invokes twice without completing`);
      open.set(clientId, { input: parseInput(f, valueText, lineIndex), call: lineIndex });
      continue;
    }
    const pending = open.get(clientId);
    if (pending === undefined || pending.input.kind !== f) throw logError(lineIndex, `process ${clientId} completes :${f} it did not invoke`);
    open.delete(clientId);
    // A failed read or write did nothing and tells nothing: leave it out (cas failure is a result).
    if (type === 'fail' && f !== 'cas') continue;
    ops.push({ clientId, input: pending.input, output: parseOutput(type, f, valueText, lineIndex), call: pending.call, return: type === 'info' ? Infinity : lineIndex });
  }
  // Invocations without any completion at the end of the log: outcome unknown.
  for (const [clientId, pending] of open) ops.push({ clientId, input: pending.input, output: { status: 'info' }, call: pending.call, return: Infinity });
  return ops;
}

function parseInput(f: 'read' | 'write' | 'cas', valueText: string, lineIndex: number): RegisterInput {
  if (f === 'read') return { kind: 'read' };
  if (f === 'write') return { kind: 'write', value: parseValue(valueText, lineIndex) };
  const pair = /^\[(\S+)\s+(\S+)\]$/.exec(valueText);
  if (pair === null) throw logError(lineIndex, `cas needs [expected next], got "${valueText}"`);
  return { kind: 'cas', expected: parseValue(pair[1]!, lineIndex), next: parseValue(pair[2]!, lineIndex) };
}

function parseOutput(type: string, f: string, valueText: string, lineIndex: number): RegisterOutput {
  if (type === 'info') return { status: 'info' };
  if (type === 'fail') return { status: 'fail' };
  return f === 'read' ? { status: 'ok', value: parseValue(valueText, lineIndex) } : { status: 'ok' };
}

function parseValue(text: string, lineIndex: number): RegisterValue {
  if (text === 'nil' || text === '') return null;
  const value = Number(text);
  if (!Number.isFinite(value)) throw logError(lineIndex, `unexpected value "${text}"`);
  return value;
}

function logError(lineIndex: number, message: string): DuetError {
  return new DuetError(SqlState.invalidTextRepresentation, `Jepsen log line ${lineIndex + 1}: ${message}`);
}
