/**
 * Settled users' keys (`src/plan/settled.ts`) and their file (`src/state/settled.ts`): a key changes with
 * everything the planner reads of the row and with the entry's DN, uid and CSN; a planner given the keys of
 * an earlier one plans the same as a full run from the listing alone.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type Config, parseConfig } from '../../src/config/index.js';
import { ImportPlanner } from '../../src/plan/planner.js';
import { Scope } from '../../src/plan/scope.js';
import { settledKey, SettledKeys, SettledKeysBuilder } from '../../src/plan/settled.js';
import type { DirectoryUser, SnapshotRest } from '../../src/snapshot/types.js';
import { loadSettled, saveSettled, type SettledBasis } from '../../src/state/settled.js';
import { rosterRecord } from '../support/roster-record.js';
import { directoryUser, TEST_BASE_DN } from '../support/directory-user.js';

const NOW = new Date('2026-11-23T06:00:00Z');

const config: Config = parseConfig(
  {
    source_uid: 'sis',
    timezone: 'Europe/Berlin',
    ldap: {
      base_dn: TEST_BASE_DN,
      users_dn: 'ou=people,ou={school},{base_dn}',
      groups_dn: 'ou=groups,ou={school},{base_dn}',
    },
    csv: { mapping: { id: 'record_uid' } },
    deletion_grace_period: { deactivation: 0, deletion: 30 },
    safety: { max_deletions: '100%' },
  },
  'test',
);

const record = rosterRecord;

const entry = { dn: `uid=jan,ou=people,ou=gym1,${TEST_BASE_DN}`, username: 'jan', entryCSN: 'csn-1' };

describe('settledKey', () => {
  const key = settledKey(record('S-1'), entry);

  it('changes with every field of the row the planner reads, and with the entry', () => {
    const changed: [string, bigint | undefined][] = [
      ['firstname', settledKey(record('S-1', { firstname: 'Ida' }), entry)],
      ['lastname', settledKey(record('S-1', { lastname: 'Berg' }), entry)],
      ['schools', settledKey(record('S-1', { schools: ['gym1', 'rs2'] }), entry)],
      ['roles', settledKey(record('S-1', { roles: ['teacher'] }), entry)],
      ['classes', settledKey(record('S-1', { classes: [{ school: 'gym1', name: '5b' }] }), entry)],
      ['email', settledKey(record('S-1', { email: 'jan@example.org' }), entry)],
      ['birthday', settledKey(record('S-1', { birthday: '2010-01-02' }), entry)],
      ['username', settledKey(record('S-1', { username: 'jan' }), entry)],
      ['action', settledKey(record('S-1', { action: 'M' }), entry)],
      ['attributes', settledKey(record('S-1', { attributes: { title: ['x'] } }), entry)],
      ['record uid', settledKey(record('S-2'), entry)],
      ['dn', settledKey(record('S-1'), { ...entry, dn: `uid=jan,ou=people,ou=rs2,${TEST_BASE_DN}` })],
      ['uid', settledKey(record('S-1'), { ...entry, username: 'jan2' })],
      ['csn', settledKey(record('S-1'), { ...entry, entryCSN: 'csn-2' })],
    ];
    for (const [what, other] of changed) expect(other, what).not.toBe(key);
    expect(new Set(changed.map(([, other]) => other)).size).toBe(changed.length);
  });

  it('leaves out the line and the password, and needs the CSN', () => {
    expect(settledKey(record('S-1', { line: 40, password: 'secret' }), entry)).toBe(key);
    expect(settledKey(record('S-1'), { ...entry, entryCSN: undefined })).toBeUndefined();
  });
});

describe('SettledKeys', () => {
  it('finds exactly the keys it was built from, sorted and each once', () => {
    const builder = new SettledKeysBuilder();
    const keys = Array.from({ length: 3000 }, (_, index) => BigInt(index) * 7919n + 3n);
    for (const key of [...keys].reverse()) builder.add(key);
    builder.add(3n);
    const set = builder.build();
    expect(set.size).toBe(3000);
    expect([...set.keys]).toEqual(keys);
    for (const key of keys) expect(set.has(key)).toBe(true);
    for (const key of [0n, 4n, 7921n, 2n ** 64n - 1n]) expect(set.has(key)).toBe(false);
    expect(SettledKeys.empty().has(3n)).toBe(false);
  });
});

describe('a planner given the keys of an earlier one', () => {
  const records = [
    record('S-1'),
    record('S-2', { firstname: 'Ida' }),
    record('S-3', { classes: [{ school: 'gym1', name: '6b' }] }),
    record('S-4'),
    record('S-5', { schools: ['gym1', 'rs2'], classes: [{ school: 'rs2', name: '7c' }] }),
    // Its schools out of order: the entry holds them sorted.
    record('S-6', { schools: ['rs2', 'gym1'], classes: [{ school: 'rs2', name: '7c' }] }),
  ];
  const users: DirectoryUser[] = [
    directoryUser('S-1', { entryCSN: 'a' }),
    directoryUser('S-2', {
      firstname: 'Ida',
      commonName: 'Ida Meier',
      displayName: 'Ida Meier',
      entryCSN: 'b',
    }),
    directoryUser('S-3', { entryCSN: 'c' }),
    // Two schools: unchanged by the full comparison, so settled as well.
    directoryUser('S-5', {
      schools: ['gym1', 'rs2'],
      roles: ['student:school:gym1', 'student:school:rs2'],
      entryCSN: 'e',
    }),
    directoryUser('S-6', {
      dn: `uid=us-6,ou=people,ou=rs2,${TEST_BASE_DN}`,
      schools: ['gym1', 'rs2'],
      roles: ['student:school:gym1', 'student:school:rs2'],
      entryCSN: 'f',
    }),
    // Not in the roster: its grace decision is always made from the whole entry.
    directoryUser('S-9', { entryCSN: 'd' }),
  ];
  const rest: SnapshotRest = {
    groups: [],
    danglingMembers: [],
    existingContainers: [],
    taken: { usernames: users.map((user) => user.username), emails: [], uidNumbers: [], gidNumbers: [] },
  };
  const planner = (settled?: SettledKeys) =>
    new ImportPlanner({
      config,
      roster: {
        file: 'r.csv',
        records,
        invalidRecordUids: [],
        problems: [],
        rowCount: records.length,
        complete: true,
      },
      now: NOW,
      scope: new Scope([]),
      noDelete: false,
      maxDeletions: config.safety.max_deletions,
      reservations: [],
      heldBasis: false,
      collectSettled: true,
      ...(settled !== undefined ? { settled } : {}),
    });

  it('collects the users that hold their rows and plans them from the listing as the full run does', async () => {
    const full = planner();
    for (const user of users) full.addUser(user);
    const fullPlan = await full.finish(rest);
    const keys = full.settledKeys();
    // S-1, S-2, S-5 and S-6 hold their rows; S-3's classes differ only in its groups, so it holds its row too.
    expect(keys?.size).toBe(5);
    expect(fullPlan.unchanged).toBe(5);

    const incremental = planner(keys);
    const read: string[] = [];
    for (const user of users) {
      const listed = {
        dn: user.dn,
        username: user.username,
        recordUid: user.recordUid,
        entryCSN: user.entryCSN,
      };
      if (incremental.addListedUser(listed) === undefined) {
        read.push(user.recordUid);
        incremental.addUser(user);
      }
    }
    expect(read).toEqual(['S-9']);
    expect(incremental.listedAsSettled).toBe(5);
    const incrementalPlan = await incremental.finish(rest);
    expect(incrementalPlan.actions).toEqual(fullPlan.actions);
    expect(incrementalPlan.unchanged).toBe(fullPlan.unchanged);
    expect(incrementalPlan.safety).toEqual(fullPlan.safety);
    expect(incremental.settledKeys()?.keys).toEqual(keys?.keys);
  });

  it('reads a user whose entry has another CSN', () => {
    const full = planner();
    for (const user of users) full.addUser(user);
    const incremental = planner(full.settledKeys());
    const [first] = users;
    if (!first) throw new Error('a user expected');
    const listed = { dn: first.dn, username: first.username, recordUid: first.recordUid, entryCSN: 'a' };
    expect(incremental.addListedUser({ ...listed, entryCSN: 'a2' })).toBeUndefined();
    expect(incremental.addListedUser(listed)).toEqual(['gym1']);
  });
});

describe('the settled file', () => {
  let dir: string | undefined;
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  const basis: SettledBasis = { configDigest: 'd', version: '1.0.0', sourceUid: 'sis', schools: [] };

  it('gives back what was saved under the same basis, and nothing under another or when damaged', async () => {
    dir = await mkdtemp(join(tmpdir(), 'rostersync-settled-'));
    const path = join(dir, 'settled', 'sis.keys');
    expect(await loadSettled(path, basis)).toBe('none saved');
    const keys = BigUint64Array.from([1n, 5n, 2n ** 63n]);
    await saveSettled(path, basis, keys, 4, NOW);
    expect(await loadSettled(path, basis)).toEqual({ keys, inScope: 4 });
    for (const other of [
      { configDigest: 'e' },
      { version: '1.0.1' },
      { sourceUid: 'x' },
      { schools: ['gym1'] },
    ]) {
      expect(await loadSettled(path, { ...basis, ...other })).toBe(
        'saved under another config, version or scope',
      );
    }
    const content = await readFile(path);
    await writeFile(path, content.subarray(0, content.length - 3));
    expect(await loadSettled(path, basis)).toBe('unreadable');
    await writeFile(path, 'no header');
    expect(await loadSettled(path, basis)).toBe('unreadable');
    await writeFile(path, '{"format":1,"keys":0}\n');
    expect(await loadSettled(path, basis)).toBe('unreadable');
  });
});
