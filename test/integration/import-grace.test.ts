/**
 * The deletion grace period (SPEC §4.5, every row of the table) against the real server, with `--now`
 * moving the clock: what the entry holds afterwards, whether the server lets the user bind, sticky dates,
 * deletions before creations, and the `action` column. Where the server's own clock decides (a user whose
 * end date lies ahead can still bind), `--now` is today and the expected dates are counted from it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ImportFixture, importFixture, type RosterRow } from '../support/import.js';
import {
  ACTION_MAPPING,
  adminModify,
  auditFor,
  bindsWithInitialPassword,
  groupMembers,
  importExpecting,
  mustUser,
  one,
  planOf,
  writeActionRoster,
} from '../support/grace-helpers.js';
import { dayStart, nowStamp, plusDays, today } from '../support/real-clock.js';

/** Today by the real clock, once for the whole file (a run across midnight keeps its dates). */
const TODAY = today();

const s1: RosterRow = {
  id: 'S-1',
  first: 'Paula',
  last: 'Becker',
  schools: 'gym1',
  role: 'student',
  classes: '5a',
  email: 'paula.becker@schule.example',
};
const s2: RosterRow = {
  id: 'S-2',
  first: 'Max',
  last: 'Weber',
  schools: 'gym1',
  role: 'student',
  classes: '5a',
};
const s3: RosterRow = {
  id: 'S-3',
  first: 'Lena',
  last: 'Hoffmann',
  schools: 'rs2',
  role: 'student',
  email: 'lena.hoffmann@schule.example',
};

const PURGE_ATTRIBUTES = [
  'rostersyncPurgeTimestamp',
  'rostersyncMissingSince',
  'rostersyncDeactivatedTimestamp',
  'pwdAccountLockedTime',
  'pwdEndTime',
];

async function setUp(
  name: string,
  grace: { deactivation: number; deletion: number },
  extra = {},
  now = '2026-11-23',
) {
  const fx = await importFixture(name, { config: { deletion_grace_period: grace, ...extra } });
  await fx.writeRoster([s1, s2, s3]);
  await importExpecting(fx, 0, ['--now', now]);
  return fx;
}

describe('deletion = 0: deleted during the import', () => {
  let fx: ImportFixture;
  beforeAll(async () => {
    fx = await setUp('grace-del0', { deactivation: 0, deletion: 0 });
  });
  afterAll(async () => {
    await fx.dispose();
  });

  it('deletes the entry, takes it out of its class group and reserves its username', async () => {
    const before = await mustUser(fx, 'S-1');
    const dn = one(before, 'dn') ?? '';
    expect(await groupMembers(fx, 'gym1-5a')).toContain(dn.toLowerCase());

    await fx.writeRoster([s2, s3]);
    await importExpecting(fx, 0, ['--now', '2026-11-23']);

    expect(await fx.user('S-1')).toBeUndefined();
    const { searchEntries } = await fx.tree.client.search(fx.tree.baseDn, {
      scope: 'sub',
      filter: `(&(objectClass=inetOrgPerson)(uid=${one(before, 'uid')}))`,
    });
    expect(searchEntries).toEqual([]);
    expect(await groupMembers(fx, 'gym1-5a')).not.toContain(dn.toLowerCase());
    expect(await groupMembers(fx, 'gym1-5a')).toHaveLength(1);

    const reserved = await fx.tree.client.search(`ou=rostersync-reserved-usernames,${fx.tree.baseDn}`, {
      scope: 'one',
      filter: `(uid=${one(before, 'uid')})`,
      attributes: ['objectClass', 'uid'],
    });
    expect(reserved.searchEntries).toHaveLength(1);
    expect(reserved.searchEntries[0]?.objectClass).toContain('account');
  });

  it('frees the e-mail address of a deleted user for a user created in the same run', async () => {
    // S-3 leaves and a new user takes its address, in one and the same run.
    const leaving = await mustUser(fx, 'S-3');

    const newcomer: RosterRow = {
      id: 'N-1',
      first: 'Nora',
      last: 'Schulz',
      schools: 'rs2',
      role: 'teacher',
      email: 'lena.hoffmann@schule.example',
    };
    await fx.writeRoster([s2, newcomer]);
    await importExpecting(fx, 0, ['--now', '2026-11-24']);

    expect(await fx.user('S-3')).toBeUndefined();
    const created = await mustUser(fx, 'N-1');
    expect(one(created, 'mail')).toBe('lena.hoffmann@schule.example');
    const audit = await fx.auditLines();
    const deleteAt = audit.findIndex((line) => line.action === 'delete' && line.dn === one(leaving, 'dn'));
    const addAt = audit.findIndex((line) => line.action === 'add' && line.dn === one(created, 'dn'));
    expect(deleteAt).toBeGreaterThanOrEqual(0);
    expect(addAt).toBeGreaterThan(deleteAt);
  });
});

