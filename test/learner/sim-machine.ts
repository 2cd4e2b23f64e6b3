// The columnar learner as the simulator's state machine (SimMachine): applies the commit-log entries carried
// by committed Raft entries, saves to a per-node directory (its "disk", kept across crashes) at random points,
// snapshots as an image of that directory, and checks itself against the row store's history after every
// restore. A hash chain over the Raft entries runs alongside, so the simulator's checker still works.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SeededRandom } from '../../oltp/raft/rand.ts';
import type { Entry } from '../../oltp/raft/types.ts';
import { batchToRows } from '../../olap/exec/batch.ts';
import { Learner } from '../../olap/learner/learner.ts';
import { clearLearnerDir, loadLearner, saveLearner, type PersistCache } from '../../olap/learner/persist.ts';
import { HashChainMachine, type SimMachine } from '../sim/state-machine.ts';
import { stateAt, type ReferenceLog } from './sim-reference.ts';
import { canon } from './workload.ts';

export interface LearnerMachineOptions {
  /** Names the node in failure messages. */
  readonly name: string;
  /** The node's own directory: what it saved survives its crashes. */
  readonly dir: string;
  readonly ref: ReferenceLog;
  readonly random: SeededRandom;
  /** Chance of a compaction and save after applying a commit-log entry. */
  readonly saveRate: number;
  /** Chance of a check against the row store after applying a commit-log entry. */
  readonly checkRate: number;
  readonly deltaRowsMax: number;
  /** Random timestamps compared after every restore (besides the applied one). */
  readonly samplesPerCheck: number;
  /** Counters shared by every machine of a run. */
  readonly stats: LearnerSimStats;
}

export interface LearnerSimStats {
  saves: number;
  snapshots: number;
  restoresFromDir: number;
  restoresFromImage: number;
  restoresEmpty: number;
  /** Restarts that found what a crash in the middle of a save leaves. */
  debrisLeft: number;
  /** Table scans compared with the row store. */
  tablesCompared: number;
}

export function newLearnerSimStats(): LearnerSimStats {
  return { saves: 0, snapshots: 0, restoresFromDir: 0, restoresFromImage: 0, restoresEmpty: 0, debrisLeft: 0, tablesCompared: 0 };
}

/** The snapshot image: the hash chain, the learner's commit-log index, and its saved files. */
interface Image {
  readonly chain: string;
  readonly learnerIndex: number;
  readonly files: readonly (readonly [string, string])[];
}

export class LearnerMachine implements SimMachine {
  private readonly chain = new HashChainMachine();
  learner: Learner;
  private cache: PersistCache = new Map();
  /** A read timestamp held across compactions, so stable blocks and saves keep some history to check. */
  private pinnedTs: number | undefined;
  private started = false;

  constructor(private readonly o: LearnerMachineOptions) {
    this.learner = new Learner({ deltaRowsMax: o.deltaRowsMax });
  }

  get index(): number {
    return this.chain.index;
  }

  get hash(): number {
    return this.chain.hash;
  }

  apply(entry: Entry): void {
    this.chain.apply(entry);
    // Config entries and leaders' no-ops carry no commit-log entry. Re-deliveries (a retried proposal that
    // committed twice, entries replayed after a restart from a newer save) are skipped by the learner.
    if (entry.type !== 'normal' || entry.data.length === 0) return;
    this.learner.applyEntries([entry.data]);
    if (this.o.random.nextFloat() < this.o.saveRate) this.save();
    if (this.o.random.nextFloat() < this.o.checkRate) this.check('while applying');
  }

  snapshot(): Uint8Array {
    this.save();
    this.o.stats.snapshots += 1;
    const files = readdirSync(this.o.dir).sort().map((f) => [f, readFileSync(join(this.o.dir, f)).toString('base64')] as const);
    const image: Image = { chain: new TextDecoder().decode(this.chain.snapshot()), learnerIndex: this.learner.appliedIndex, files };
    return new TextEncoder().encode(JSON.stringify(image));
  }

  /**
   * At a (re)start with the node's stored Raft snapshot, or on InstallSnapshot: the learner continues from
   * whichever is newer, its own last save or the image (Raft re-delivers from the snapshot's index on; what
   * the save holds already is skipped). The image, when used, becomes the node's saved state.
   */
  restore(data: Uint8Array, index: number): void {
    if (!this.started) {
      this.started = true;
      if (this.o.random.nextInt(4) === 0) this.leaveSaveDebris();
    }
    const cache: PersistCache = new Map();
    const image = data.length === 0 ? undefined : (JSON.parse(new TextDecoder().decode(data)) as Image);
    this.chain.restore(image === undefined ? data : new TextEncoder().encode(image.chain), index);
    // Segments are decoded once, from the source chosen by the manifests' applied indexes.
    const useImage = image !== undefined && savedIndex(this.o.dir) < image.learnerIndex;
    if (useImage) {
      clearLearnerDir(this.o.dir);
      mkdirSync(this.o.dir, { recursive: true });
      for (const [file, base64] of image.files) writeFileSync(join(this.o.dir, file), Buffer.from(base64, 'base64'));
    }
    const state = existsSync(this.o.dir) ? loadLearner(this.o.dir, cache) : undefined;
    const source = useImage ? 'image' : state === undefined ? 'empty' : 'dir';
    this.learner = new Learner({ deltaRowsMax: this.o.deltaRowsMax });
    if (state !== undefined) this.learner.restore(state);
    this.cache = cache;
    this.pin(this.learner.appliedTs);
    if (source === 'dir') this.o.stats.restoresFromDir += 1;
    else if (source === 'image') this.o.stats.restoresFromImage += 1;
    else this.o.stats.restoresEmpty += 1;
    this.check(`after restore from ${source}`);
  }

