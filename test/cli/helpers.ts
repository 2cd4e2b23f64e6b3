// Spawning `node bin/duet.js` for the CLI tests: one-shot runs, and an expect-style session on a
// pseudo-terminal (util-linux `script`) for the REPL.

import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const DUET_BIN = fileURLToPath(new URL('../../bin/duet.js', import.meta.url));

export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'duet-cli-'));
}

/** Runs `duet args...` in `cwd` to completion, feeding `input` on standard input. */
export function runDuet(args: readonly string[], options: { cwd: string; input?: string; env?: Record<string, string> }): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [DUET_BIN, ...args], { cwd: options.cwd, env: { ...process.env, ...options.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

export const hasScript = spawnSync('script', ['--version']).status === 0;

/** The REPL on a pseudo-terminal: send keys, wait for output to match. */
export class PtySession {
  private output = '';
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly exited: Promise<number | null>;

  constructor(args: readonly string[], cwd: string, env: Record<string, string>) {
    const command = [process.execPath, DUET_BIN, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    this.child = spawn('script', ['-qfec', command, '/dev/null'], { cwd, env: { ...process.env, ...env, TERM: 'xterm' } });
    this.child.stdout.on('data', (d: Buffer) => (this.output += d.toString()));
    this.child.stderr.on('data', (d: Buffer) => (this.output += d.toString()));
    this.exited = new Promise((resolve) => this.child.on('close', resolve));
  }

  /** Everything printed so far, with terminal control sequences and carriage returns removed. */
  get text(): string {
    // eslint-disable-next-line no-control-regex
    return this.output.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '');
  }

  send(keys: string): void {
    this.child.stdin.write(keys);
  }

  /** Waits until the output after `from` characters matches; returns the length to continue from. */
  async waitFor(pattern: RegExp, from = 0, timeoutMs = 15_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const text = this.text;
      const m = pattern.exec(text.slice(from));
      if (m) return from + m.index + m[0].length;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}; output so far:\n${text}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  exit(): Promise<number | null> {
    return this.exited;
  }

  kill(): void {
    this.child.kill();
  }
}
