import { describe, expect, it } from 'vitest';
import {
  dn,
  dnEquals,
  escapeDnValue,
  formatDn,
  InvalidDnError,
  isDescendantOf,
  leafRdn,
  normalizeDn,
  parentDn,
  parseDn,
  parseRdn,
  rdn,
} from '../../src/dn.js';

describe('rdn / escapeDnValue', () => {
  it.each([
    ['foo,bar', 'uid=foo\\,bar'],
    ['a+b', 'uid=a\\+b'],
    ['say "hi"', 'uid=say \\"hi\\"'],
    ['back\\slash', 'uid=back\\\\slash'],
    ['<>;=', 'uid=\\<\\>\\;\\='],
    ['#tag', 'uid=\\#tag'],
    ['mid#dle', 'uid=mid#dle'],
    [' lead', 'uid=\\ lead'],
    ['trail ', 'uid=trail\\ '],
    [' ', 'uid=\\ '],
    ['  ', 'uid=\\ \\ '],
    ['in side', 'uid=in side'],
    ['nul\u0000byte', 'uid=nul\\00byte'],
    ['tab\there', 'uid=tab\\09here'],
    ['Jürgen Öß', 'uid=Jürgen Öß'],
    ['李', 'uid=李'],
    ['🙂', 'uid=🙂'],
    ['', 'uid='],
  ])('escapes %j', (value, expected) => {
    expect(rdn('uid', value)).toBe(expected);
  });

  it('rejects attribute types that are not names or OIDs', () => {
    expect(() => rdn('u id', 'x')).toThrow(InvalidDnError);
    expect(() => rdn('uid=x,cn', 'y')).toThrow(InvalidDnError);
    expect(rdn('2.5.4.3', 'x')).toBe('2.5.4.3=x');
  });

  it('escapes the whole injection string so it stays one value', () => {
    expect(escapeDnValue('x,ou=admins')).toBe('x\\,ou\\=admins');
  });
});

describe('dn', () => {
  it('joins RDNs and parent DNs, skipping the root DN', () => {
    expect(dn(rdn('uid', 'a,b'), 'ou=people', 'dc=example,dc=org')).toBe(
      'uid=a\\,b,ou=people,dc=example,dc=org',
    );
    expect(dn(rdn('cn', 'x'), '')).toBe('cn=x');
  });
});

describe('parseDn', () => {
  it('parses simple DNs', () => {
    expect(parseDn('uid=foo,ou=people,dc=example,dc=org')).toEqual([
      [{ attribute: 'uid', value: 'foo' }],
      [{ attribute: 'ou', value: 'people' }],
      [{ attribute: 'dc', value: 'example' }],
      [{ attribute: 'dc', value: 'org' }],
    ]);
    expect(parseDn('')).toEqual([]);
  });

  it('unescapes special characters', () => {
    expect(parseRdn('cn=a\\,b\\+c\\"d\\\\e\\<f\\>g\\;h\\=i')).toEqual([
      { attribute: 'cn', value: 'a,b+c"d\\e<f>g;h=i' },
    ]);
  });

  it('unescapes hex pairs, including multi-byte UTF-8 sequences', () => {
    expect(parseRdn('cn=a\\2Cb\\2cc')).toEqual([{ attribute: 'cn', value: 'a,b,c' }]);
    expect(parseRdn('cn=J\\C3\\BCrgen')).toEqual([{ attribute: 'cn', value: 'Jürgen' }]);
    expect(parseRdn('cn=\\E6\\9D\\8E')).toEqual([{ attribute: 'cn', value: '李' }]);
    expect(parseRdn('cn=\\F0\\9F\\99\\82!')).toEqual([{ attribute: 'cn', value: '🙂!' }]);
    expect(parseRdn('cn=nul\\00byte')).toEqual([{ attribute: 'cn', value: 'nul\u0000byte' }]);
  });

  it('keeps UTF-8 characters as they are', () => {
    expect(parseRdn('cn=Jürgen Öß 李 🙂')).toEqual([{ attribute: 'cn', value: 'Jürgen Öß 李 🙂' }]);
  });

  it('handles leading and trailing escaped spaces and leading #', () => {
    expect(parseRdn('cn=\\ x\\ ')).toEqual([{ attribute: 'cn', value: ' x ' }]);
    expect(parseRdn('cn=\\#x')).toEqual([{ attribute: 'cn', value: '#x' }]);
    expect(parseRdn('cn=\\20x\\20')).toEqual([{ attribute: 'cn', value: ' x ' }]);
    expect(parseRdn('cn=\\ \\ ')).toEqual([{ attribute: 'cn', value: '  ' }]);
  });

  it('drops unescaped spaces around separators', () => {
    expect(parseDn('cn = a b , ou=x')).toEqual([
      [{ attribute: 'cn', value: 'a b' }],
      [{ attribute: 'ou', value: 'x' }],
    ]);
  });

  it('parses multi-valued RDNs', () => {
    expect(parseDn('cn=a\\+b+sn=c,dc=org')).toEqual([
      [
        { attribute: 'cn', value: 'a+b' },
        { attribute: 'sn', value: 'c' },
      ],
      [{ attribute: 'dc', value: 'org' }],
    ]);
  });

  it('decodes #hexstring values (BER-encoded strings)', () => {
    expect(parseRdn('cn=#04024869')).toEqual([{ attribute: 'cn', value: 'Hi' }]);
    expect(parseRdn('1.3.6.1.4.1.1466.0=#0C024869')).toEqual([
      { attribute: '1.3.6.1.4.1.1466.0', value: 'Hi' },
    ]);
  });

  it('accepts an unescaped = inside values (RFC 4514 stringchar)', () => {
    expect(parseRdn('cn=a=b')).toEqual([{ attribute: 'cn', value: 'a=b' }]);
  });

  it('accepts RFC 2253 quoted values', () => {
    expect(parseRdn('cn=" a,b "')).toEqual([{ attribute: 'cn', value: ' a,b ' }]);
  });

  it.each(['cn', 'cn=a,', '=a', 'cn=a\\', 'cn=a\\2', 'cn=\\C3', 'cn=a"b', 'c n=a', 'cn=\u0000', 'cn=\\q'])(
    'rejects %j',
    (text) => {
      expect(() => parseDn(text)).toThrow(InvalidDnError);
    },
  );

  it('round-trips hostile values through rdn and parseDn', () => {
    const values = [
      '*)(uid=*',
      '\\',
      ',',
      '+',
      '"',
      '<>;=',
      '#lead',
      ' lead',
      'trail ',
      ' both ',
      'a\u0000b',
      'Jürgen Öß',
      '李',
      '🙂 emoji',
      '\\,\\',
    ];
    for (const value of values) {
      const text = dn(rdn('uid', value), rdn('cn', value), 'dc=example,dc=org');
      expect(parseDn(text)).toEqual([
        [{ attribute: 'uid', value }],
        [{ attribute: 'cn', value }],
        [{ attribute: 'dc', value: 'example' }],
        [{ attribute: 'dc', value: 'org' }],
      ]);
      expect(formatDn(parseDn(text))).toBe(text);
    }
  });
});

