// `duet --connect HOST:PORT [-c SQL]...`: a tiny PostgreSQL-protocol client (simple query protocol, trust
// authentication) for talking to a running `duet serve` or cluster node; statements from -c or standard input.

import { connect, type Socket } from 'node:net';
import { createInterface } from 'node:readline';

interface Reply {
  readonly columns: string[];
  readonly rows: (string | null)[][];
  readonly command: string;
  readonly error?: { code: string; message: string; hint?: string };
}

class WireClient {
  private buffer = Buffer.alloc(0);
  private waiter: (() => void) | undefined;
  private closed = false;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.waiter?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.waiter?.();
    });
  }

  static async open(host: string, port: number): Promise<WireClient> {
    const socket = connect({ host, port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const client = new WireClient(socket);
    const params = Buffer.from('user\0duet\0database\0duet\0\0');
    const startup = Buffer.alloc(8);
    startup.writeUInt32BE(8 + params.length, 0);
    startup.writeUInt32BE(196608, 4); // protocol 3.0
    socket.write(Buffer.concat([startup, params]));
    const reply = await client.untilReady();
    if (reply.error) throw new Error(`${reply.error.message} (SQLSTATE ${reply.error.code})`);
    return client;
  }

  async query(sql: string): Promise<Reply> {
    const body = Buffer.from(`${sql}\0`);
    const head = Buffer.alloc(5);
    head[0] = 0x51; // 'Q'
    head.writeUInt32BE(4 + body.length, 1);
    this.socket.write(Buffer.concat([head, body]));
    return this.untilReady();
  }

  close(): void {
    this.socket.end();
  }

  /** Reads messages until ReadyForQuery, collecting the last result (or the error). */
  private async untilReady(): Promise<Reply> {
    let columns: string[] = [];
    let rows: (string | null)[][] = [];
    let command = '';
    let error: Reply['error'];
    for (;;) {
      while (this.buffer.length < 5 || this.buffer.length < 1 + this.buffer.readUInt32BE(1)) {
        if (this.closed) throw new Error('the server closed the connection');
        await new Promise<void>((resolve) => (this.waiter = resolve));
      }
      const type = String.fromCharCode(this.buffer[0]!);
      const length = this.buffer.readUInt32BE(1);
      const body = this.buffer.subarray(5, 1 + length);
      this.buffer = this.buffer.subarray(1 + length);
      if (type === 'R' && body.readUInt32BE(0) !== 0) throw new Error('the server asks for a password: use psql for password authentication');
      if (type === 'T') {
        columns = [];
        rows = [];
        let at = 2;
        for (let i = 0; i < body.readUInt16BE(0); i++) {
          const end = body.indexOf(0, at);
          columns.push(body.toString('utf8', at, end));
          at = end + 1 + 18;
        }
      } else if (type === 'D') {
        const row: (string | null)[] = [];
        let at = 2;
        for (let i = 0; i < body.readUInt16BE(0); i++) {
          const n = body.readInt32BE(at);
          at += 4;
          row.push(n < 0 ? null : body.toString('utf8', at, at + n));
          if (n > 0) at += n;
        }
        rows.push(row);
      } else if (type === 'C') command = body.toString('utf8', 0, body.length - 1);
      else if (type === 'E') {
        const fields = new Map<string, string>();
        let at = 0;
        while (at < body.length && body[at] !== 0) {
          const end = body.indexOf(0, at + 1);
          fields.set(String.fromCharCode(body[at]!), body.toString('utf8', at + 1, end));
          at = end + 1;
        }
        error = { code: fields.get('C') ?? 'XX000', message: fields.get('M') ?? 'error', ...(fields.has('H') ? { hint: fields.get('H')! } : {}) };
      } else if (type === 'Z') return { columns, rows, command, ...(error ? { error } : {}) };
    }
  }
}

function render(reply: Reply): string {
  if (reply.columns.length === 0) return `${reply.command}\n`;
  const cells = [reply.columns, ...reply.rows.map((r) => r.map((v) => v ?? ''))];
  const widths = reply.columns.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]): string => ` ${r.map((v, i) => v.padEnd(widths[i]!)).join(' | ')}`.trimEnd();
  const n = reply.rows.length;
  return [line(reply.columns), widths.map((w) => '-'.repeat(w + 2)).join('+'), ...cells.slice(1).map(line), `(${n} row${n === 1 ? '' : 's'})`, ''].join('\n');
}

/** Exit code 0 when every statement succeeded; 1 at the first error (printed as one line); 2 on bad usage. */
export async function connectMain(argv: readonly string[]): Promise<number> {
  const m = /^([^:]+):(\d+)$/.exec(argv[0] ?? '');
  if (!m) {
    process.stderr.write('usage: duet --connect HOST:PORT [-c SQL]...   (statements from standard input without -c)\n');
    return 2;
  }
  const commands: string[] = [];
  for (let i = 1; i < argv.length; i++) {
    if ((argv[i] === '-c' || argv[i] === '--command') && argv[i + 1] !== undefined) commands.push(argv[++i]!);
    else {
      process.stderr.write(`duet --connect: unknown option ${argv[i]}\n`);
      return 2;
    }
  }
  let client: WireClient;
  try {
    client = await WireClient.open(m[1]!, Number(m[2]));
  } catch (e) {
    process.stderr.write(`duet: could not connect to ${argv[0]}: ${(e as Error).message}\n`);
    return 2;
  }
  try {
    const statements = commands.length > 0 ? commands : await readStdinStatements();
    for (const sql of statements) {
      const reply = await client.query(sql);
      if (reply.error) {
        process.stderr.write(`ERROR:  ${reply.error.message}${reply.error.hint ? `\nHINT:  ${reply.error.hint}` : ''}\n`);
        return 1;
      }
      process.stdout.write(render(reply));
    }
    return 0;
  } finally {
    client.close();
  }
}

/** Standard input split into statements at a `;` ending a line (enough for scripts; psql does the rest). */
async function readStdinStatements(): Promise<string[]> {
  const out: string[] = [];
  let current = '';
  for await (const line of createInterface({ input: process.stdin })) {
    current += `${line}\n`;
    if (line.trimEnd().endsWith(';')) {
      out.push(current.trim());
      current = '';
    }
  }
  if (current.trim() !== '') out.push(current.trim());
  return out;
}
