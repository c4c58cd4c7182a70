/** `rostersync keep` against slapd: the warning is lifted and the clock restarted; an import that reactivates a user clears them all. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Attribute, Change } from 'ldapts';
import { type ImportFixture, importFixture, type RosterRow } from '../support/import.js';

const EVA: RosterRow = {
  id: 'S-1',
  first: 'Eva',
  last: 'Kurz',
  schools: 'gym1',
  role: 'student',
  classes: '5a',
};
const TOM: RosterRow = {
  id: 'S-2',
  first: 'Tom',
  last: 'Lind',
  schools: 'gym1',
  role: 'student',
  classes: '5a',
};

describe('rostersync keep', () => {
  let fx: ImportFixture;
  beforeAll(async () => {
    fx = await importFixture('keep');
    await fx.writeRoster([EVA, TOM]);
    expect((await fx.runImport()).code).toBe(0);
    const eva = await fx.user('S-1');
    // A warning as the lifecycle job records it once the SMTP server took the mail.
    await fx.tree.client.modify(String(eva?.dn), [
      new Change({
        operation: 'replace',
        modification: new Attribute({ type: 'rostersyncWarningTimestamp', values: ['20261101080000Z'] }),
      }),
      new Change({
        operation: 'replace',
        modification: new Attribute({ type: 'rostersyncWarningRule', values: ['stale'] }),
      }),
    ]);
  });
  afterAll(async () => {
    await fx?.dispose();
  });

  it('a dry run shows the plan and writes nothing', async () => {
    const dry = await fx.run(['keep', '--config', fx.configPath, 'e.kurz', '--dry-run', '--format', 'json']);
    expect(dry.code, dry.stderr).toBe(0);
    const plan = JSON.parse(dry.stdout) as { job: string; actions: { kind: string; username: string }[] };
    expect(plan.job).toBe('keep');
    expect(plan.actions.map((action) => [action.kind, action.username])).toEqual([['keep', 'e.kurz']]);
    expect((await fx.user('S-1'))?.rostersyncWarningRule).toBe('stale');
  });

  it('by username and by record uid: warning gone, kept timestamp now; an unknown name exits 1', async () => {
    const result = await fx.run(['keep', '--config', fx.configPath, 'e.kurz', 'S-2', 'nobody']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("no user of source sis-test has the username or record uid 'nobody'");
    const eva = await fx.user('S-1');
    expect(eva?.rostersyncWarningTimestamp).toBeUndefined();
    expect(eva?.rostersyncWarningRule).toBeUndefined();
    expect(eva?.rostersyncKeptTimestamp).toMatch(/^\d{14}Z$/);
    expect((await fx.user('S-2'))?.rostersyncKeptTimestamp).toMatch(/^\d{14}Z$/);
    const audit = (await fx.auditLines()).filter((line) => line.action === 'modify');
    expect(audit.map((line) => line.dn)).toEqual(expect.arrayContaining([eva?.dn]));
  });

  it('an import that reactivates a user clears its lifecycle marks too', async () => {
    // Tom leaves the roster (grace 0/30: locked now), is warned and kept meanwhile, and comes back.
    await fx.writeRoster([EVA]);
    expect((await fx.runImport()).code).toBe(0);
    const tom = await fx.user('S-2');
    expect(tom?.pwdAccountLockedTime).toBeDefined();
    await fx.tree.client.modify(String(tom?.dn), [
      new Change({
        operation: 'replace',
        modification: new Attribute({ type: 'rostersyncWarningTimestamp', values: ['20261101080000Z'] }),
      }),
      new Change({
        operation: 'replace',
        modification: new Attribute({ type: 'rostersyncWarningRule', values: ['stale'] }),
      }),
    ]);
    await fx.writeRoster([EVA, TOM]);
    expect((await fx.runImport()).code).toBe(0);
    const back = await fx.user('S-2');
    expect(back?.pwdAccountLockedTime).toBeUndefined();
    expect(back?.rostersyncWarningTimestamp).toBeUndefined();
    expect(back?.rostersyncWarningRule).toBeUndefined();
    expect(back?.rostersyncKeptTimestamp).toBeUndefined();
  });
});