describe('deletion = 0 with scheme.reserve_deleted: false', () => {
  let fx: ImportFixture;
  beforeAll(async () => {
    fx = await setUp(
      'grace-del0-noreserve',
      { deactivation: 0, deletion: 0 },
      { scheme: { reserve_deleted: false } },
    );
  });
  afterAll(async () => {
    await fx.dispose();
  });

  it('deletes the entry and reserves nothing', async () => {
    const before = await mustUser(fx, 'S-1');
    await fx.writeRoster([s2, s3]);
    await importExpecting(fx, 0, ['--now', '2026-11-23']);
    expect(await fx.user('S-1')).toBeUndefined();
    const { searchEntries } = await fx.tree.client.search(fx.tree.baseDn, {
      scope: 'sub',
      filter: `(uid=${one(before, 'uid')})`,
    });
    expect(searchEntries).toEqual([]);
  });
});

describe('0 < deletion <= deactivation (7/14): stays active, purge scheduled', () => {
  let fx: ImportFixture;
  beforeAll(async () => {
    fx = await setUp('grace-7-14', { deactivation: 14, deletion: 7 }, {}, TODAY);
  });
  afterAll(async () => {
    await fx.dispose();
  });

  it('sets the purge timestamp to the start of today + 7 days in the zone and leaves the user active', async () => {
    await fx.writeRoster([s2, s3]);
    await importExpecting(fx, 0, ['--now', TODAY]);
    const user = await mustUser(fx, 'S-1');
    expect(one(user, 'rostersyncPurgeTimestamp')).toBe(dayStart(plusDays(TODAY, 7)));
    expect(one(user, 'rostersyncMissingSince')).toBe(nowStamp(TODAY));
    expect(user.pwdAccountLockedTime).toBeUndefined();
    expect(user.pwdEndTime).toBeUndefined();
    expect(user.rostersyncDeactivatedTimestamp).toBeUndefined();
    expect(await bindsWithInitialPassword(fx, user)).toBe(true);
    // The server can select due users by the purge timestamp.
    const due = await fx.tree.client.search(fx.tree.baseDn, {
      scope: 'sub',
      filter: `(rostersyncPurgeTimestamp<=${nowStamp(plusDays(TODAY, 7))})`,
      attributes: ['rostersyncRecordUid'],
    });
    expect(due.searchEntries.map((entry) => entry.rostersyncRecordUid)).toEqual(['S-1']);
  });

  it('keeps the purge timestamp when a later import still misses the user', async () => {
    const before = await mustUser(fx, 'S-1');
    const auditBefore = (await fx.auditLines()).length;
    await importExpecting(fx, 0, ['--now', plusDays(TODAY, 5)]);
    const after = await mustUser(fx, 'S-1');
    for (const attribute of PURGE_ATTRIBUTES) expect(after[attribute]).toEqual(before[attribute]);
    expect((await fx.auditLines()).length).toBe(auditBefore);
  });
});

