/** The directory layer against a real slapd: hostile values, paging, passwords and write errors. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  and,
  Directory,
  DirectoryError,
  type DirectoryOptions,
  dn,
  eq,
  normalizeDn,
  parseDn,
  present,
  rdn,
} from '../../src/directory/index.js';
import { type SlapdServer, startSlapd } from '../../testkit/slapd.js';

let server: SlapdServer;
let directory: Directory;

function optionsFor(slapd: SlapdServer): DirectoryOptions {
  return {
    url: slapd.url,
    bindDn: slapd.adminDn,
    bindPassword: slapd.adminPassword,
    starttls: false,
    tls: { rejectUnauthorized: true },
    timeoutMs: 10_000,
    pageSize: 10,
  };
}

async function failureOf(operation: Promise<unknown>): Promise<DirectoryError> {
  try {
    await operation;
  } catch (error) {
    if (error instanceof DirectoryError) return error;
    throw error;
  }
  throw new Error('expected the operation to fail');
}

async function addOu(ou: string): Promise<string> {
  const ouDn = dn(rdn('ou', ou), server.suffix);
  await directory.add(ouDn, { objectClass: 'organizationalUnit', ou });
  return ouDn;
}

beforeAll(async () => {
  server = await startSlapd();
  directory = await Directory.connect(optionsFor(server));
});

afterAll(async () => {
  await directory?.close();
  await server?.stop();
});

const HOSTILE_VALUES = [
  '*)(uid=*',
  '\\',
  'back\\slash',
  ',',
  'com,ma',
  '+',
  '"',
  '<>;=',
  '#hash',
  ' leading space',
  'trailing space ',
  'nul\u0000byte',
  'Jürgen Öß',
  '李',
  'emoji 🙂🎒',
];

describe('hostile values', () => {
  let people: string;
  let moved: string;

  beforeAll(async () => {
    people = await addOu('hostile');
    moved = await addOu('hostile-moved');
    // Several writes in flight on one connection at once.
    await Promise.all(
      HOSTILE_VALUES.map((value) =>
        directory.add(dn(rdn('uid', value), people), {
          objectClass: ['inetOrgPerson'],
          uid: value,
          cn: value,
          sn: value,
          description: `d:${value}`,
        }),
      ),
    );
  });

  it.each(HOSTILE_VALUES)('round-trips %j through add, search, modify and rename', async (value) => {
    const entryDn = dn(rdn('uid', value), people);

    const found = await directory.searchAll(people, {
      scope: 'sub',
      filter: eq('uid', value),
      attributes: ['uid', 'cn', 'description'],
    });
    expect(found).toHaveLength(1);
    const [entry] = found;
    expect(entry?.attributes).toEqual({ uid: [value], cn: [value], description: [`d:${value}`] });
    expect(parseDn(entry?.dn ?? '')[0]).toEqual([{ attribute: 'uid', value }]);
    expect(normalizeDn(entry?.dn ?? '')).toBe(normalizeDn(entryDn));

    const byCn = await directory.searchAll(people, { scope: 'one', filter: eq('cn', value), attributes: [] });
    expect(byCn.map((e) => normalizeDn(e.dn))).toEqual([normalizeDn(entryDn)]);

    await directory.modify(entryDn, [
      { operation: 'replace', attribute: 'description', values: [`changed:${value}`] },
      { operation: 'add', attribute: 'title', values: [value] },
    ]);
    const modified = await directory.searchOne(entryDn, ['description', 'title']);
    expect(modified?.attributes).toEqual({ description: [`changed:${value}`], title: [value] });

    // Move under another parent keeping the RDN, then rename in place to cn=<value>.
    const movedDn = await directory.rename(entryDn, rdn('uid', value), moved);
    expect(parseDn(movedDn)[0]).toEqual([{ attribute: 'uid', value }]);
    expect(await directory.exists(entryDn)).toBe(false);
    const atNewPlace = await directory.searchOne(movedDn, ['uid']);
    expect(atNewPlace?.attributes.uid).toEqual([value]);
    expect(parseDn(atNewPlace?.dn ?? '')[0]).toEqual([{ attribute: 'uid', value }]);

    const renamedDn = await directory.rename(movedDn, rdn('cn', value));
    expect(normalizeDn(renamedDn)).toBe(normalizeDn(dn(rdn('cn', value), moved)));
    const renamed = await directory.searchOne(renamedDn, ['uid', 'cn']);
    // deleteoldrdn removed the old RDN value uid=<value>.
    expect(renamed?.attributes).toEqual({ uid: [], cn: [value] });
    expect(parseDn(renamed?.dn ?? '')[0]).toEqual([{ attribute: 'cn', value }]);

    const again = await directory.searchAll(moved, {
      scope: 'one',
      filter: eq('cn', value),
      attributes: ['cn'],
    });
    expect(again.map((e) => parseDn(e.dn)[0])).toEqual([[{ attribute: 'cn', value }]]);
  });

  it('a filter injection finds nothing but the literal value', async () => {
    const all = await directory.searchAll(people, {
      scope: 'sub',
      filter: and(present('objectClass'), eq('sn', '*')),
      attributes: ['sn'],
    });
    expect(all).toEqual([]);
  });
});

describe('paged search', () => {
  const count = 37;
  let paged: string;

  beforeAll(async () => {
    paged = await addOu('paged');
    await Promise.all(
      Array.from({ length: count }, (_, index) =>
        directory.add(dn(rdn('uid', `user${index}`), paged), {
          objectClass: 'inetOrgPerson',
          uid: `user${index}`,
          cn: `User ${index}`,
          sn: 'Paged',
          mail: `user${index}@example.org`,
        }),
      ),
    );
  });

  it('returns every entry across pages with only the requested attributes', async () => {
    for (const pageSize of [undefined, 7, 1000]) {
      const entries = await directory.searchAll(paged, {
        scope: 'one',
        filter: eq('objectClass', 'inetOrgPerson'),
        attributes: ['UID', 'mail', 'telephoneNumber'],
        pageSize,
      });
      expect(entries).toHaveLength(count);
      const uids = entries.map((entry) => entry.attributes.UID?.[0]).sort();
      expect(uids).toEqual(Array.from({ length: count }, (_, index) => `user${index}`).sort());
      for (const entry of entries) {
        expect(Object.keys(entry.attributes)).toEqual(['UID', 'mail', 'telephoneNumber']);
        expect(entry.attributes.telephoneNumber).toEqual([]);
        expect(entry.attributes.mail).toEqual([`${entry.attributes.UID?.[0]}@example.org`]);
      }
    }
  });

  it('runs several searches at once on one connection', async () => {
    const results = await Promise.all(
      Array.from({ length: 5 }, (_, index) =>
        directory.searchAll(paged, { scope: 'one', filter: eq('uid', `user${index}`), attributes: ['cn'] }),
      ),
    );
    expect(results.map((entries) => entries.map((entry) => entry.attributes.cn))).toEqual(
      Array.from({ length: 5 }, (_, index) => [[`User ${index}`]]),
    );
  });

  it('returns DNs only when no attributes are requested', async () => {
    const [entry] = await directory.searchAll(paged, {
      scope: 'one',
      filter: eq('uid', 'user1'),
      attributes: [],
    });
    expect(entry).toEqual({ dn: dn('uid=user1', paged), attributes: {} });
  });
});

describe('passwords', () => {
  it('passwordModify sets a hashed password; the new one binds, the old one does not', async () => {
    const ou = await addOu('passwords');
    const userDn = dn(rdn('uid', 'pat,o"neil'), ou);
    await directory.add(userDn, {
      objectClass: 'inetOrgPerson',
      uid: 'pat,o"neil',
      cn: 'Pat',
      sn: "O'Neil",
      userPassword: 'old-Passw0rd!',
    });
    expect(await directory.bindAs(userDn, 'old-Passw0rd!')).toBe(true);

    await directory.passwordModify(userDn, 'new-Passw0rd!');

    expect(await directory.bindAs(userDn, 'new-Passw0rd!')).toBe(true);
    expect(await directory.bindAs(userDn, 'old-Passw0rd!')).toBe(false);
    expect(await directory.bindAs(userDn, '')).toBe(false);
    const stored = await directory.searchOne(userDn, ['userPassword']);
    expect(stored?.attributes.userPassword?.[0]).toMatch(/^\{[A-Z0-9-]+\}/);
  });

  it('passwordModify on a missing entry names the entry, never the password', async () => {
    const missing = dn('uid=nobody', server.suffix);
    const error = await failureOf(directory.passwordModify(missing, 'Secret-Never-Shown'));
    expect(error.kind).toBe('no-such-object');
    expect(error.message).toContain(missing);
    expect(error.message).not.toContain('Secret-Never-Shown');
  });
});

describe('errors', () => {
  it('search under a base that does not exist → no-such-object naming the base', async () => {
    const base = dn('ou=missing', server.suffix);
    const error = await failureOf(
      directory.searchAll(base, { scope: 'sub', filter: present('objectClass'), attributes: ['cn'] }),
    );
    expect(error.kind).toBe('no-such-object');
    expect(error.exitCode).toBe(1);
    expect(error.message).toBe(`no such entry: ${base}`);
    expect(await directory.searchOne(base, ['cn'])).toBeUndefined();
    expect(await directory.exists(base)).toBe(false);
    expect(await directory.exists(server.suffix)).toBe(true);
  });

  it('write errors name the operation and the DN', async () => {
    const ou = await addOu('write-errors');
    const userDn = dn(rdn('uid', 'dup'), ou);
    const person = { objectClass: 'inetOrgPerson', uid: 'dup', cn: 'Dup', sn: 'Dup' };
    await directory.add(userDn, person);

    const duplicate = await failureOf(directory.add(userDn, person));
    expect(duplicate.kind).toBe('already-exists');
    expect(duplicate.message).toBe(`add ${userDn} failed: entry already exists`);
    expect(duplicate.dn).toBe(userDn);
    expect(duplicate.operation).toBe('add');

    const missing = dn(rdn('uid', 'ghost'), ou);
    const deleteMissing = await failureOf(directory.delete(missing));
    expect(deleteMissing.kind).toBe('no-such-object');
    expect(deleteMissing.message).toContain(`delete ${missing}`);

    const noParent = await failureOf(directory.rename(userDn, 'uid=dup', dn('ou=nowhere', server.suffix)));
    expect(noParent.kind).toBe('no-such-object');
    expect(noParent.message).toContain(`rename ${userDn}`);

    const schema = await failureOf(
      directory.modify(userDn, [{ operation: 'add', attribute: 'noSuchAttributeType', values: ['x'] }]),
    );
    expect(schema.kind).toBe('schema-violation');
    expect(schema.message).toContain(`modify ${userDn} failed`);

    await directory.delete(userDn);
    expect(await directory.exists(userDn)).toBe(false);
  });

  it('a closed directory refuses further operations', async () => {
    const other = await Directory.connect(optionsFor(server));
    await other.close();
    const error = await failureOf(other.exists(server.suffix));
    expect(error.message).toContain('closed');
  });
});
