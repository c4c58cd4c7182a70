/**
 * rostersync against a replicated directory: two slapds in multi-provider syncrepl on loopback. What one
 * run writes to either provider reaches the other as it is (the same subtree, the same entryUUIDs), and
 * what the server decides at bind follows: a new user logs in on the provider the run did not write to, a
 * user rostersync locked on one provider is refused on the other. No `--now` decides a bind: the import
 * runs on the real clock, and only the purge is moved past the grace period.
 */
import { Client } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ReplicatedPair, startReplicatedPair } from '../../testkit/replication.js';
import { dumpDifference, dumpSubtree } from '../support/dump.js';
import { type Entry, many, one } from '../support/grace-helpers.js';
import { type ImportFixture, importFixture, type RosterRow } from '../support/import.js';
import { canBind } from '../support/ldap.js';
import { plusDays, today } from '../support/real-clock.js';

const s1: RosterRow = {
  id: 'S-1',
  first: 'Jan',
  last: 'Meier',
  schools: 'gym1',
  role: 'student',
  classes: '5a',
};
const s2: RosterRow = {
  id: 'S-2',
  first: 'Eva',
  last: 'Kurz',
  schools: 'gym1',
  role: 'student',
  classes: '5a',
};
const s3: RosterRow = {
  id: 'S-3',
  first: 'Tom',
  last: 'Bach',
  schools: 'gym1',
  role: 'student',
  classes: '5a',
};
const t1: RosterRow = {
  id: 'T-1',
  first: 'Ute',
  last: 'Lange',
  schools: 'gym1',
  role: 'teacher',
  classes: '5a',
};
const s4: RosterRow = {
  id: 'S-4',
  first: 'Ida',
  last: 'Roth',
  schools: 'gym1',
  role: 'student',
  classes: '5b',
};

/** The admin lock rostersync sets on deactivation (SPEC §3). */
const ADMIN_LOCK = '000001010000Z';