describe('0 < deletion <= deactivation across a DST switch', () => {
  let fx: ImportFixture;
  beforeAll(async () => {
    fx = await importFixture('grace-dst', {
      config: { deletion_grace_period: { deactivation: 7, deletion: 7 } },
    });
    await fx.writeRoster([s1, s2]);
    await importExpecting(fx, 0, ['--now', '2026-03-20']);
  });
  afterAll(async () => {
    await fx.dispose();
  });

  it('counts calendar days: 2026-03-25 + 7 days is 2026-04-01 00:00 CEST', async () => {
    await fx.writeRoster([s2]);
    await importExpecting(fx, 0, ['--now', '2026-03-25']);
    const user = await mustUser(fx, 'S-1');
    expect(one(user, 'rostersyncPurgeTimestamp')).toBe('20260331220000Z');
  });
});

describe('deletion > deactivation = 0 (0/30): locked now', () => {
  let fx: ImportFixture;
  beforeAll(async () => {
    fx = await setUp('grace-0-30', { deactivation: 0, deletion: 30 });
  });
  afterAll(async () => {
    await fx.dispose();
  });

  it('sets the admin lock, the bind fails, and the purge timestamp is today + 30 days', async () => {
    const user0 = await mustUser(fx, 'S-1');
    expect(await bindsWithInitialPassword(fx, user0)).toBe(true);
    await fx.writeRoster([s2, s3]);
    await importExpecting(fx, 0, ['--now', '2026-11-23']);
    const user = await mustUser(fx, 'S-1');
    expect(one(user, 'dn')).toBe(one(user0, 'dn'));
    expect(one(user, 'pwdAccountLockedTime')).toBe('000001010000Z');
    expect(one(user, 'rostersyncPurgeTimestamp')).toBe('20261222230000Z');
    expect(one(user, 'rostersyncMissingSince')).toBe('20261123000000Z');
    expect(one(user, 'rostersyncDeactivatedTimestamp')).toBeDefined();
    expect(user.pwdEndTime).toBeUndefined();
    expect(await bindsWithInitialPassword(fx, user)).toBe(false);
    // The others are untouched.
    expect(await bindsWithInitialPassword(fx, await mustUser(fx, 'S-2'))).toBe(true);
  });

  it('keeps the dates and the lock when a later import still misses the user', async () => {
    const before = await mustUser(fx, 'S-1');
    const auditBefore = await fx.auditLines();
    await importExpecting(fx, 0, ['--now', '2026-11-28']);
    const after = await mustUser(fx, 'S-1');
    for (const attribute of PURGE_ATTRIBUTES) expect(after[attribute]).toEqual(before[attribute]);
    expect(auditFor((await fx.auditLines()).slice(auditBefore.length), one(after, 'dn') ?? '')).toEqual([]);
  });
});

