// CPU time of this process's main thread (Linux /proc), apart from its worker and libuv threads: the commit
// path runs there, so the learner's cost to OLTP shows as main-thread CPU per commit, robust under load.
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's utime/stime (USER_HZ, 100 on Linux). */
const TICKS_PER_S = 100;

/** User + system CPU of the main thread in microseconds (10 ms resolution); NaN where /proc is missing. */
export function mainThreadCpuUs(): number {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    // fields after the parenthesised command name: state is field 3, utime 14 and stime 15
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / TICKS_PER_S;
  } catch {
    return NaN;
  }
}
