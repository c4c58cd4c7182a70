/**
 * What stops or limits removals (SPEC §4.2, §4.5, §4.6): the safety limit in all its forms, rows that
 * failed validation, and `--no-delete` / `no_delete`. Checked on the directory and the audit log.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ImportFixture, importFixture, type RosterRow } from '../support/import.js';
import {
  auditFor,
  type Entry,
  importExpecting,
  mustUser,
  one,
  planOf,
  updateConfig,
} from '../support/grace-helpers.js';

const student = (n: number): RosterRow => ({
  id: `S-${n}`,
  first: `Kim${String.fromCharCode(96 + n)}`,
  last: 'Berger',
  schools: 'gym1',
  role: 'student',
  classes: '5a',
});
const [s1, s2, s3, s4] = [1, 2, 3, 4].map(student) as [RosterRow, RosterRow, RosterRow, RosterRow];

/** The user entries, keyed by record uid, without operational attributes that change on a bind. */
async function snapshot(fx: ImportFixture): Promise<Record<string, Entry>> {
  const out: Record<string, Entry> = {};
  for (const user of await fx.users()) {
    const { pwdLastSuccess: _lastSuccess, ...rest } = user;
    out[one(user, 'rostersyncRecordUid') ?? ''] = rest;
  }
  return out;
}

async function setUp(name: string, config: Record<string, unknown>): Promise<ImportFixture> {
  const fx = await importFixture(name, { config });
  await fx.writeRoster([s1, s2, s3, s4]);
  await importExpecting(fx, 0, ['--now', '2026-11-23']);
  return fx;
}

describe('safety.max_deletions as a count', () => {
  let fx: ImportFixture;
  beforeAll(async () => {
    fx = await setUp('safety-count', { safety: { max_deletions: 1 } });
  });
  afterAll(async () => {
    await fx.dispose();
  });

  it('stops a plan that would remove two users with exit 3 and writes nothing', async () => {
    const before = await snapshot(fx);
    const auditBefore = (await fx.auditLines()).length;
    await fx.writeRoster([s3, s4]);
    const result = await fx.runImport(['--now', '2026-11-24']);
    expect(result.code).toBe(3);
    expect((await fx.auditLines()).length).toBe(auditBefore);
    expect(await snapshot(fx)).toEqual(before);
  });

  it('stops a dry run the same way (exit 3) and shows why', async () => {
    const result = await fx.runImport(['--now', '2026-11-24', '--dry-run', '--format', 'json']);
    expect(result.code).toBe(3);
    const plan = planOf(result.stdout);
    expect(plan.safety).toMatchObject({ removals: 2, inScope: 4, limit: 1, exceeded: true });
  });

  it('lets the same plan through with --max-deletions 2', async () => {
    await importExpecting(fx, 0, ['--now', '2026-11-24', '--max-deletions', '2']);
    expect(one(await mustUser(fx, 'S-1'), 'pwdAccountLockedTime')).toBe('000001010000Z');
    expect(one(await mustUser(fx, 'S-2'), 'pwdAccountLockedTime')).toBe('000001010000Z');
    expect((await mustUser(fx, 'S-3')).pwdAccountLockedTime).toBeUndefined();
  });

  it('counts only new removals: users deactivated before are not counted again', async () => {
    // S-1 and S-2 are already deactivated; one more missing user is within the limit of 1.
    await fx.writeRoster([s4]);
    await importExpecting(fx, 0, ['--now', '2026-11-25']);
    expect(one(await mustUser(fx, 'S-3'), 'pwdAccountLockedTime')).toBe('000001010000Z');
  });
});

describe('safety.max_deletions as a percentage', () => {
  let fx: ImportFixture;
  beforeAll(async () => {
    fx = await setUp('safety-percent', { safety: { max_deletions: '50%' } });
  });
  afterAll(async () => {
    await fx.dispose();
  });

  it('stops 3 of 4 users (more than 50%) and lets 2 of 4 through', async () => {
    const before = await snapshot(fx);
    const auditBefore = (await fx.auditLines()).length;
    await fx.writeRoster([s4]);
    expect((await fx.runImport(['--now', '2026-11-24'])).code).toBe(3);
    expect((await fx.auditLines()).length).toBe(auditBefore);
    expect(await snapshot(fx)).toEqual(before);

    await fx.writeRoster([s3, s4]);
    await importExpecting(fx, 0, ['--now', '2026-11-24']);
    expect(one(await mustUser(fx, 'S-1'), 'pwdAccountLockedTime')).toBe('000001010000Z');
    expect(one(await mustUser(fx, 'S-2'), 'pwdAccountLockedTime')).toBe('000001010000Z');
  });

  it('takes a percentage on the command line too', async () => {
    await fx.writeRoster([]);
    // S-3 and S-4 are the new removals: 2 of 4 in scope; 25% allows 1.
    expect((await fx.runImport(['--now', '2026-11-25', '--max-deletions', '25%'])).code).toBe(3);
    expect((await mustUser(fx, 'S-3')).pwdAccountLockedTime).toBeUndefined();
    await importExpecting(fx, 0, ['--now', '2026-11-25', '--max-deletions', '100%']);
    expect(one(await mustUser(fx, 'S-4'), 'pwdAccountLockedTime')).toBe('000001010000Z');
  });
});

