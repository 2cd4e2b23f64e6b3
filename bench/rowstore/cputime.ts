// CPU time of the whole process and of its main (JavaScript) thread, in microseconds. CPU time per operation
// stays meaningful on a shared, loaded machine where wall-clock throughput does not.
import { readFileSync } from 'node:fs';

export interface CpuSample {
  /** All threads: the main thread plus libuv's pool (LevelDB writes and fsyncs run there). */
  readonly totalUs: number;
  /** The main thread only (from /proc; undefined where /proc is not available). */
  readonly mainUs: number | undefined;
}

const MAIN_STAT = `/proc/self/task/${process.pid}/stat`;
/** Linux reports thread times in clock ticks of 10 ms (USER_HZ = 100 on every common kernel). */
const TICK_US = 10_000;

function mainThreadUs(): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(MAIN_STAT, 'latin1');
  } catch {
    return undefined;
  }
  // Fields after the command name (which may hold spaces, so split after its closing parenthesis): utime is field 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_US;
}

export function cpuNow(): CpuSample {
  const u = process.cpuUsage();
  return { totalUs: u.user + u.system, mainUs: mainThreadUs() };
}

/** CPU microseconds per operation between two samples. */
export function cpuPerOp(from: CpuSample, to: CpuSample, ops: number): { totalUs: number; mainUs: number | undefined } {
  return {
    totalUs: (to.totalUs - from.totalUs) / ops,
    mainUs: from.mainUs === undefined || to.mainUs === undefined ? undefined : (to.mainUs - from.mainUs) / ops,
  };
}
