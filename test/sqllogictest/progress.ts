// One progress line for long runs: records done, rate and ETA. Redrawn in place on a terminal;
// printed every few seconds otherwise (CI logs), so it never floods the output.

const TTY_REDRAW_MS = 200;
const LOG_EVERY_MS = 10_000;

export class Progress {
  private done = 0;
  private script = '';
  private readonly startedMs = performance.now();
  private lastDrawMs = 0;
  private drawn = false;
  private readonly tty = process.stderr.isTTY === true;

  constructor(private readonly total: number) {}

  startScript(file: string): void {
    this.script = file;
  }

  tick(): void {
    this.done++;
    const now = performance.now();
    if (now - this.lastDrawMs < (this.tty ? TTY_REDRAW_MS : LOG_EVERY_MS)) return;
    this.lastDrawMs = now;
    const elapsedS = (now - this.startedMs) / 1000;
    const rate = this.done / Math.max(elapsedS, 1e-3);
    const etaS = (this.total - this.done) / Math.max(rate, 1e-3);
    const line = `[${this.script}] ${this.done}/${this.total} records, ${rate.toFixed(0)}/s, ETA ${etaS.toFixed(0)} s`;
    if (this.tty) {
      process.stderr.write(`\r\x1b[K${line}`);
      this.drawn = true;
    } else {
      process.stderr.write(`${line}\n`);
    }
  }

  clear(): void {
    if (this.tty && this.drawn) process.stderr.write('\r\x1b[K');
    this.drawn = false;
  }
}
