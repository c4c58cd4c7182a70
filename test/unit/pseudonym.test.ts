/**
 * Retired names (SPEC §8) match Open edX's `user_util`: the expected values were computed independently
 * with the shell, e.g. `printf '%s' 'Salt-2024!e.kurz' | sha1sum`.
 */
import { describe, expect, it } from 'vitest';
import {
  retiredEmail,
  retiredHash,
  retiredRecordUid,
  retiredUsername,
  retiredUsernameCandidates,
} from '../../src/naming/index.js';

const SETTINGS = {
  username_prefix: 'retired__user_',
  email_prefix: 'retired__user_',
  email_domain: 'retired.invalid',
  hash: 'sha1' as const,
};

describe('retired names', () => {
  it('SHA-1 of the salt and the lower-cased value, hex', () => {
    expect(retiredHash('e.kurz', 'Salt-2024!')).toBe('ffb02f96b92c51bb1d69ca3b1bd6ae75663f7f8f');
    // The value is lower-cased first, the salt is not.
    expect(retiredHash('E.Kurz', 'Salt-2024!')).toBe('ffb02f96b92c51bb1d69ca3b1bd6ae75663f7f8f');
    expect(retiredUsername('e.kurz', 'Salt-2024!', SETTINGS)).toBe(
      'retired__user_ffb02f96b92c51bb1d69ca3b1bd6ae75663f7f8f',
    );
  });

  it('SHA-256 with retirement.hash: sha256', () => {
    expect(retiredHash('Eva.Kurz@school.example', 'Salt-2024!', 'sha256')).toBe(
      'd0155c7a4a66619a8309faf670191d09d7f64d262be18d1f73c8e57e18ad4e52',
    );
    expect(retiredEmail('eva.kurz@school.example', 'Salt-2024!', { ...SETTINGS, hash: 'sha256' })).toBe(
      'retired__user_d0155c7a4a66619a8309faf670191d09d7f64d262be18d1f73c8e57e18ad4e52@retired.invalid',
    );
  });

  it('a name is checked under every salt, oldest first; a record uid gets its own prefix', () => {
    expect(retiredUsernameCandidates('e.kurz', ['oldsalt', 'Salt-2024!'], SETTINGS)).toEqual([
      'retired__user_f29d297e7b1d78d7e461b0fb4dae0fae5b77d3f8',
      'retired__user_ffb02f96b92c51bb1d69ca3b1bd6ae75663f7f8f',
    ]);
    expect(retiredRecordUid('e.kurz', 'Salt-2024!', SETTINGS)).toBe(
      'retired__ffb02f96b92c51bb1d69ca3b1bd6ae75663f7f8f',
    );
  });
});
