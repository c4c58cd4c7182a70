/**
 * `rostersync lifecycle` end to end on a slapd of its own: users made by an import, logins by real binds,
 * their times moved offline, warnings received by a real SMTP server.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { daysAgo, type LifecycleFixture, lifecycleFixture } from '../support/lifecycle.js';
import type { RosterRow } from '../support/import.js';

const row = (id: string, first: string, email?: string): RosterRow => ({
  id,
  first,
  last: 'Test',
  schools: 'gym1',
  role: 'student',
  classes: '5a',
  ...(email ? { email } : {}),
});

describe('rostersync lifecycle: warn, then act', () => {
  let fx: LifecycleFixture;
  beforeAll(async () => {
    fx = await lifecycleFixture('lifecycle-run', {
      config: {
        lifecycle: { rules: [{ name: 'inactive', trigger: 'no_login', days: 365, warning_days: 30 }] },
      },
    });
    await fx.editConfig({ output: { metrics_file: join(fx.dir, 'rostersync.prom') } });
    await fx.writeRoster([
      row('S-1', 'Eva', 'eva@school.example'),
      row('S-2', 'Tom', 'tom@school.example'),
      row('S-3', 'Ann'),
    ]);
    expect((await fx.runImport()).code).toBe(0);
    const passwords = await fx.passwords();
    for (const id of ['S-1', 'S-2', 'S-3']) {
      const user = await fx.user(id);
      expect(await fx.canBind(String(user?.dn), passwords.get(String(user?.uid)) ?? '')).toBe(true);
    }
    await fx.age({
      'S-1': { pwdLastSuccess: daysAgo(340) },
      'S-2': { pwdLastSuccess: daysAgo(10) },
      'S-3': { pwdLastSuccess: daysAgo(400) },
    });
  }, 60_000);
  afterAll(async () => {
    await fx?.dispose();
  });

  it('a dry run lists, sends nothing and writes nothing', async () => {
    const before = (await fx.users()).map((user) => user.entryCSN);
    const dry = await fx.lifecycle(['--dry-run', '--format', 'json']);
    expect(dry.code, dry.stderr).toBe(0);
    const plan = JSON.parse(dry.stdout) as {
      rules: { rule: string; lists: Record<string, { username: string }[]> }[];
    };
    const lists = plan.rules[0]?.lists ?? {};
    expect(lists.warn?.map((user) => user.username)).toEqual(['e.test']);
    expect(lists.unwarnable?.map((user) => user.username)).toEqual(['a.test']);
    expect(lists.candidates?.map((user) => user.username)).toEqual(['t.test']);
    expect(fx.smtp.received).toHaveLength(0);
    expect((await fx.users()).map((user) => user.entryCSN)).toEqual(before);
  });

  it('warns by mail and records it; a second run the same day sends and writes nothing', async () => {
    const result = await fx.lifecycle();
    expect(result.code, result.stderr).toBe(0);
    expect(fx.smtp.received.map((mail) => mail.to)).toEqual([['eva@school.example']]);
    expect(fx.smtp.received[0]?.headers.get('auto-submitted')).toBe('auto-generated');
    const eva = await fx.user('S-1');
    expect(eva?.rostersyncWarningRule).toBe('inactive');
    expect(eva?.rostersyncWarningTimestamp).toMatch(/^\d{14}Z$/);
    expect(result.stderr).toContain('a.test cannot be warned');

    const before = (await fx.users()).map((user) => user.entryCSN);
    const again = await fx.lifecycle();
    expect(again.code, again.stderr).toBe(0);
    expect(fx.smtp.received).toHaveLength(1);
    expect((await fx.users()).map((user) => user.entryCSN)).toEqual(before);
  });

  it('status and the metrics show the lifecycle runs', async () => {
    const status = await fx.run(['status', '--config', fx.configPath, '--format', 'json']);
    expect(status.code, status.stderr).toBe(0);
    const records = JSON.parse(status.stdout) as Record<string, { job: string; exitCode: number }>;
    expect(Object.values(records).find((record) => record.job === 'lifecycle')?.exitCode).toBe(0);
    const metrics = await readFile(join(fx.dir, 'rostersync.prom'), 'utf8');
    expect(metrics).toContain('rostersync_last_run_success{job="lifecycle",source="sis-test"} 1');
  });
});