describe('deletion > deactivation > 0 (7/30): server-enforced end date', () => {
  let fx: ImportFixture;
  beforeAll(async () => {
    fx = await setUp('grace-7-30', { deactivation: 7, deletion: 30 }, {}, TODAY);
  });
  afterAll(async () => {
    await fx.dispose();
  });

  it('sets pwdEndTime to the start of today + 7 and the purge timestamp to today + 30; still active now', async () => {
    await fx.writeRoster([s2, s3]);
    await importExpecting(fx, 0, ['--now', TODAY]);
    const user = await mustUser(fx, 'S-1');
    expect(one(user, 'pwdEndTime')).toBe(dayStart(plusDays(TODAY, 7)));
    expect(one(user, 'rostersyncPurgeTimestamp')).toBe(dayStart(plusDays(TODAY, 30)));
    expect(one(user, 'rostersyncMissingSince')).toBe(nowStamp(TODAY));
    expect(user.pwdAccountLockedTime).toBeUndefined();
    // The end date lies ahead by the server's clock too.
    expect(await bindsWithInitialPassword(fx, user)).toBe(true);
  });

  it('does not move MissingSince, pwdEndTime or the purge timestamp five days later; no writes for the user', async () => {
    const before = await mustUser(fx, 'S-1');
    const auditBefore = (await fx.auditLines()).length;
    await importExpecting(fx, 0, ['--now', plusDays(TODAY, 5)]);
    const after = await mustUser(fx, 'S-1');
    expect(one(after, 'pwdEndTime')).toBe(dayStart(plusDays(TODAY, 7)));
    expect(one(after, 'rostersyncPurgeTimestamp')).toBe(dayStart(plusDays(TODAY, 30)));
    expect(one(after, 'rostersyncMissingSince')).toBe(nowStamp(TODAY));
    for (const attribute of PURGE_ATTRIBUTES) expect(after[attribute]).toEqual(before[attribute]);
    expect(auditFor((await fx.auditLines()).slice(auditBefore), one(after, 'dn') ?? '')).toEqual([]);
  });

  it('the server refuses the bind once the end date has passed', async () => {
    // The server enforces pwdEndTime by its own clock: an import "in 2020" sets an end date long past.
    const user0 = await mustUser(fx, 'S-2');
    expect(await bindsWithInitialPassword(fx, user0)).toBe(true);
    await fx.writeRoster([s3]);
    await importExpecting(fx, 0, ['--now', '2020-01-01']);
    const user = await mustUser(fx, 'S-2');
    expect(one(user, 'pwdEndTime')).toBe('20200107230000Z');
    expect(one(user, 'rostersyncPurgeTimestamp')).toBe('20200130230000Z');
    expect(user.pwdAccountLockedTime).toBeUndefined();
    expect(await bindsWithInitialPassword(fx, user)).toBe(false);
  });
});

describe('deletion > deactivation > 0 (7/30) for a user with a later end date set by hand', () => {
  let fx: ImportFixture;
  beforeAll(async () => {
    fx = await setUp('grace-7-30-admin', { deactivation: 7, deletion: 30 });
  });
  afterAll(async () => {
    await fx.dispose();
  });

  it('still ends the account by today + 7 days: an admin end date years later must not keep it open', async () => {
    const user0 = await mustUser(fx, 'S-1');
    // Years ahead of the server's clock, whatever day the test runs.
    const adminEnd = dayStart(plusDays(TODAY, 3 * 365));
    await adminModify(fx, one(user0, 'dn') ?? '', 'add', 'pwdEndTime', [adminEnd]);
    expect(await bindsWithInitialPassword(fx, user0)).toBe(true);
    await fx.writeRoster([s2, s3]);
    // Today + 7 days is long past by the server's clock.
    await importExpecting(fx, 0, ['--now', '2020-01-01']);
    const user = await mustUser(fx, 'S-1');
    expect(one(user, 'rostersyncPurgeTimestamp')).toBe('20200130230000Z');
    expect(await bindsWithInitialPassword(fx, user)).toBe(false);
  });
});

