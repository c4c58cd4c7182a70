/**
 * A directory whose rostersync schema was loaded by an older version (here: without rostersyncRuleMail,
 * which lifecycle rules that mail now write): `config check --connect` says so, and a lifecycle run whose
 * rules mail refuses before it sends or writes anything, instead of mailing again on every run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderSchemaFile } from '../../src/schema/index.js';
import { student } from '../support/lifecycle-helpers.js';
import { daysAgo, type LifecycleFixture, lifecycleFixture } from '../support/lifecycle.js';

/** The current schema without rostersyncRuleMail: what a server set up by the version before has. */
function schemaBeforeRuleMail(): string {
  const current = renderSchemaFile();
  const start = current.indexOf('attributetype', current.indexOf('rostersyncLeaseJob'));
  const end = current.indexOf('objectclass', start);
  const older = `${current.slice(0, start)}${current.slice(end)}`.replace(' $ rostersyncRuleMail', '');
  expect(older).not.toContain('rostersyncRuleMail');
  return older;
}

describe('a schema older than this version', () => {
  let fx: LifecycleFixture;
  beforeAll(async () => {
    fx = await lifecycleFixture('lc-old-schema', {
      slapd: { schemaFile: schemaBeforeRuleMail() },
      config: {
        lifecycle: { rules: [{ name: 'notice', trigger: 'no_login', days: 100, action: 'notify' }] },
      },
    });
    await fx.writeRoster([student('S-1', 'Eva', 'eva@school.example')]);
    expect((await fx.runImport()).code).toBe(0);
    await fx.age({ 'S-1': { pwdLastSuccess: daysAgo(200) } });
  }, 60_000);
  afterAll(async () => {
    await fx?.dispose();
  });

  it('config check --connect names what is missing', async () => {
    const check = await fx.run(['config', 'check', '--config', fx.configPath, '--connect']);
    expect(check.code).not.toBe(0);
    expect(check.stderr).toMatch(
      /schema: the schema loaded is older than this version, it lacks rostersyncRuleMail/,
    );
  });

  it('a lifecycle run whose rules mail stops with exit 2: no mail, no write', async () => {
    const before = (await fx.auditLines()).length;
    const result = await fx.lifecycle();
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain("the directory's rostersync schema is older than this version");
    expect(fx.smtp.received).toEqual([]);
    expect((await fx.auditLines()).length).toBe(before);
  });
});
