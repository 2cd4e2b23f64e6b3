// CPU time of this process's threads by role (Linux /proc): the main thread (the commit path runs there), the
// learner's worker thread (nice 5) and its background threads at nice 10 (the Parquet writer and the parallel
// helper, olap/parallel), told apart by their OS niceness (olap/learner/thread-priority.ts), and the rest
// (LevelDB/libuv pool, V8 platform threads). Robust under load where throughput is not.
import { readdirSync, readFileSync } from 'node:fs';
import { LEARNER_NICE, WRITER_NICE } from '../../olap/learner/thread-priority.ts';

/** Clock ticks per second of /proc's utime/stime (USER_HZ, 100 on Linux). */
const TICKS_PER_S = 100;

export interface ThreadCpu { main: number; learner: number; writer: number; other: number }

/** Fields after the parenthesised command name: state is field 3, utime 14, stime 15, nice 19. */
function statFields(tid: string): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined; // the thread ended, or no /proc
  }
}

const cpuUsOf = (f: string[]): number => ((Number(f[11]) + Number(f[12])) * 1e6) / TICKS_PER_S;

/** User + system CPU of the main thread in microseconds (10 ms resolution); NaN where /proc is missing. */
export function mainThreadCpuUs(): number {
  const f = statFields(String(process.pid));
  return f ? cpuUsOf(f) : NaN;
}

/**
 * CPU microseconds per thread, summed by role (threads that ended are not counted: take the learner's figures
 * while it runs). The learner's threads run at LEARNER_NICE / WRITER_NICE, everything else of ours at 0.
 */
export function threadCpuUs(): ThreadCpu {
  const out: ThreadCpu = { main: 0, learner: 0, writer: 0, other: 0 };
  let tids: string[] = [];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return { main: NaN, learner: NaN, writer: NaN, other: NaN };
  }
  for (const tid of tids) {
    const f = statFields(tid);
    if (!f) continue;
    const us = cpuUsOf(f);
    const nice = Number(f[16]);
    if (tid === String(process.pid)) out.main += us;
    else if (nice === LEARNER_NICE) out.learner += us;
    else if (nice === WRITER_NICE) out.writer += us;
    else out.other += us;
  }
  return out;
}