  /** Compares every table at the applied timestamp and at random timestamps the learner can still serve. */
  check(when: string): void {
    const l = this.learner;
    const label = `${this.o.name} ${when}`;
    this.o.stats.tablesCompared += compareLearner(l, this.o.ref, l.appliedTs, true, label);
    const stamps = this.o.ref.stamps.filter((ts) => ts >= l.horizonTs && ts <= l.appliedTs);
    for (let k = 0; k < this.o.samplesPerCheck && stamps.length > 0; k++) {
      const ts = stamps[this.o.random.nextInt(stamps.length)]!;
      this.o.stats.tablesCompared += compareLearner(l, this.o.ref, ts, false, label);
    }
  }

  /**
   * What a crash in the middle of a save leaves (segments are written before the manifest is replaced): a
   * half-written segment no manifest names and a truncated manifest.json.tmp. The restart must ignore both.
   */
  private leaveSaveDebris(): void {
    const manifest = join(this.o.dir, 'manifest.json');
    if (!existsSync(manifest)) return;
    const text = readFileSync(manifest);
    writeFileSync(join(this.o.dir, 'manifest.json.tmp'), text.subarray(0, text.length >> 1));
    const segment = readdirSync(this.o.dir).find((f) => f.endsWith('.parquet'));
    if (segment !== undefined) {
      const bytes = readFileSync(join(this.o.dir, segment));
      writeFileSync(join(this.o.dir, `t1-s0-${1_000_000 + this.o.random.nextInt(1000)}.parquet`), bytes.subarray(0, bytes.length >> 1));
    }
    this.o.stats.debrisLeft += 1;
  }

  private save(): void {
    this.learner.compact();
    // Now and then let the held timestamp move up, so the horizon advances but not always to the present.
    if (this.o.random.nextInt(3) === 0) this.pin(this.learner.appliedTs);
    saveLearner(this.o.dir, this.learner, this.cache);
    this.o.stats.saves += 1;
  }

  private pin(ts: number): void {
    if (this.pinnedTs !== undefined) this.learner.unpin(this.pinnedTs);
    this.pinnedTs = ts;
    this.learner.pin(ts);
  }
}

/** The applied index in a learner directory's manifest; -1 without one. */
function savedIndex(dir: string): number {
  const path = join(dir, 'manifest.json');
  if (!existsSync(path)) return -1;
  return (JSON.parse((JSON.parse(readFileSync(path, 'utf8')) as { body: string }).body) as { appliedIndex: number }).appliedIndex;
}

/**
 * A full scan of every table on the learner at `ts` equals the row store's table at `ts`, row for row. With
 * `full` (ts is the learner's applied timestamp) the sets of tables must be equal too; at older timestamps a
 * table dropped since is gone from the learner (known limit) and a table created since is skipped.
 * Returns how many tables it compared; throws naming the table, the timestamp and a differing row.
 */
export function compareLearner(learner: Learner, ref: ReferenceLog, ts: number, full: boolean, label: string): number {
  const expected = stateAt(ref, ts);
  let compared = 0;
  for (const table of learner.tableList()) {
    const name = table.def.name;
    const want = expected.get(name);
    if (want === undefined || want.id !== table.def.id) {
      if (full) throw new Error(`${label}: table ${name} (id ${table.def.id}) is on the learner at ts ${ts} (index ${learner.appliedIndex}), not in the row store`);
      continue;
    }
    const got = canon(learner.scan(name, ts).flatMap(batchToRows));
    if (got.length !== want.rows.length || got.some((row, i) => row !== want.rows[i])) {
      const missing = want.rows.find((r) => !got.includes(r));
      const extra = got.find((r) => !want.rows.includes(r));
      throw new Error(`${label}: table ${name} at ts ${ts} (learner index ${learner.appliedIndex}, horizon ${learner.horizonTs}): learner ${got.length} rows, row store ${want.rows.length}; missing ${missing ?? '-'}; extra ${extra ?? '-'}`);
    }
    compared++;
  }
  if (full) {
    for (const [name, want] of expected) {
      if (learner.tableByName(name)?.def.id !== want.id) throw new Error(`${label}: table ${name} (id ${want.id}) is in the row store at ts ${ts}, not on the learner (index ${learner.appliedIndex})`);
    }
  }
  return compared;
}
