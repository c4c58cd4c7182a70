import { BerReader, BerWriter } from 'ldapts';
import { describe, expect, it } from 'vitest';
import { and, anyOf, eq, type Filter, gte, lte, not, or, present } from '../../src/directory/filter.js';

/** The value bytes as they go over the wire (BER), which is what the server actually matches. */
function encodedValue(filter: Filter): Buffer {
  const writer = new BerWriter();
  filter.write(writer);
  const reader = new BerReader(writer.buffer);
  reader.readSequence();
  reader.readString();
  return reader.readString(0x04, true) ?? Buffer.alloc(0);
}

describe('filter helpers', () => {
  it('escapes an injection attempt (RFC 4515)', () => {
    expect(eq('uid', '*)(uid=*').toString()).toBe('(uid=\\2a\\29\\28uid=\\2a)');
  });

  it('escapes backslash and NUL', () => {
    expect(eq('cn', 'a\\b').toString()).toBe('(cn=a\\5cb)');
    expect(eq('cn', 'a\u0000b').toString()).toBe('(cn=a\\00b)');
  });

  it('keeps non-ASCII as UTF-8 (RFC 4515 allows UTF-8 unescaped)', () => {
    expect(eq('cn', 'Jürgen Öß 李 🙂').toString()).toBe('(cn=Jürgen Öß 李 🙂)');
  });

  it('sends raw values on the wire, never escaped text', () => {
    expect(encodedValue(eq('uid', '*)(uid=*')).toString('utf8')).toBe('*)(uid=*');
    expect(encodedValue(eq('cn', 'Jürgen\u0000\\')).equals(Buffer.from('Jürgen\u0000\\', 'utf8'))).toBe(true);
  });

  it('builds composite filters', () => {
    const filter = and(
      eq('objectClass', 'rostersyncUser'),
      or(eq('rsSchool', 'a'), eq('rsSchool', 'b')),
      not(present('rsDeactivatedAt')),
      lte('rsPurgeAt', '20250101000000Z'),
      gte('uidNumber', '1000'),
    );
    expect(filter.toString()).toBe(
      '(&(objectClass=rostersyncUser)(|(rsSchool=a)(rsSchool=b))(!(rsDeactivatedAt=*))' +
        '(rsPurgeAt<=20250101000000Z)(uidNumber>=1000))',
    );
  });

  it('builds a disjunction over values', () => {
    expect(anyOf('uid', ['a', 'b*']).toString()).toBe('(|(uid=a)(uid=b\\2a))');
  });

  it('rejects invalid attribute names', () => {
    expect(() => eq('uid)(cn', 'x')).toThrow(TypeError);
    expect(() => present('')).toThrow(TypeError);
    expect(() => eq('cn;lang-de', 'x')).not.toThrow();
    expect(() => eq('2.5.4.3', 'x')).not.toThrow();
  });
});
