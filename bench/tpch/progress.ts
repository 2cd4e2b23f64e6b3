// Progress line for long generations: rows done, rate and ETA, at most once per interval, on stderr.

export interface ProgressReporter {
  /** `rows` were just written to `table`; `rowsExpected` is the estimate for the whole run. */
  add(table: string, rows: number): void;
  finish(): void;
}

export function stderrProgress(rowsExpected: number, intervalMs = 1000, now = () => performance.now()): ProgressReporter {
  const startMs = now();
  let lastMs = startMs;
  let done = 0;
  return {
    add(table, rows) {
      done += rows;
      const t = now();
      if (t - lastMs < intervalMs) return;
      lastMs = t;
      const rate = done / ((t - startMs) / 1000);
      const etaS = Math.max(0, (rowsExpected - done) / rate);
      process.stderr.write(
        `\r${table.padEnd(15)} ${fmt(done)} / ~${fmt(rowsExpected)} rows  ${fmt(rate)} rows/s  ETA ${etaS.toFixed(0)} s   `,
      );
    },
    finish() {
      const seconds = (now() - startMs) / 1000;
      process.stderr.write(`\rdone: ${fmt(done)} rows in ${seconds.toFixed(1)} s (${fmt(done / seconds)} rows/s)${' '.repeat(20)}\n`);
    },
  };
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}
