// The statement cache: parsed statements by exact SQL text (node-sql-parser costs ~0.3 ms per short
// statement), bounded with least-recently-used eviction. Parsed statements are immutable, so sharing
// them between sessions is safe.

import { assert } from '../oltp/errors.ts';
import type { Statement } from './parse/parse.ts';

export class StatementCache {
  private readonly map = new Map<string, readonly Statement[]>();
  hits = 0;
  misses = 0;

  constructor(private readonly entriesMax: number) {
    assert(entriesMax > 0, 'cache size must be positive');
  }

  statements(sql: string, parse: () => Statement[]): readonly Statement[] {
    const hit = this.map.get(sql);
    if (hit) {
      this.hits++;
      this.map.delete(sql);
      this.map.set(sql, hit);
      return hit;
    }
    this.misses++;
    const parsed = parse();
    this.map.set(sql, parsed);
    if (this.map.size > this.entriesMax) this.map.delete(this.map.keys().next().value!);
    return parsed;
  }
}

/** A map that forgets its least recently used entry beyond `entriesMax`. */
export class LruMap<K, V> {
  private readonly map = new Map<K, V>();
  constructor(private readonly entriesMax: number) {
    assert(entriesMax > 0, 'cache size must be positive');
  }
  get(key: K): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) { this.map.delete(key); this.map.set(key, v); }
    return v;
  }
  has(key: K): boolean { return this.map.has(key); }
  set(key: K, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.entriesMax) this.map.delete(this.map.keys().next().value!);
  }
}