describe('normalizeDn', () => {
  it('lower-cases types and values and canonicalises escaping', () => {
    expect(normalizeDn('UID=Foo\\2CBar, OU=People,DC=Example,DC=org')).toBe(
      'uid=foo\\,bar,ou=people,dc=example,dc=org',
    );
    expect(normalizeDn('cn=J\\C3\\BCRGEN')).toBe('cn=jürgen');
  });

  it('sorts multi-valued RDNs', () => {
    expect(normalizeDn('sn=B+cn=a')).toBe(normalizeDn('CN=A+SN=b'));
  });

  it('compares DNs', () => {
    expect(dnEquals('uid=A,dc=org', 'UID=a, DC=ORG')).toBe(true);
    expect(dnEquals('uid=a\\,b,dc=org', 'uid=a,b=x,dc=org')).toBe(false);
  });
});

describe('parentDn / leafRdn / isDescendantOf', () => {
  it('finds the parent', () => {
    expect(parentDn('uid=a\\,b,ou=people,dc=org')).toBe('ou=people,dc=org');
    expect(parentDn('dc=org')).toBe('');
    expect(parentDn('')).toBeUndefined();
  });

  it('finds the leaf RDN', () => {
    expect(leafRdn('uid=a\\,b,ou=people,dc=org')).toBe('uid=a\\,b');
  });

  it('decides descent by whole RDNs, case-insensitively', () => {
    expect(isDescendantOf('uid=a,ou=People,dc=org', 'ou=people,DC=org')).toBe(true);
    expect(isDescendantOf('uid=a,ou=people,dc=org', '')).toBe(true);
    expect(isDescendantOf('ou=people,dc=org', 'ou=people,dc=org')).toBe(false);
    expect(isDescendantOf('uid=a,ou=xpeople,dc=org', 'ou=people,dc=org')).toBe(false);
    expect(isDescendantOf('uid=a\\,ou=people,dc=org', 'ou=people,dc=org')).toBe(false);
    expect(isDescendantOf('dc=org', 'ou=people,dc=org')).toBe(false);
  });
});

describe('plain DNs take a fast path with the same results', () => {
  const plain = [
    'uid=Max.Muster,ou=People,ou=Grundschule Nord,DC=Example,dc=org',
    'cn=5a,ou=groups,ou=s01,dc=rostersync,dc=test',
    'dc=org',
    'uid=a_b-c@d,o=x',
  ];
  const special = plain.map((text) => text.replace('=', '= ').replace(',', ', '));

  it('normalizes, splits and names the leaf like the full parser', () => {
    for (const [index, text] of plain.entries()) {
      // The same DNs with insignificant spaces after '=' and ',' go through the parser.
      const parsed = special[index] ?? '';
      expect(normalizeDn(text)).toBe(normalizeDn(parsed));
      expect(normalizeDn(text)).toBe(text.toLowerCase());
      expect(normalizeDn(parentDn(text) ?? '')).toBe(normalizeDn(parentDn(parsed) ?? ''));
      expect(normalizeDn(leafRdn(text))).toBe(normalizeDn(leafRdn(parsed)));
    }
    expect(parentDn('dc=org')).toBe('');
    expect(leafRdn('dc=org')).toBe('dc=org');
  });
});
