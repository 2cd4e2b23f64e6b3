// `duet cluster --dir DIR [--learner]`: starts a local 3-voter cluster (three `duet node` child processes on
// loopback), with --learner a fourth process as the columnar learner member; prints each node's SQL address and
// stops them all on SIGINT/SIGTERM.

import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const USAGE = `usage: duet cluster --dir DIR [--base-port N] [--sql-base-port M] [--learner]
  starts nodes 1..3 with data in DIR/n1..n3, Raft on 127.0.0.1:N+1..N+3 (default N=7000),
  SQL on 127.0.0.1:5432+1..5432+3 (use --sql-base-port M for M+1..M+3)
  --learner  also node 4 (Raft N+4, SQL M+4) as a columnar learner member (duet node --learner) serving the
             voters' column-path reads on 127.0.0.1:N+14; the voters then run without their own learners`;

export async function clusterMain(argv: readonly string[]): Promise<number> {
  let dir: string | undefined;
  let basePort = 7000;
  let sqlBasePort = 5432;
  let learner = false;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === '--help' || flag === '-h') {
      console.log(USAGE);
      return 0;
    }
    if (flag === '--learner') {
      learner = true;
      continue;
    }
    const value = argv[++i];
    if (value === undefined) {
      console.error(`duet cluster: ${flag} needs a value\n${USAGE}`);
      return 2;
    }
    if (flag === '--dir') dir = value;
    else if (flag === '--base-port') basePort = Number(value);
    else if (flag === '--sql-base-port') sqlBasePort = Number(value);
    else {
      console.error(`duet cluster: unknown option ${flag}\n${USAGE}`);
      return 2;
    }
  }
  if (dir === undefined) {
    console.error(`duet cluster: --dir is required\n${USAGE}`);
    return 2;
  }
  const bin = fileURLToPath(new URL('../../bin/duet.js', import.meta.url));
  const peers = [1, 2, 3].map((id) => `${id}=127.0.0.1:${basePort + id}`).join(',');
  const children: ChildProcess[] = [];
  for (const id of learner ? [1, 2, 3, 4] : [1, 2, 3]) {
    // Node 4 joins as the learner member (a first start, or a restart: --join is ignored once it is a member).
    const relay = `127.0.0.1:${basePort + 14}`;
    const role = id === 4 ? ['--learner', '--serve-reads', relay] : learner ? ['--read-learner', relay] : [];
    const args = [bin, 'node', '--id', String(id), '--db', join(dir, `n${id}`), '--listen', `127.0.0.1:${basePort + id}`, '--sql', `127.0.0.1:${sqlBasePort + id}`, '--peers', peers, ...role];
    children.push(spawn(process.execPath, args, { stdio: 'inherit' }));
    console.error(`node ${id}${id === 4 ? ' (columnar learner)' : ''}: psql -h 127.0.0.1 -p ${sqlBasePort + id}   (or: duet --connect 127.0.0.1:${sqlBasePort + id})`);
  }
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  for (const c of children) c.kill('SIGTERM');
  await Promise.all(children.map((c) => new Promise((resolve) => (c.exitCode !== null ? resolve(null) : c.once('exit', resolve)))));
  return 0;
}
