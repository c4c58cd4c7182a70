/**
 * Turns ldapts, socket and TLS failures into DirectoryErrors with clear, password-free messages, and
 * decides here, once, whether a failure is the directory's (gone, not answering: `unavailable`) or only
 * this operation's (already exists, no such entry, constraint…).
 */
import { ResultCodeError } from 'ldapts';
import { DirectoryError, type DirectoryErrorKind } from './errors.js';

export type DirectoryOperation =
  'connect' | 'starttls' | 'bind' | 'search' | 'add' | 'modify' | 'delete' | 'rename' | 'password-modify';

export interface ErrorContext {
  operation: DirectoryOperation;
  url: string;
  /** Entry the operation is about: bind DN, search base or written entry. */
  dn?: string;
  timeoutMs: number;
}

/** LDAP result codes (RFC 4511, RFC 4528's 122) as the kinds callers decide on. */
const RESULT_KINDS: ReadonlyMap<number, DirectoryErrorKind> = new Map([
  [3, 'timeout'],
  [12, 'control-unsupported'],
  [16, 'no-such-attribute'],
  [17, 'schema-violation'],
  [19, 'constraint'],
  [20, 'value-exists'],
  // slapd's answer to an objectClass value the schema does not define.
  [21, 'schema-violation'],
  [32, 'no-such-object'],
  [49, 'invalid-credentials'],
  [50, 'insufficient-access'],
  [53, 'unwilling'],
  [65, 'schema-violation'],
  [68, 'already-exists'],
  [122, 'assertion-failed'],
]);

/** Result codes by which a server says it cannot serve anything right now (52: unavailable, e.g. shutting down). */
const UNAVAILABLE_RESULTS: ReadonlySet<number> = new Set([52]);

const RESULT_REASONS: ReadonlyMap<number, string> = new Map([
  [19, 'constraint violation'],
  [32, 'no such entry'],
  [49, 'invalid credentials'],
  [50, 'insufficient access rights'],
  [68, 'entry already exists'],
]);

const SOCKET_REASONS: ReadonlyMap<string, string> = new Map([
  ['ECONNREFUSED', 'connection refused'],
  ['ECONNRESET', 'connection reset'],
  ['ENOTFOUND', 'host not found'],
  ['EAI_AGAIN', 'host name lookup failed'],
  ['EHOSTUNREACH', 'host unreachable'],
  ['ENETUNREACH', 'network unreachable'],
  ['EPIPE', 'connection closed'],
  ['ETIMEDOUT', 'connection timed out'],
]);

/** OpenSSL / Node codes that mean "the server's certificate could not be verified". */
const CERTIFICATE_CODE = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|HOSTNAME_MISMATCH/;

function errorCode(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const code = (error as NodeJS.ErrnoException).code;
  if (typeof code === 'string') return code;
  // Connecting to a name with several addresses fails with an AggregateError of the attempts.
  if (error instanceof AggregateError) return errorCode(error.errors[0]);
  return undefined;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** What the operation was, for messages: `add uid=x,ou=people,dc=example,dc=org`. */
function subject(context: ErrorContext): string {
  const dn = context.dn ?? '';
  switch (context.operation) {
    case 'connect':
      return `connect to ${context.url}`;
    case 'starttls':
      return `StartTLS with ${context.url}`;
    case 'bind':
      return `bind as ${dn}`;
    case 'search':
      return `search under ${dn}`;
    case 'password-modify':
      return `password change for ${dn}`;
    default:
      return `${context.operation} ${dn}`;
  }
}

/** `ObjectClassViolationError` → `object class violation`. */
function reasonFromErrorName(name: string): string {
  return name
    .replace(/Error$/, '')
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase();
}

/** The server's diagnostic text, without the result code suffix ldapts appends. */
function diagnostic(error: ResultCodeError): string {
  return error.message.replace(/\s*Code: 0x[0-9a-f]+$/i, '').trim();
}

function fromResultCode(error: ResultCodeError, context: ErrorContext): DirectoryError {
  const kind = RESULT_KINDS.get(error.code) ?? 'other';
  const details = {
    cause: error,
    operation: context.operation,
    dn: context.dn,
    resultCode: error.code,
    unavailable: UNAVAILABLE_RESULTS.has(error.code),
  };
  const dn = context.dn ?? '';
  if (kind === 'invalid-credentials') {
    return new DirectoryError(kind, `invalid credentials for ${dn}`, details);
  }
  if (kind === 'no-such-object' && (context.operation === 'search' || context.operation === 'bind')) {
    return new DirectoryError(kind, `no such entry: ${dn}`, details);
  }
  if (kind === 'timeout') {
    return new DirectoryError(kind, `${subject(context)} exceeded the server's time limit`, details);
  }
  const reason = RESULT_REASONS.get(error.code) ?? reasonFromErrorName(error.name);
  const serverText = diagnostic(error);
  const suffix = serverText && serverText.toLowerCase() !== reason ? ` (${serverText})` : '';
  return new DirectoryError(kind, `${subject(context)} failed: ${reason}${suffix}`, details);
}

/** Converts any failure of an LDAP operation into a DirectoryError (returned as is if it already is one). */
export function toDirectoryError(error: unknown, context: ErrorContext): DirectoryError {
  if (error instanceof DirectoryError) return error;
  if (error instanceof ResultCodeError) return fromResultCode(error, context);

  const details = { cause: error, operation: context.operation, dn: context.dn };
  const code = errorCode(error);
  const text = errorText(error);

  if (code !== undefined && CERTIFICATE_CODE.test(code)) {
    return new DirectoryError(
      'tls',
      `TLS certificate verification failed for ${context.url}: ${text} ` +
        '(set ldap.tls.ca_file, or ldap.tls.reject_unauthorized: false)',
      details,
    );
  }
  if (code !== undefined && /^ERR_(SSL|TLS)_/.test(code)) {
    return new DirectoryError('tls', `TLS handshake with ${context.url} failed: ${text}`, details);
  }
  // From here on the server did not answer at all: no socket, no reply in time, connection dropped.
  const gone = { ...details, unavailable: true };
  if (code === 'ETIMEDOUT' || /timed? ?out/i.test(text)) {
    return new DirectoryError(
      'timeout',
      `LDAP server ${context.url} did not answer within ${context.timeoutMs} ms (${subject(context)})`,
      gone,
    );
  }
  const socketReason = code === undefined ? undefined : SOCKET_REASONS.get(code);
  if (socketReason !== undefined) {
    return new DirectoryError(
      'unreachable',
      `cannot reach LDAP server ${context.url}: ${socketReason}`,
      gone,
    );
  }
  if (/connection closed|socket error|socket connection not established/i.test(text)) {
    return new DirectoryError(
      'unreachable',
      `lost the connection to LDAP server ${context.url} during ${subject(context)}`,
      gone,
    );
  }
  return new DirectoryError('other', `${subject(context)} failed: ${text}`, details);
}

/**
 * The DirectoryError that says the directory is gone or hung, when `error` is one or was caused by one
 * (hooks and `UserImport` subclasses may wrap what the directory threw); undefined for any other failure.
 */
export function unavailableCause(error: unknown): DirectoryError | undefined {
  const seen = new Set<unknown>();
  for (
    let current: unknown = error;
    current instanceof Error && !seen.has(current);
    current = current.cause
  ) {
    seen.add(current);
    if (current instanceof DirectoryError) return current.unavailable ? current : undefined;
  }
  return undefined;
}
