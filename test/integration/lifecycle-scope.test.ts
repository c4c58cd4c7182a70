/**
 * Whom a lifecycle run may touch, and when it must not run at all (SPEC §5, §7): a rule sees only this
 * source's users in its roles (default `purge.roles`); the run's deactivations and deletions count against
 * `safety.max_deletions` (over it: exit 3, no write, no mail; `--max-deletions` overrides it); `--rule` runs
 * one rule, and the printed plan and `--summary-json` carry each rule's lists; a held run lock is exit 4.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { ADMIN_LOCK_TIME } from '../../src/dates.js';
import type { RunSummary } from '../../src/apply/summary.js';
import { RunLock } from '../../src/state/lock.js';
import { daysAgo, type LifecycleFixture, lifecycleFixture } from '../support/lifecycle.js';
import {
  addressOf,
  dryPlan,
  entryCsns,
  listed,
  listsOf,
  logIn,
  person,
} from '../support/lifecycle-helpers.js';
import { silentLogger } from '../support/logging.js';

const OTHER = 'O-1';

describe('lifecycle scope, safety limit, --rule and the summary', () => {
  let fx: LifecycleFixture;
  beforeAll(async () => {
    fx = await lifecycleFixture('lc-scope', {
      config: {
        purge: { roles: ['student'] },
        safety: { max_deletions: 1 },
        lifecycle: {
          rules: [
            // No roles: purge.roles, i.e. students only.
            { name: 'lock-stale', trigger: 'no_login', days: 30, action: 'deactivate' },
            { name: 'mail-teachers', trigger: 'no_login', days: 30, action: 'notify', roles: ['teacher'] },
            { name: 'mail-students', trigger: 'no_login', days: 30, action: 'notify', roles: ['student'] },
          ],
        },
      },
    });
    await fx.writeRoster([person('S-1'), person('S-2'), person('S-3'), person('T-1', 'teacher')]);
    expect((await fx.runImport()).code).toBe(0);
    // A user of another source in the same place, stale as well, with an address.
    await fx.tree.client.add(`uid=o.other,ou=people,ou=gym1,${fx.tree.baseDn}`, {
      objectClass: ['inetOrgPerson', 'rostersyncUser'],
      uid: 'o.other',
      cn: 'O Other',
      sn: 'Other',
      mail: addressOf(OTHER),
      userPassword: 'office-password',
      rostersyncSourceUid: 'office',
      rostersyncRecordUid: OTHER,
      rostersyncRole: 'student:school:gym1',
      rostersyncSchool: 'gym1',
    });
    await logIn(fx, ['S-1', 'S-2', 'S-3', 'T-1']);
    expect(await fx.canBind(`uid=o.other,ou=people,ou=gym1,${fx.tree.baseDn}`, 'office-password')).toBe(true);
    await fx.age({
      'S-1': { pwdLastSuccess: daysAgo(30) },
      'S-2': { pwdLastSuccess: daysAgo(45) },
      'S-3': { pwdLastSuccess: daysAgo(2) },
      'T-1': { pwdLastSuccess: daysAgo(30) },
      [OTHER]: { pwdLastSuccess: daysAgo(45) },
    });
  }, 60_000);
  afterAll(async () => {
    await fx?.dispose();
  });

  it('a rule sees only its roles (default purge.roles) and never another source’s user', async () => {
    // Two deactivations of four users in scope, over the limit of 1: the dry run says so with exit 3.
    const plan = await dryPlan(fx, [], 3);
    expect(plan.safety).toMatchObject({ removals: 2, inScope: 4, limit: 1, exceeded: true });
    expect(plan.rules.map((rule) => rule.rule)).toEqual(['lock-stale', 'mail-teachers', 'mail-students']);
    // Default roles = purge.roles: the stale teacher is not lock-stale's.
    expect(listsOf(plan, 'lock-stale')).toEqual({ candidates: ['S-3'], ready: ['S-1', 'S-2'] });
    expect(listsOf(plan, 'mail-teachers')).toEqual({ warn: ['T-1'] });
    // roles: [student]: no teacher; the students lock-stale acts on wait for the next run.
    expect(listsOf(plan, 'mail-students')).toEqual({ candidates: ['S-1', 'S-2', 'S-3'] });
    expect(listed(plan, 'mail-students', 'candidates', 'S-1').note).toMatch(/lock-stale/);
    const touched = plan.actions.map((action) => ('recordUid' in action ? action.recordUid : undefined));
    expect(touched).not.toContain(OTHER);
    expect(JSON.stringify(plan)).not.toContain('o.other');
  });

  it('over safety.max_deletions: exit 3, nothing written, no mail', async () => {
    const before = await entryCsns(fx);
    const result = await fx.lifecycle();
    expect(result.code, result.stderr).toBe(3);
    expect(result.stderr).toContain('safety limit');
    expect(await entryCsns(fx)).toEqual(before);
    expect(fx.smtp.received).toHaveLength(0);
  });

  it('--rule runs that rule alone; its plan and summary carry only its lists', async () => {
    const plan = await dryPlan(fx, ['--rule', 'mail-teachers']);
    expect(plan.rules.map((rule) => rule.rule)).toEqual(['mail-teachers']);
    expect(plan.actions.map((action) => action.kind)).toEqual(['warn']);

    const before = await entryCsns(fx);
    const summaryFile = join(fx.dir, 'teachers-summary.json');
    const result = await fx.lifecycle(['--rule', 'mail-teachers', '--summary-json', summaryFile]);
    expect(result.code, result.stderr).toBe(0);
    expect(fx.smtp.received.map((mail) => mail.to)).toEqual([[addressOf('T-1')]]);
    expect((await fx.user('T-1'))?.rostersyncWarningRule).toBe('mail-teachers');
    // lock-stale did not run: the due students stay as they were.
    expect({ ...(await entryCsns(fx)), 'T-1': before['T-1'] }).toEqual(before);
    const summary = JSON.parse(await readFile(summaryFile, 'utf8')) as RunSummary;
    expect(Object.keys(summary.rules ?? {})).toEqual(['mail-teachers']);
    expect(summary.rules?.['mail-teachers']).toMatchObject({ warn: 1, ready: 0, candidates: 0 });
  });

  it('--max-deletions lets the run through: the due students are locked, the other source is not', async () => {
    const before = await entryCsns(fx);
    const summaryFile = join(fx.dir, 'summary.json');
    const result = await fx.lifecycle(['--max-deletions', '5', '--summary-json', summaryFile]);
    expect(result.code, result.stderr).toBe(0);
    for (const id of ['S-1', 'S-2']) {
      const user = await fx.user(id);
      expect(user?.pwdAccountLockedTime, id).toBe(ADMIN_LOCK_TIME);
      expect(user?.rostersyncDeactivatedTimestamp, id).toMatch(/^\d{14}Z$/);
    }
    // T-1 was mailed by its notify rule already; nobody else gets mail (lock-stale has S-1 and S-2).
    expect(fx.smtp.received).toHaveLength(1);
    expect({ ...(await entryCsns(fx)), 'S-1': before['S-1'], 'S-2': before['S-2'] }).toEqual(before);
    expect((await fx.user(OTHER))?.pwdAccountLockedTime).toBeUndefined();

    const summary = JSON.parse(await readFile(summaryFile, 'utf8')) as RunSummary;
    expect(summary.exitCode).toBe(0);
    expect(summary.totals.deactivate).toBe(2);
    expect(summary.rules?.['lock-stale']).toMatchObject({ ready: 2 });
    expect(summary.rules?.['mail-teachers']).toMatchObject({ warned: 1, warn: 0 });
    expect(summary.rules?.['mail-students']).toMatchObject({ warn: 0, ready: 0 });
  });

  it('while another run holds the lock: exit 4, nothing written', async () => {
    // Something for the run to do: S-3 is due now.
    await fx.age({ 'S-3': { pwdLastSuccess: daysAgo(31) } });
    const { config } = await loadConfig({ configPath: fx.configPath, env: {} });
    const lock = await RunLock.acquire(config, 'import', silentLogger);
    try {
      const before = await entryCsns(fx);
      const mails = fx.smtp.received.length;
      const result = await fx.lifecycle();
      expect(result.code, result.stderr).toBe(4);
      expect(result.stderr).toContain(`pid ${process.pid}`);
      expect(await entryCsns(fx)).toEqual(before);
      expect(fx.smtp.received).toHaveLength(mails);
    } finally {
      await lock.release();
    }
    const result = await fx.lifecycle();
    expect(result.code, result.stderr).toBe(0);
    expect((await fx.user('S-3'))?.pwdAccountLockedTime).toBe(ADMIN_LOCK_TIME);
  });
});
