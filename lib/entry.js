// Package entry for `import ... from 'duetdb'`: loads the TypeScript sources through tsx, so a fresh
// clone needs `npm install` and nothing else (no build step to forget, no stale build output).
import { register } from 'tsx/esm/api';

register();
const api = await import('../index.ts');

export const { Database, DuetError, SqlState, Types, typeName } = api;
