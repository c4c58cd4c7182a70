/**
 * Paged searches go through ldapts' message layer (`src/directory/entry-pages.ts`), asking for each next
 * page before the last is handed over. They must give exactly what ldapts' public paged search gives,
 * page by page, and leave the connection usable when the reader stops early.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParsedEntry } from '../../src/directory/entry.js';
import { publicEntryPages, searchEntryPages } from '../../src/directory/entry-pages.js';
import { createTestSubtree, type TestSubtree } from '../support/ldap.js';

const USERS = 250;
const search = {
  scope: 'sub' as const,
  filter: '(objectClass=inetOrgPerson)',
  attributes: ['uid', 'cn', 'mail', 'objectClass', 'title'],
  pageSize: 100,
};

let subtree: TestSubtree;

beforeAll(async () => {
  subtree = await createTestSubtree('entry-pages');
  for (let index = 0; index < USERS; index++) {
    const uid = `p${String(index).padStart(4, '0')}`;
    await subtree.client.add(`uid=${uid},${subtree.baseDn}`, {
      objectClass: 'inetOrgPerson',
      uid,
      cn: `Zoë ${uid}`,
      sn: 'Müller',
      ...(index % 3 === 0 ? { mail: `${uid}@example.org`, title: ['a', 'b'] } : {}),
    });
  }
}, 60_000);

afterAll(async () => {
  await subtree?.dispose();
});

/**
 * Entries as plain values in DN order (the server's order may differ between two searches), without the
 * empty attributes ldapts' `toObject` adds for requested ones an entry lacks.
 */
const plain = (entries: ParsedEntry[]) =>
  [...entries]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map(({ name, attributes }) => ({
      name,
      attributes: Object.fromEntries(
        attributes.filter(({ values }) => values.length > 0).map(({ type, values }) => [type, [...values]]),
      ),
    }));

describe('a paged search through the message layer', () => {
  it('gives the pages and entries of ldapts’ own paged search', async () => {
    const pages: ParsedEntry[][] = [];
    for await (const page of searchEntryPages(subtree.client, subtree.baseDn, search)) pages.push(page);
    const publicPages: ParsedEntry[][] = [];
    for await (const page of publicEntryPages(subtree.client, subtree.baseDn, search)) publicPages.push(page);

    expect(pages.map((page) => page.length)).toEqual([100, 100, 50]);
    expect(publicPages.map((page) => page.length)).toEqual([100, 100, 50]);
    expect(plain(pages.flat())).toEqual(plain(publicPages.flat()));
    expect(plain(pages.flat())[0]).toEqual({
      name: `uid=p0000,${subtree.baseDn}`,
      attributes: {
        objectClass: ['inetOrgPerson'],
        uid: ['p0000'],
        cn: ['Zoë p0000'],
        mail: ['p0000@example.org'],
        title: ['a', 'b'],
      },
    });
  });

  it('leaves the connection usable when the reader stops after one page', async () => {
    for await (const page of searchEntryPages(subtree.client, subtree.baseDn, search)) {
      expect(page).toHaveLength(100);
      break;
    }
    let count = 0;
    for await (const page of searchEntryPages(subtree.client, subtree.baseDn, search)) count += page.length;
    expect(count).toBe(USERS);
  });

  it('fails with the server’s result for a base that does not exist', async () => {
    const pages = searchEntryPages(subtree.client, `ou=missing,${subtree.baseDn}`, search);
    // 32: noSuchObject, as ldapts reports it; `Directory` maps it once (classify.ts).
    await expect(pages.next()).rejects.toHaveProperty('code', 32);
  });
});
