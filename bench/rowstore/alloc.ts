// Heap bytes allocated per operation, by allocating function: V8's sampling heap profiler with the objects that
// minor and major GCs collected kept in the profile. Unlike CPU time it does not move with the machine's load,
// and every byte allocated is work for the scavenger (profile.ts --alloc uses it).
import { Session } from 'node:inspector/promises';

interface AllocNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: AllocNode[];
}
interface AllocProfile {
  head: AllocNode;
  samples: { size: number; nodeId: number }[];
}

export interface AllocReport {
  /** All sampled bytes allocated between start and stop. */
  readonly totalBytes: number;
  /** Bytes allocated by each function itself (name file:line), most first. */
  readonly byFunction: readonly { readonly fn: string; readonly bytes: number }[];
}

/** Starts sampling; the returned function stops it and reports the allocations in between. */
export async function startAllocSampling(samplingIntervalBytes = 512): Promise<() => Promise<AllocReport>> {
  const session = new Session();
  session.connect();
  // The two include flags are in V8's protocol but not in Node 20's typings.
  const params = { samplingInterval: samplingIntervalBytes, includeObjectsCollectedByMinorGC: true, includeObjectsCollectedByMajorGC: true };
  await session.post('HeapProfiler.startSampling', params as { samplingInterval: number });
  return async () => {
    const { profile } = (await session.post('HeapProfiler.stopSampling')) as unknown as { profile: AllocProfile };
    session.disconnect();
    return summarize(profile);
  };
}

function summarize(profile: AllocProfile): AllocReport {
  const names = new Map<number, string>();
  const stack: AllocNode[] = [profile.head];
  while (stack.length > 0) {
    const n = stack.pop()!;
    const cf = n.callFrame;
    names.set(n.id, `${cf.functionName === '' ? '(anonymous)' : cf.functionName} ${cf.url.split('/').slice(-2).join('/')}:${cf.lineNumber + 1}`);
    for (const c of n.children ?? []) stack.push(c);
  }
  const bytes = new Map<string, number>();
  let totalBytes = 0;
  for (const s of profile.samples) {
    const fn = names.get(s.nodeId) ?? '?';
    bytes.set(fn, (bytes.get(fn) ?? 0) + s.size);
    totalBytes += s.size;
  }
  const byFunction = [...bytes].map(([fn, b]) => ({ fn, bytes: b })).sort((a, b) => b.bytes - a.bytes);
  return { totalBytes, byFunction };
}
