/**
 * A search entry as rostersync reads it: exactly the requested names, values always as string arrays, the
 * server's letter case forgiven, and `*`/`+` adding what else the entry has.
 */
import { describe, expect, it } from 'vitest';
import { entryMapper, parsedEntry, rowMapper, toDirectoryEntry } from '../../src/directory/entry.js';

const dn = 'uid=kim,ou=people,dc=example,dc=org';

describe('an entry read from the directory', () => {
  it('has every requested name, [] where the entry lacks it, and nothing else', () => {
    const toEntry = entryMapper(['uid', 'mail', 'sn']);
    expect(
      toEntry({
        name: dn,
        attributes: [
          { type: 'uid', values: ['kim'] },
          { type: 'cn', values: ['Kim Meyer'] },
          { type: 'sn', values: ['Meyer'] },
        ],
      }),
    ).toEqual({ dn, attributes: { uid: ['kim'], mail: [], sn: ['Meyer'] } });
  });

  it('takes a name the server spells in another case as the requested one', () => {
    const toEntry = entryMapper(['objectClass', 'entryUUID']);
    expect(
      toEntry({
        name: dn,
        attributes: [
          { type: 'OBJECTCLASS', values: ['top', 'inetOrgPerson'] },
          { type: 'entryuuid', values: ['4f1c'] },
        ],
      }).attributes,
    ).toEqual({ objectClass: ['top', 'inetOrgPerson'], entryUUID: ['4f1c'] });
  });

  it('turns values that are not UTF-8 strings into strings', () => {
    const toEntry = entryMapper(['description']);
    expect(
      toEntry({ name: dn, attributes: [{ type: 'description', values: ['a', Buffer.from('b')] }] })
        .attributes,
    ).toEqual({ description: ['a', 'b'] });
  });

  it('with * or +, keeps what else the entry has under the server names, leaving out empty ones', () => {
    const toEntry = entryMapper(['*', 'entryUUID']);
    expect(
      toEntry({
        name: dn,
        attributes: [
          { type: 'cn', values: ['Kim Meyer'] },
          { type: 'seeAlso', values: [] },
        ],
      }).attributes,
    ).toEqual({ cn: ['Kim Meyer'], entryUUID: [] });
  });

  it('is the same from an ldapts Entry, single values included', () => {
    expect(parsedEntry({ dn, uid: 'kim', objectClass: ['top', 'person'] })).toEqual({
      name: dn,
      attributes: [
        { type: 'uid', values: ['kim'] },
        { type: 'objectClass', values: ['top', 'person'] },
      ],
    });
    expect(toDirectoryEntry({ dn, uid: 'kim', mail: [] }, ['uid', 'mail', 'sn'])).toEqual({
      dn,
      attributes: { uid: ['kim'], mail: [], sn: [] },
    });
  });

  it('as a row, holds each requested attribute at its position, forgiving the letter case', () => {
    const toRow = rowMapper(['uid', 'mail', 'objectClass', 'uid']);
    const row = toRow({
      name: dn,
      attributes: [
        { type: 'objectclass', values: ['top', 'inetOrgPerson'] },
        { type: 'cn', values: ['Kim Meyer'] },
        { type: 'uid', values: ['kim'] },
      ],
    });
    expect(row.dn).toBe(dn);
    // A name requested twice fills its first position; what the entry lacks stays undefined.
    expect([...row.values]).toEqual([['kim'], undefined, ['top', 'inetOrgPerson'], undefined]);
    expect(() => rowMapper(['*'])).toThrow(/not \* or \+/);
  });
});