describe('the safety limit counts every kind of removal', () => {
  const kinds = [
    { kind: 'delete', grace: { deactivation: 0, deletion: 0 } },
    { kind: 'schedule-deletion', grace: { deactivation: 14, deletion: 7 } },
    { kind: 'deactivate', grace: { deactivation: 0, deletion: 30 } },
    { kind: 'deactivate', grace: { deactivation: 7, deletion: 30 } },
  ];
  for (const { kind, grace } of kinds) {
    it(`${kind} (deactivation ${grace.deactivation}, deletion ${grace.deletion})`, async () => {
      const fx = await setUp(`safety-${kind}`, {
        safety: { max_deletions: 1 },
        deletion_grace_period: grace,
      });
      try {
        const before = await snapshot(fx);
        const auditBefore = (await fx.auditLines()).length;
        await fx.writeRoster([s3, s4]);
        const dry = await fx.runImport(['--now', '2026-11-24', '--dry-run', '--format', 'json']);
        expect(dry.code).toBe(3);
        const plan = planOf(dry.stdout);
        expect(plan.actions.filter((action) => action.kind === kind)).toHaveLength(2);
        expect((await fx.runImport(['--now', '2026-11-24'])).code).toBe(3);
        expect((await fx.auditLines()).length).toBe(auditBefore);
        expect(await snapshot(fx)).toEqual(before);

        await importExpecting(fx, 0, ['--now', '2026-11-24', '--max-deletions', '2']);
        const after = await snapshot(fx);
        for (const recordUid of ['S-1', 'S-2']) {
          if (kind === 'delete') expect(after[recordUid]).toBeUndefined();
          else expect(after[recordUid]?.rostersyncPurgeTimestamp).toBeDefined();
        }
      } finally {
        await fx.dispose();
      }
    });
  }
});

describe('rows that fail validation', () => {
  let fx: ImportFixture;
  beforeAll(async () => {
    fx = await setUp('safety-bad-row', {});
  });
  afterAll(async () => {
    await fx.dispose();
  });

  const badRoster = (): RosterRow[] => [{ ...s1, email: 'not-an-address' }, { ...s2, last: 'Neumann' }, s3];

  it('with tolerate_errors 0: exit 1 and nothing written', async () => {
    const before = await snapshot(fx);
    const auditBefore = (await fx.auditLines()).length;
    await fx.writeRoster(badRoster());
    const result = await fx.runImport(['--now', '2026-11-24']);
    expect(result.code).toBe(1);
    expect((await fx.auditLines()).length).toBe(auditBefore);
    expect(await snapshot(fx)).toEqual(before);
  });

  it('with tolerate_errors 1: the bad row keeps its user, the rest is applied, exit 0', async () => {
    await updateConfig(fx, { tolerate_errors: 1 });
    const user1 = await mustUser(fx, 'S-1');
    const auditBefore = (await fx.auditLines()).length;
    await fx.writeRoster(badRoster());
    await importExpecting(fx, 0, ['--now', '2026-11-24']);

    const kept = await mustUser(fx, 'S-1');
    expect(kept.pwdAccountLockedTime).toBeUndefined();
    expect(kept.rostersyncMissingSince).toBeUndefined();
    expect(kept.rostersyncPurgeTimestamp).toBeUndefined();
    expect(kept.mail).toBeUndefined();
    const newLines = (await fx.auditLines()).slice(auditBefore);
    expect(auditFor(newLines, one(user1, 'dn') ?? '')).toEqual([]);
    // The other changes: S-2 renamed, S-4 (missing) deactivated.
    expect(one(await mustUser(fx, 'S-2'), 'sn')).toBe('Neumann');
    expect(one(await mustUser(fx, 'S-4'), 'pwdAccountLockedTime')).toBe('000001010000Z');
  });
});

describe('--no-delete and no_delete', () => {
  let fx: ImportFixture;
  beforeAll(async () => {
    fx = await setUp('safety-no-delete', { deletion_grace_period: { deactivation: 0, deletion: 0 } });
  });
  afterAll(async () => {
    await fx.dispose();
  });

  it('--no-delete leaves missing users untouched and applies the rest', async () => {
    const missing = await mustUser(fx, 'S-1');
    const auditBefore = (await fx.auditLines()).length;
    await fx.writeRoster([s2, { ...s3, last: 'Lang' }, s4]);
    const dry = await fx.runImport(['--now', '2026-11-24', '--no-delete', '--dry-run', '--format', 'json']);
    expect(dry.code).toBe(0);
    expect(planOf(dry.stdout).safety.removals).toBe(0);
    await importExpecting(fx, 0, ['--now', '2026-11-24', '--no-delete']);
    expect(await mustUser(fx, 'S-1')).toEqual(missing);
    expect(auditFor((await fx.auditLines()).slice(auditBefore), one(missing, 'dn') ?? '')).toEqual([]);
    expect(one(await mustUser(fx, 'S-3'), 'sn')).toBe('Lang');
  });

  it('no_delete: true in the config does the same', async () => {
    await updateConfig(fx, { no_delete: true });
    const missing = await mustUser(fx, 'S-1');
    const auditBefore = (await fx.auditLines()).length;
    await fx.writeRoster([s2, s3]);
    await importExpecting(fx, 0, ['--now', '2026-11-25']);
    expect(await mustUser(fx, 'S-1')).toEqual(missing);
    expect(await mustUser(fx, 'S-4')).toBeDefined();
    expect((await fx.auditLines()).slice(auditBefore).filter((line) => line.action === 'delete')).toEqual([]);
  });
});
