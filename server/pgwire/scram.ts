// SCRAM-SHA-256 (RFC 5802 / RFC 7677) server side, as PostgreSQL speaks it, on node:crypto.
// The server keeps only the derived StoredKey and ServerKey, never compares the password itself.

import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

export interface ScramSecret {
  readonly salt: Buffer;
  readonly iterations: number;
  readonly storedKey: Buffer;
  readonly serverKey: Buffer;
}

const hmac = (key: Buffer, text: string): Buffer => createHmac('sha256', key).update(text).digest();
const sha256 = (b: Buffer): Buffer => createHash('sha256').update(b).digest();

/** Derives the verifier once at server start (PBKDF2 is slow on purpose; not per connection). */
export function makeScramSecret(password: string, iterations = 4096, salt = randomBytes(16)): ScramSecret {
  const salted = pbkdf2Sync(password.normalize('NFKC'), salt, iterations, 32, 'sha256');
  return {
    salt,
    iterations,
    storedKey: sha256(hmac(salted, 'Client Key')),
    serverKey: hmac(salted, 'Server Key'),
  };
}

/** One authentication exchange: client-first → server-first → client-final → server-final or failure. */
export class ScramExchange {
  private clientFirstBare = '';
  private serverFirst = '';
  private nonce = '';
  private gs2Header = '';

  constructor(
    private readonly secret: ScramSecret,
    /** Injected so tests can replay the RFC 7677 example; random in production. */
    private readonly serverNonce: () => string = () => randomBytes(18).toString('base64'),
  ) {}

  /** Handles client-first-message; returns server-first-message, or an error text. */
  start(clientFirst: string): { reply: string } | { error: string } {
    const m = /^([ny]|p=[^,]*),([^,]*),(.*)$/.exec(clientFirst);
    if (!m) return { error: 'malformed SCRAM client-first-message' };
    if (m[1]!.startsWith('p=')) return { error: 'SCRAM channel binding is not supported (no SSL)' };
    this.gs2Header = `${m[1]},${m[2]},`;
    this.clientFirstBare = m[3]!;
    const clientNonce = /(?:^|,)r=([^,]+)/.exec(this.clientFirstBare)?.[1];
    if (!clientNonce) return { error: 'SCRAM client-first-message has no nonce' };
    this.nonce = clientNonce + this.serverNonce();
    this.serverFirst = `r=${this.nonce},s=${this.secret.salt.toString('base64')},i=${this.secret.iterations}`;
    return { reply: this.serverFirst };
  }

  /** Handles client-final-message; returns server-final-message when the proof is right. */
  finish(clientFinal: string): { reply: string } | { error: string } {
    const proofAt = clientFinal.lastIndexOf(',p=');
    if (proofAt < 0) return { error: 'malformed SCRAM client-final-message' };
    const withoutProof = clientFinal.slice(0, proofAt);
    const proof = Buffer.from(clientFinal.slice(proofAt + 3), 'base64');
    const channel = /(?:^|,)c=([^,]*)/.exec(withoutProof)?.[1];
    const nonce = /(?:^|,)r=([^,]*)/.exec(withoutProof)?.[1];
    if (channel !== Buffer.from(this.gs2Header).toString('base64')) return { error: 'SCRAM channel binding does not match' };
    if (nonce !== this.nonce) return { error: 'SCRAM nonce does not match' };
    const authMessage = `${this.clientFirstBare},${this.serverFirst},${withoutProof}`;
    const signature = hmac(this.secret.storedKey, authMessage);
    if (proof.length !== signature.length) return { error: 'bad SCRAM proof' };
    const clientKey = Buffer.alloc(proof.length);
    for (let i = 0; i < proof.length; i++) clientKey[i] = proof[i]! ^ signature[i]!;
    if (!timingSafeEqual(sha256(clientKey), this.secret.storedKey)) return { error: 'password authentication failed' };
    return { reply: `v=${hmac(this.secret.serverKey, authMessage).toString('base64')}` };
  }
}
