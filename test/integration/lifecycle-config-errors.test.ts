/**
 * Bad lifecycle and mail settings stop `rostersync lifecycle` before anything happens: exit 2, the key or file
 * named, no mail sent and nothing written — with a user due for a warning, so a run that went ahead would show.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { csns, logIn, student } from '../support/lifecycle-helpers.js';
import { daysAgo, type LifecycleFixture, lifecycleFixture } from '../support/lifecycle.js';

const RULE = { name: 'inactive', trigger: 'no_login', days: 365, warning_days: 30 };

type Edit = (config: Record<string, unknown>, dir: string) => void;
const mailOf = (config: Record<string, unknown>) => config.mail as Record<string, unknown>;

const CASES: { what: string; edit: Edit; names: (files: { dir: string; config: string }) => string[] }[] = [
  {
    what: 'an unknown trigger',
    edit: (config) => (config.lifecycle = { rules: [{ ...RULE, trigger: 'no_logins' }] }),
    names: ({ config }) => [`${config}: lifecycle.rules[0].trigger`, 'expected one of: no_login'],
  },
  {
    what: 'a rule without days',
    edit: (config) =>
      (config.lifecycle = { rules: [{ name: 'inactive', trigger: 'no_login', warning_days: 30 }] }),
    names: ({ config }) => [`${config}: lifecycle.rules[0].days`],
  },
  {
    what: 'no template for the default language',
    edit: (config) => (mailOf(config).default_language = 'fr'),
    names: () => ['mail.default_language', 'warning.fr.txt'],
  },
  {
    what: 'an unreadable SMTP password file',
    edit: (config, dir) => {
      const smtp = mailOf(config).smtp as Record<string, unknown>;
      smtp.user = 'rostersync';
      smtp.password_file = join(dir, 'no-such-secret');
    },
    names: ({ dir }) => ['mail.smtp.password_file', join(dir, 'no-such-secret')],
  },
  {
    what: 'an unknown language',
    edit: (config) => (mailOf(config).default_language = 'x1'),
    names: () => ['mail.default_language', "'x1'"],
  },
  {
    what: 'no mail settings while a rule warns',
    edit: (config) => delete config.mail,
    names: () => ['mail: required', 'inactive'],
  },
];

describe('lifecycle: bad settings are exit 2, nothing sent', () => {
  let fx: LifecycleFixture;
  let base: Record<string, unknown>;
  beforeAll(async () => {
    fx = await lifecycleFixture('lc-config-errors', { config: { lifecycle: { rules: [RULE] } } });
    await fx.writeRoster([student('S-1', 'Eva', 'eva@school.example')]);
    expect((await fx.runImport()).code).toBe(0);
    await logIn(fx, ['S-1']);
    await fx.age({ 'S-1': { pwdLastSuccess: daysAgo(340) } });
    base = parse(await readFile(fx.configPath, 'utf8')) as Record<string, unknown>;
    // With the settings as they are, a run would warn Eva.
    const dry = await fx.lifecycle(['--dry-run', '--format', 'json']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('e.test');
  }, 60_000);
  afterAll(async () => {
    await fx?.dispose();
  });

  it.each(CASES)('$what', async ({ what, edit, names }) => {
    const config = structuredClone(base);
    edit(config, fx.dir);
    const path = join(fx.dir, `${what.replaceAll(' ', '-')}.yaml`);
    await writeFile(path, stringify(config));
    const before = await csns(fx);

    const result = await fx.run(['lifecycle', '--config', path]);
    expect(result.code, result.stderr).toBe(2);
    for (const name of names({ dir: fx.dir, config: path })) expect(result.stderr).toContain(name);
    expect(fx.smtp.received).toHaveLength(0);
    expect(await csns(fx)).toEqual(before);
    expect((await fx.user('S-1'))?.rostersyncWarningRule).toBeUndefined();
  });
});

describe('lifecycle --rule with templates of other rules', () => {
  let fx: LifecycleFixture;
  beforeAll(async () => {
    fx = await lifecycleFixture('lc-rule-templates', {
      config: {
        lifecycle: {
          rules: [RULE, { name: 'never', trigger: 'never_logged_in', days: 90, warning_days: 14 }],
        },
      },
    });
  }, 60_000);
  afterAll(async () => {
    await fx?.dispose();
  });

  it("accepts templates_dir holding another mailing rule's template", async () => {
    const templates = join(fx.dir, 'templates');
    await mkdir(templates);
    await writeFile(join(templates, 'never.en.txt'), 'Subject: {username}\n\nNever used: {date}\n');
    await fx.editConfig({ mail: { templates_dir: templates } });
    const result = await fx.lifecycle(['--rule', 'inactive', '--dry-run']);
    expect(result.code, result.stderr).toBe(0);
  });
});
