/**
 * The import's users are read on a thread of their own (`src/snapshot/user-reader.ts`). The compiled
 * reader (the one the CLI runs) must give exactly the users the same read gives on this thread, in pages,
 * and a failure on its side must arrive here as the same kind of directory error.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Directory, type DirectoryOptions } from '../../src/directory/index.js';
import {
  listingAttributes,
  toListedUser,
  type UserShape,
  userAttributes,
  userMapper,
} from '../../src/snapshot/user-entry.js';
import type * as UserReader from '../../src/snapshot/user-reader.js';
import type { AttributeNames } from '../../src/config/index.js';
import { ATTRIBUTE_TYPES } from '../../src/schema/index.js';
import { createTestSubtree, type TestSubtree } from '../support/ldap.js';

const compiled = join(process.cwd(), 'dist/snapshot/user-reader.js');
const USERS = 1234;
const PAGE_SIZE = 100;

let subtree: TestSubtree;
let reader: typeof UserReader;
let options: DirectoryOptions;

const names = Object.fromEntries(ATTRIBUTE_TYPES.map(({ key, name }) => [key, name])) as AttributeNames;
const shape: UserShape = { names, mappedAttributes: ['title'], entryCsn: true };

beforeAll(async () => {
  expect(existsSync(compiled), 'run `npm run build` first (npm test does)').toBe(true);
  reader = (await import(pathToFileURL(compiled).href)) as typeof UserReader;
  subtree = await createTestSubtree('reader-thread');
  await subtree.client.add(`ou=people,${subtree.baseDn}`, {
    objectClass: 'organizationalUnit',
    ou: 'people',
  });
  const adds: Promise<void>[] = [];
  for (let index = 0; index < USERS; index++) {
    const uid = `u${String(index).padStart(5, '0')}`;
    adds.push(
      subtree.client.add(`uid=${uid},ou=people,${subtree.baseDn}`, {
        objectClass: ['inetOrgPerson', 'rostersyncUser'],
        uid,
        cn: `Zoë ${uid}`,
        sn: 'Müller',
        givenName: 'Zoë',
        rostersyncSourceUid: 'reader',
        rostersyncRecordUid: `r${index}`,
        rostersyncSchool: index % 2 === 0 ? ['s1'] : ['s1', 's2'],
        rostersyncRole: 'student:school:s1',
        ...(index % 3 === 0 ? { mail: `${uid}@example.org`, title: ['a', 'b'] } : {}),
        ...(index % 7 === 0 ? { rostersyncPurgeTimestamp: '20260101000000Z' } : {}),
      }),
    );
    if (adds.length === 50) await Promise.all(adds.splice(0));
  }
  await Promise.all(adds);
  options = {
    url: subtree.url,
    bindDn: subtree.adminDn,
    bindPassword: subtree.adminPassword,
    starttls: false,
    tls: { rejectUnauthorized: true },
    timeoutMs: 10_000,
    pageSize: PAGE_SIZE,
  };
}, 60_000);

afterAll(async () => {
  await subtree?.dispose();
});

const read = (): UserReader.UserRead => ({
  base: subtree.baseDn,
  filter: '(&(objectClass=inetOrgPerson)(rostersyncSourceUid=reader))',
  shape,
});

describe('the users read on a thread of their own', () => {
  it('gives the same users as the read on this thread, a page at a time', async () => {
    expect(reader.readerThreadAvailable()).toBe(true);
    const directory = await Directory.connect(options);
    try {
      const here = [];
      for await (const page of directory.searchRows(read().base, {
        scope: 'sub',
        filter: read().filter,
        attributes: userAttributes(shape),
      })) {
        here.push(...page.map(userMapper(shape)));
      }
      const there = [];
      const pageSizes: number[] = [];
      for await (const page of reader.readUserPages(directory, read())) {
        pageSizes.push(page.length);
        there.push(...page);
      }
      expect(here).toHaveLength(USERS);
      // JSON leaves out the attributes a user lacks; they read as undefined either way.
      expect(there).toEqual(here);
      expect(Math.max(...pageSizes)).toBeLessThanOrEqual(PAGE_SIZE);
      expect(pageSizes.length).toBeGreaterThanOrEqual(Math.ceil(USERS / PAGE_SIZE));
      expect(there.find((user) => user.username === 'u00003')).toMatchObject({
        firstname: 'Zoë',
        lastname: 'Müller',
        email: 'u00003@example.org',
        schools: ['s1', 's2'],
        mapped: { title: ['a', 'b'] },
      });
    } finally {
      await directory.close();
    }
  });

  it('started early, it hands its pages to the planner that takes them later', async () => {
    const directory = await Directory.connect(options);
    try {
      const early = reader.UserReaderThread.start(options, read());
      // Meanwhile this thread does other work (the roster).
      await new Promise((resolve) => setTimeout(resolve, 200));
      let users = 0;
      for await (const page of reader.readUserPages(directory, read(), early)) users += page.length;
      expect(users).toBe(USERS);
    } finally {
      await directory.close();
    }
  });

  it('lists the users (DN, uid, record uid, CSN) the same on either thread, started early or not', async () => {
    const directory = await Directory.connect(options);
    try {
      const listing: UserReader.ListingRead = { base: read().base, filter: read().filter, names };
      const here = [];
      for await (const page of directory.searchRows(listing.base, {
        scope: 'sub',
        filter: listing.filter,
        attributes: listingAttributes(names),
      })) {
        here.push(...page.map(toListedUser));
      }
      const early = reader.ListingReaderThread.start(options, listing);
      const there = [];
      for await (const page of reader.readListingPages(directory, listing, early)) there.push(...page);
      expect(there).toHaveLength(USERS);
      expect(there).toEqual(here);
      const [first] = there;
      expect(first?.entryCSN).toMatch(/^\d{14}\.\d{6}Z#/);
      expect(there.find((user) => user.username === 'u00003')?.recordUid).toBe('r3');
    } finally {
      await directory.close();
    }
  });

  it('a failure on the reader thread arrives as the same kind of directory error', async () => {
    const thread = reader.UserReaderThread.start({ ...options, bindPassword: 'wrong' }, read());
    const error = await (async () => {
      try {
        for await (const page of thread.pages()) void page;
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    // The compiled reader's own DirectoryError class, not this file's.
    expect(error).toMatchObject({ name: 'DirectoryError', kind: 'invalid-credentials' });
  });

  it('a run that stops before it plans ends the thread', async () => {
    const thread = reader.UserReaderThread.start(options, read());
    await thread.cancel();
    await expect(
      (async () => {
        for await (const page of thread.pages()) void page;
      })(),
    ).rejects.toThrow(/ended without its last page/);
  });
});
