// What the machine was doing during a benchmark: CPU, RAM, Node, and the load average and this process's
// resident memory (the learner's worker thread included) sampled through the run.
import { cpus, loadavg, totalmem } from 'node:os';

export function machineLine(): string {
  return `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version}; shared with other engineers' work`;
}

export interface Samples { readonly loadMin: number; readonly loadMean: number; readonly loadMax: number; readonly rssMaxBytes: number; readonly count: number }

/** Samples every `intervalMs` until stop(); the timer does not keep the process alive. */
export function startSampler(intervalMs = 5000): { stop(): Samples; current(): Samples } {
  const loads: number[] = [];
  let rssMaxBytes = 0;
  const sample = (): void => {
    loads.push(loadavg()[0]!);
    rssMaxBytes = Math.max(rssMaxBytes, process.memoryUsage.rss());
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  timer.unref();
  const current = (): Samples => ({
    loadMin: Math.min(...loads),
    loadMean: loads.reduce((a, b) => a + b, 0) / loads.length,
    loadMax: Math.max(...loads),
    rssMaxBytes,
    count: loads.length,
  });
  return { stop: () => (clearInterval(timer), sample(), current()), current };
}

export function samplesLine(s: Samples): string {
  return `load average (1 min) min ${s.loadMin.toFixed(1)} / mean ${s.loadMean.toFixed(1)} / max ${s.loadMax.toFixed(1)} over ${s.count} samples; peak resident memory of the benchmark process (duetdb + learner worker + DuckDB) ${(s.rssMaxBytes / 2 ** 30).toFixed(2)} GiB`;
}
