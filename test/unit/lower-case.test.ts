import { describe, expect, it } from 'vitest';
import { lowerCase, normalizeDn } from '../../src/dn.js';

describe('lowerCase', () => {
  it('folds ASCII and non-ASCII capitals as toLowerCase does', () => {
    for (const text of ['uid=J.Meier,ou=People', 'ÄRGER', 'Zoë', 'ΣΟΦΙΑ', 'İstanbul']) {
      expect(lowerCase(text)).toBe(text.toLowerCase());
    }
  });

  it('gives back what has nothing to fold', () => {
    for (const text of ['uid=j.meier,ou=people,dc=example,dc=org', '', 'r0001', 'a-b_c@d']) {
      expect(lowerCase(text)).toBe(text);
    }
  });

  it('is what a plain DN normalizes to', () => {
    expect(normalizeDn('UID=J.Meier,OU=People,DC=Example')).toBe('uid=j.meier,ou=people,dc=example');
  });
});
