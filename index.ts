// duetdb's public library API: `import { Database } from 'duetdb'`.
export { DuetError, SqlState } from './oltp/errors.ts';
export { Types, typeName } from './oltp/types.ts';
export type { SqlType, Value, Row } from './oltp/types.ts';
export type { Isolation } from './oltp/api.ts';
export { Database } from './query/database.ts';
export type { Session, QueryResult } from './query/database.ts';
