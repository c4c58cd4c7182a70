import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/index.js';
import { DirectoryError, InvalidDnError } from '../../src/directory/index.js';
import { ExitCode, exitCodeOf, RostersyncError, UsageError } from '../../src/errors.js';
import { HookVetoError } from '../../src/hooks/index.js';
import { EmptyNameError, NameCollisionError, TemplateError } from '../../src/naming/errors.js';
import { LockedError } from '../../src/state/lock.js';

describe('the error root', () => {
  const cases: [string, Error, ExitCode][] = [
    ['UsageError', new UsageError('unknown flag --x'), ExitCode.usage],
    [
      'ConfigError',
      new ConfigError([{ source: 'rostersync.yaml', path: 'ldap.url', message: 'required' }]),
      ExitCode.usage,
    ],
    ['TemplateError', new TemplateError('scheme.username', 'unknown field'), ExitCode.usage],
    ['DirectoryError', new DirectoryError('unreachable', 'connect to ldap://x failed'), ExitCode.failed],
    ['InvalidDnError', new InvalidDnError('uid', 'no value'), ExitCode.failed],
    [
      'HookVetoError',
      new HookVetoError('preDelete', '/hooks/a.js', 'uid=a', new Error('no')),
      ExitCode.failed,
    ],
    ['EmptyNameError', new EmptyNameError('scheme.username', 'r1'), ExitCode.failed],
    ['NameCollisionError', new NameCollisionError('scheme.username', 'jdoe', 'r1'), ExitCode.failed],
    ['LockedError', new LockedError('district', undefined, '/state/locks/district.lock'), ExitCode.locked],
  ];

  it.each(cases)('%s extends RostersyncError and carries its exit code', (name, error, code) => {
    expect(error).toBeInstanceOf(RostersyncError);
    expect(error.name).toBe(name);
    expect((error as RostersyncError).exitCode).toBe(code);
    expect(exitCodeOf(error)).toBe(code);
  });

  it('keeps what the directory layer classifies by', () => {
    const cause = new Error('socket hang up');
    const error = new DirectoryError('timeout', 'search timed out', {
      cause,
      operation: 'search',
      dn: 'dc=example,dc=org',
      resultCode: 3,
      unavailable: true,
    });
    expect(error).toMatchObject({
      kind: 'timeout',
      operation: 'search',
      dn: 'dc=example,dc=org',
      resultCode: 3,
      unavailable: true,
    });
    expect(error.cause).toBe(cause);
    expect(new DirectoryError('other', 'x').cause).toBeUndefined();
  });

  it('treats anything not ours as a plain failure, whatever exit code it claims', () => {
    expect(exitCodeOf(new Error('boom'))).toBe(ExitCode.failed);
    expect(exitCodeOf(Object.assign(new Error('child process'), { exitCode: 4 }))).toBe(ExitCode.failed);
    expect(exitCodeOf({ exitCode: 2 })).toBe(ExitCode.failed);
    expect(exitCodeOf('a string')).toBe(ExitCode.failed);
    expect(exitCodeOf(undefined)).toBe(ExitCode.failed);
  });

  it('keeps the exit codes of SPEC §9', () => {
    expect(ExitCode).toEqual({ ok: 0, failed: 1, usage: 2, safetyLimit: 3, locked: 4, stalePlan: 5 });
  });
});
