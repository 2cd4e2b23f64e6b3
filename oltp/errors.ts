// Typed errors for users and operators (bad SQL, constraint violations, serialization failures).
// Programmer errors use assert() and crash; everything a user can cause is a DuetError with a SQLSTATE.

export interface DuetErrorOptions {
  /** 1-based character offset into the SQL text where the problem is (PostgreSQL's `position`). */
  position?: number;
  hint?: string;
  detail?: string;
  cause?: unknown;
}

/** SQLSTATE codes duetdb raises (PostgreSQL's codes, so drivers and users recognise them). */
export const SqlState = {
  syntaxError: '42601',
  undefinedTable: '42P01',
  undefinedColumn: '42703',
  undefinedFunction: '42883',
  undefinedObject: '42704',
  duplicateTable: '42P07',
  duplicateObject: '42710',
  duplicateColumn: '42701',
  ambiguousColumn: '42702',
  datatypeMismatch: '42804',
  groupingError: '42803',
  featureNotSupported: '0A000',
  invalidParameterValue: '22023',
  invalidTextRepresentation: '22P02',
  numericValueOutOfRange: '22003',
  divisionByZero: '22012',
  stringDataRightTruncation: '22001',
  invalidDatetimeFormat: '22007',
  datetimeFieldOverflow: '22008',
  cardinalityViolation: '21000',
  notNullViolation: '23502',
  uniqueViolation: '23505',
  serializationFailure: '40001',
  deadlockDetected: '40P01',
  inFailedTransaction: '25P02',
  activeTransaction: '25001',
  noActiveTransaction: '25P01',
  queryCanceled: '57014',
  dataCorrupted: 'XX001',
  ioError: '58030',
  internalError: 'XX000',
  objectInUse: '55006',
  objectNotInPrerequisiteState: '55000',
  tooManyConnections: '53300',
  programLimitExceeded: '54000',
} as const;

export type SqlStateCode = (typeof SqlState)[keyof typeof SqlState];

export class DuetError extends Error {
  readonly code: string;
  readonly position: number | undefined;
  readonly hint: string | undefined;
  readonly detail: string | undefined;

  constructor(code: string, message: string, options: DuetErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DuetError';
    this.code = code;
    this.position = options.position;
    this.hint = options.hint;
    this.detail = options.detail;
  }

  /** Serialization failures and deadlocks: the transaction can simply be run again. */
  get retryable(): boolean {
    return this.code === SqlState.serializationFailure || this.code === SqlState.deadlockDetected;
  }
}

/** Programmer error: an invariant that must hold. Crashes loudly (never caught as a user error). */
export function assert(condition: unknown, message = 'assertion failed'): asserts condition {
  if (!condition) throw new AssertionError(message);
}

export class AssertionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AssertionError';
  }
}
