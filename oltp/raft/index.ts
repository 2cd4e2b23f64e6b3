// Public surface of the Raft core for the rest of duetdb (commit path, transport, CDC, tests).

export { RaftNode, type Ready, type RaftNodeOptions, type RaftStatus } from './node.ts';
export type { RaftOptions } from './raft.ts';
export { MemoryStorage, bootstrapSnapshot, type Storage, type InitialState } from './storage.ts';
export { LevelStorage, type PersistRequest } from './level-storage.ts';
export { SeededRandom, type RandomSource } from './rand.ts';
export { makeConfig, changeConfig, encodeConfig, decodeConfig } from './config.ts';
export { RaftAssertionError } from './assert.ts';
export * from './types.ts';