describe('a mapped action column', () => {
  let fx: ImportFixture;
  beforeAll(async () => {
    fx = await importFixture('grace-action', {
      config: { csv: { mapping: ACTION_MAPPING }, tolerate_errors: 2 },
    });
    await writeActionRoster(fx, [s1, s2, s3]);
    await importExpecting(fx, 0, ['--now', '2026-11-23']);
  });
  afterAll(async () => {
    await fx.dispose();
  });

  it('D takes out a user that is in the roster; A for an existing and M for a missing user are problems', async () => {
    const newcomer = { id: 'N-1', first: 'Tom', last: 'Kraus', schools: 'gym1', role: 'student', act: 'A' };
    const ghost = { id: 'X-9', first: 'Ida', last: 'Roth', schools: 'gym1', role: 'student', act: 'M' };
    const rows = [
      { ...s1, act: 'D' },
      { ...s2, last: 'Wagner', act: 'A' },
      { ...s3, last: 'Hofmann', act: 'M' },
      newcomer,
      ghost,
    ];
    await writeActionRoster(fx, rows);

    const dry = await fx.runImport(['--now', '2026-11-24', '--dry-run', '--format', 'json']);
    expect(dry.code).toBe(0);
    const plan = planOf(dry.stdout);
    expect(plan.problems.map((problem) => problem.recordUid).sort()).toEqual(['S-2', 'X-9']);
    expect(plan.actions.find((action) => 'recordUid' in action && action.recordUid === 'S-1')?.kind).toBe(
      'deactivate',
    );

    await importExpecting(fx, 0, ['--now', '2026-11-24']);
    const removed = await mustUser(fx, 'S-1');
    expect(one(removed, 'pwdAccountLockedTime')).toBe('000001010000Z');
    expect(one(removed, 'rostersyncPurgeTimestamp')).toBe('20261223230000Z');
    expect(await bindsWithInitialPassword(fx, removed)).toBe(false);
    // A for an existing user: the row is skipped, the user is neither changed nor removed.
    const kept = await mustUser(fx, 'S-2');
    expect(one(kept, 'sn')).toBe('Weber');
    expect(kept.rostersyncMissingSince).toBeUndefined();
    expect(kept.pwdAccountLockedTime).toBeUndefined();
    // M for an existing user modifies it; A for a new user creates it; M for a missing one creates nothing.
    expect(one(await mustUser(fx, 'S-3'), 'sn')).toBe('Hofmann');
    expect(await fx.user('N-1')).toBeDefined();
    expect(await fx.user('X-9')).toBeUndefined();
  });
});

describe('a mapped action column under --no-delete', () => {
  let fx: ImportFixture;
  beforeAll(async () => {
    fx = await importFixture('grace-action-no-delete', {
      config: { csv: { mapping: ACTION_MAPPING } },
    });
    await writeActionRoster(fx, [s1, s2, s3]);
    await importExpecting(fx, 0, ['--now', '2026-11-23']);
  });
  afterAll(async () => {
    await fx.dispose();
  });

  it("a row's D is carried out; a user missing from the roster is left as it is", async () => {
    // S-1 says D, S-2 is missing, S-3 stays.
    await writeActionRoster(fx, [{ ...s1, act: 'D' }, s3]);

    const dry = await fx.runImport(['--now', '2026-11-24', '--no-delete', '--dry-run', '--format', 'json']);
    expect(dry.code).toBe(0);
    const kinds = planOf(dry.stdout)
      .actions.filter((action) => 'recordUid' in action)
      .map((action) => [action.recordUid, action.kind]);
    expect(kinds).toEqual([['S-1', 'deactivate']]);

    await importExpecting(fx, 0, ['--now', '2026-11-24', '--no-delete']);
    const removed = await mustUser(fx, 'S-1');
    expect(one(removed, 'pwdAccountLockedTime')).toBe('000001010000Z');
    expect(one(removed, 'rostersyncPurgeTimestamp')).toBe('20261223230000Z');
    const missing = await mustUser(fx, 'S-2');
    expect(missing.pwdAccountLockedTime).toBeUndefined();
    expect(missing.rostersyncPurgeTimestamp).toBeUndefined();
    expect(missing.rostersyncMissingSince).toBeUndefined();
  });
});

describe('--now as a bare date west of Greenwich', () => {
  it('is that day in the zone: the grace days count from it, not from the evening before', async () => {
    const fx = await importFixture('grace-west', {
      config: { timezone: 'America/New_York', deletion_grace_period: { deactivation: 0, deletion: 30 } },
    });
    try {
      await fx.writeRoster([s1, s2]);
      await importExpecting(fx, 0, ['--now', '2026-11-23']);
      await fx.writeRoster([s1]);
      await importExpecting(fx, 0, ['--now', '2026-11-23']);
      // 2026-11-23 + 30 days, 00:00 in New York (UTC−5); the evening before would give 2026-12-22.
      expect(one(await mustUser(fx, 'S-2'), 'rostersyncPurgeTimestamp')).toBe('20261223050000Z');
    } finally {
      await fx.dispose();
    }
  });
});
