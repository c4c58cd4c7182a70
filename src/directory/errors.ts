import { RostersyncError } from '../errors.js';

/** What went wrong, coarse enough for callers to decide (retry, report, skip a user). */
export type DirectoryErrorKind =
  | 'unreachable'
  | 'invalid-credentials'
  | 'no-such-object'
  | 'tls'
  | 'timeout'
  | 'already-exists'
  | 'constraint'
  | 'insufficient-access'
  /** A modify deleted a value or attribute the entry does not have. */
  | 'no-such-attribute'
  /** A modify added a value the entry has already. */
  | 'value-exists'
  /** The schema lacks an attribute type or object class the entry names, or the entry breaks its rules. */
  | 'schema-violation'
  | 'unwilling'
  /** An RFC 4528 assertion on the operation did not hold: the entry was not as the writer expected. */
  | 'assertion-failed'
  /** The server does not support a control the operation marked critical. */
  | 'control-unsupported'
  | 'other';

export interface DirectoryErrorDetails {
  /** The original error (ldapts result error, socket or TLS error). */
  cause?: unknown;
  /** The operation that failed: `bind`, `search`, `add`, `modify`, `delete`, `rename`, … */
  operation?: string;
  /** The entry the operation was about. */
  dn?: string;
  /** The LDAP result code, when the server answered. */
  resultCode?: number;
  /** The server is gone or not answering (see `toDirectoryError`); nothing more can be sent this run. */
  unavailable?: boolean;
}

/** Every failure of the directory layer (a run that stops on one exits 1). Messages never contain a password. */
export class DirectoryError extends RostersyncError {
  readonly kind: DirectoryErrorKind;
  readonly operation: string | undefined;
  readonly dn: string | undefined;
  readonly resultCode: number | undefined;
  /**
   * The directory itself failed (connection refused, reset or closed, no answer in time), not this
   * operation: every further operation would fail the same way. Set once, where the error is classified.
   */
  readonly unavailable: boolean;

  constructor(kind: DirectoryErrorKind, message: string, details: DirectoryErrorDetails = {}) {
    super(message, undefined, details.cause === undefined ? undefined : { cause: details.cause });
    this.kind = kind;
    this.operation = details.operation;
    this.dn = details.dn;
    this.resultCode = details.resultCode;
    this.unavailable = details.unavailable ?? false;
  }
}

export function isDirectoryError(error: unknown, kind?: DirectoryErrorKind): error is DirectoryError {
  return error instanceof DirectoryError && (kind === undefined || error.kind === kind);
}
