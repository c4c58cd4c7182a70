/**
 * Which failures say the directory itself is gone or hung (a run stops on the first one) and which are
 * only about one entry (the run goes on): decided once, where errors are classified.
 */
import {
  AlreadyExistsError,
  ConstraintViolationError,
  InvalidSyntaxError,
  NoSuchAttributeError,
  NoSuchObjectError,
  ObjectClassViolationError,
  TimeLimitExceededError,
  TypeOrValueExistsError,
  UnavailableCriticalExtensionError,
  UnavailableError,
  UndefinedTypeError,
  UnknownStatusCodeError,
  UnwillingToPerformError,
} from 'ldapts';
import { describe, expect, it } from 'vitest';
import { toDirectoryError, unavailableCause } from '../../src/directory/classify.js';

const context = { operation: 'add', url: 'ldap://ldap.example', dn: 'uid=a,dc=x', timeoutMs: 2000 } as const;

function socketError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

describe('directory unavailable', () => {
  it.each([
    ['connection refused', socketError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:389')],
    ['connection reset', socketError('ECONNRESET', 'read ECONNRESET')],
    ['broken pipe', socketError('EPIPE', 'write EPIPE')],
    ['connection closed', new Error('Connection closed before message response was received.')],
    ['socket not connected', new Error('Socket connection not established')],
    ['no answer in time', new Error('AddRequest: Operation timed out')],
    ['connect timeout', new Error('Connection timeout')],
    ['server says unavailable (52)', new UnavailableError('shutting down')],
  ])('%s: the directory is unavailable', (_, cause) => {
    const error = toDirectoryError(cause, context);
    expect(error.unavailable).toBe(true);
    expect(unavailableCause(error)).toBe(error);
  });

  it.each([
    ['already exists', new AlreadyExistsError('exists')],
    ['no such object', new NoSuchObjectError('missing')],
    ['constraint violation', new ConstraintViolationError('bad value')],
    ["the server's own time limit", new TimeLimitExceededError('time limit')],
    ['anything else', new Error('something odd')],
  ])('%s: only this entry failed', (_, cause) => {
    const error = toDirectoryError(cause, context);
    expect(error.unavailable).toBe(false);
    expect(unavailableCause(error)).toBeUndefined();
  });

  it('is found through errors that wrap it (hooks, UserImport subclasses)', () => {
    const gone = toDirectoryError(socketError('ECONNREFUSED', 'refused'), context);
    const wrapped = new Error('postCreate: could not look up the group', {
      cause: new Error('lookup failed', { cause: gone }),
    });
    expect(unavailableCause(wrapped)).toBe(gone);
    const perEntry = toDirectoryError(new AlreadyExistsError('exists'), context);
    expect(unavailableCause(new Error('wrapped', { cause: perEntry }))).toBeUndefined();
    expect(unavailableCause('a string')).toBeUndefined();
  });

  it.each([
    ['no such attribute (16)', new NoSuchAttributeError('gone'), 'no-such-attribute'],
    ['value exists (20)', new TypeOrValueExistsError('there'), 'value-exists'],
    ['undefined attribute type (17)', new UndefinedTypeError('unknown'), 'schema-violation'],
    [
      'an unknown object class (21)',
      new InvalidSyntaxError('objectClass: value #1 invalid'),
      'schema-violation',
    ],
    ['object class violation (65)', new ObjectClassViolationError('no structural'), 'schema-violation'],
    ['unwilling to perform (53)', new UnwillingToPerformError('no'), 'unwilling'],
    ['a critical control unknown (12)', new UnavailableCriticalExtensionError('?'), 'control-unsupported'],
    [
      'an assertion that did not hold (122)',
      new UnknownStatusCodeError(122, 'assertion failed'),
      'assertion-failed',
    ],
  ])('%s: has its own kind, so callers never read result codes', (_, cause, kind) => {
    const error = toDirectoryError(cause, context);
    expect(error.kind).toBe(kind);
    expect(error.unavailable).toBe(false);
  });
});
