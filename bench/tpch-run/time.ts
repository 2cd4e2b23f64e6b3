// Timing one query: a first run, then (if it was fast) more runs whose median is reported; a timeout
// cancels a run that takes too long (reported as "> timeout").

export interface Timing {
  /** Median of the measured runs (or the single run), or the timeout when it timed out. */
  readonly ms: number;
  readonly runs: number;
  readonly timedOut: boolean;
}

export interface TimingOptions {
  /** Extra runs after the first when the first took less than `fastMs` (median of those extra runs). */
  readonly runs: number;
  readonly fastMs: number;
  /** Cancels a run after this long (the run function gets the signal to act on). */
  readonly timeoutMs: number;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Runs `once` (which must stop when `onTimeout` fires) and returns its timing and its last result. */
export async function timeQuery<T>(once: (cancelAfterMs: number) => Promise<T>, o: TimingOptions): Promise<{ timing: Timing; result: T | undefined }> {
  const t0 = performance.now();
  let result: T;
  try {
    result = await once(o.timeoutMs);
  } catch (e) {
    const ms = performance.now() - t0;
    if (ms >= o.timeoutMs * 0.95) return { timing: { ms: o.timeoutMs, runs: 1, timedOut: true }, result: undefined };
    throw e;
  }
  const firstMs = performance.now() - t0;
  if (firstMs >= o.fastMs || o.runs <= 0) return { timing: { ms: firstMs, runs: 1, timedOut: false }, result };
  const times: number[] = [];
  for (let i = 0; i < o.runs; i++) {
    const t = performance.now();
    result = await once(o.timeoutMs);
    times.push(performance.now() - t);
  }
  return { timing: { ms: median(times), runs: o.runs, timedOut: false }, result };
}

export function geomean(xs: readonly number[]): number {
  return Math.exp(xs.reduce((a, x) => a + Math.log(Math.max(x, 1e-6)), 0) / xs.length);
}

export function fmtMs(t: Timing | undefined): string {
  if (!t) return 'n/a';
  return t.timedOut ? `> ${(t.ms / 1000).toFixed(0)} s` : t.ms >= 1000 ? `${(t.ms / 1000).toFixed(2)} s` : `${t.ms.toFixed(1)} ms`;
}