describe('a multi-provider pair', () => {
  let pair: ReplicatedPair;
  let fx: ImportFixture;
  /** The fixture's subtree as each provider holds it. */
  const on = (server: 'provider1' | 'provider2') => ({ ...fx.tree, url: pair[server].url });

  /** A user of the fixture's subtree read from one provider, with operational attributes. */
  async function userOn(server: 'provider1' | 'provider2', recordUid: string): Promise<Entry | undefined> {
    const client = new Client({ url: pair[server].url });
    try {
      await client.bind(fx.tree.adminDn, fx.tree.adminPassword);
      const { searchEntries } = await client.search(fx.tree.baseDn, {
        scope: 'sub',
        filter: `(&(objectClass=inetOrgPerson)(rostersyncRecordUid=${recordUid}))`,
        attributes: ['*', '+'],
      });
      const [entry] = searchEntries;
      if (entry === undefined) return undefined;
      return Object.fromEntries(
        Object.entries(entry).map(([name, value]) => [
          name,
          Array.isArray(value) ? value.map(String) : String(value),
        ]),
      );
    } finally {
      await client.unbind().catch(() => {});
    }
  }

  async function mustUserOn(server: 'provider1' | 'provider2', recordUid: string): Promise<Entry> {
    const entry = await userOn(server, recordUid);
    if (entry === undefined) throw new Error(`no user ${recordUid} on ${server}`);
    return entry;
  }

  /** Whether the user logs in on that provider with its initial password from the passwords file. */
  async function bindsOn(server: 'provider1' | 'provider2', entry: Entry): Promise<boolean> {
    const password = (await fx.passwords()).get(one(entry, 'uid') ?? '');
    if (password === undefined) throw new Error(`no initial password for ${one(entry, 'uid')}`);
    return canBind(pair[server].url, one(entry, 'dn') ?? '', password);
  }

  /** The runs write to this provider (same state_dir: one rostersync host). */
  const writeTo = (server: 'provider1' | 'provider2') => fx.editConfig({ ldap: { url: pair[server].url } });

  async function expectSameSubtree(): Promise<void> {
    await pair.waitForSync();
    const [left, right] = await Promise.all([dumpSubtree(on('provider1')), dumpSubtree(on('provider2'))]);
    expect(dumpDifference(left, right, ['provider1', 'provider2'])).toBe('');
    expect(left).toBe(right);
  }

  beforeAll(async () => {
    pair = await startReplicatedPair();
    fx = await importFixture('replication', { server: pair.provider1 });
  }, 30_000);
  afterAll(async () => {
    await fx?.dispose();
    await pair?.stop();
  });

  it('an import on provider 1 reaches provider 2 whole; a new user logs in there', async () => {
    await fx.writeRoster([s1, s2, s3, t1]);
    const result = await fx.runImport();
    expect(result.code, result.stderr).toBe(0);

    await expectSameSubtree();
    const onProvider1 = await mustUserOn('provider1', 'S-1');
    const onProvider2 = await mustUserOn('provider2', 'S-1');
    // Replicated, not made again: the entry the import added is the one provider 2 holds.
    expect(one(onProvider2, 'entryUUID')).toBe(one(onProvider1, 'entryUUID'));
    expect(await bindsOn('provider2', onProvider2)).toBe(true);
  });

  it('an import and a purge on provider 2 reach provider 1', async () => {
    await writeTo('provider2');
    // S-1 changes class, S-3 leaves (grace 0: locked now, purged in 30 days), S-4 is new.
    await fx.writeRoster([{ ...s1, classes: '5b' }, s2, t1, s4]);
    const result = await fx.runImport();
    expect(result.code, result.stderr).toBe(0);

    await expectSameSubtree();
    const s4OnProvider1 = await mustUserOn('provider1', 'S-4');
    expect(await bindsOn('provider1', s4OnProvider1)).toBe(true);
    const s1OnProvider1 = await mustUserOn('provider1', 'S-1');
    const class5b = (await fx.groups()).find((group) => group.cn === 'gym1-5b');
    expect(many(class5b, 'member').map((dn) => dn.toLowerCase())).toContain(
      String(one(s1OnProvider1, 'dn')).toLowerCase(),
    );
    const s3OnProvider1 = await mustUserOn('provider1', 'S-3');
    expect(one(s3OnProvider1, 'pwdAccountLockedTime')).toBe(ADMIN_LOCK);
    expect(await bindsOn('provider1', s3OnProvider1)).toBe(false);

    const purge = await fx.run(['purge', '--config', fx.configPath, '--now', plusDays(today(), 31)]);
    expect(purge.code, purge.stderr).toBe(0);
    await expectSameSubtree();
    expect(await userOn('provider1', 'S-3')).toBeUndefined();
    // Out of its class group on provider 1 as well, not only gone.
    const class5a = (await fx.groups()).find((group) => group.cn === 'gym1-5a');
    expect(many(class5a, 'member').map((dn) => dn.toLowerCase())).not.toContain(
      String(one(s3OnProvider1, 'dn')).toLowerCase(),
    );
  });

  it('a user locked on provider 1 is refused at bind on provider 2', async () => {
    await writeTo('provider1');
    const before = await mustUserOn('provider2', 'S-2');
    // The initial password works on provider 2 until the lock arrives: the refusal below is the lock's.
    expect(await bindsOn('provider2', before)).toBe(true);

    await fx.writeRoster([{ ...s1, classes: '5b' }, t1, s4]);
    const result = await fx.runImport();
    expect(result.code, result.stderr).toBe(0);
    expect(one(await mustUserOn('provider1', 'S-2'), 'pwdAccountLockedTime')).toBe(ADMIN_LOCK);

    await expectSameSubtree();
    const after = await mustUserOn('provider2', 'S-2');
    expect(one(after, 'pwdAccountLockedTime')).toBe(ADMIN_LOCK);
    expect(await bindsOn('provider2', after)).toBe(false);
  });
});
