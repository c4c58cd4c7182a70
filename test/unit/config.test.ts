import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { packageRoot } from '../../src/config/files.js';
import {
  DEFAULT_WIPE_ATTRIBUTES,
  attributeName,
  type Config,
  ConfigError,
  DEFAULT_ATTRIBUTE_NAMES,
  outputPaths,
  parseConfig,
  parseMaxDeletions,
} from '../../src/config/index.js';
import { knownKeysAt } from '../../src/config/introspect.js';
import { FILE_PATH_KEYS } from '../../src/config/paths.js';

const REQUIRED = { source_uid: 'district', ldap: { base_dn: 'dc=example,dc=org' } };

/** Required keys plus `extra`, one level deep-merged (enough for these tests). */
function withRequired(extra: Record<string, unknown> = {}): Record<string, unknown> {
  const ldap = (extra.ldap ?? {}) as Record<string, unknown>;
  return { ...REQUIRED, ...extra, ldap: { ...REQUIRED.ldap, ...ldap } };
}

function issuesOf(raw: unknown): string[] {
  try {
    parseConfig(raw, 'test.yaml');
  } catch (error) {
    if (error instanceof ConfigError) return error.issues.map((issue) => `${issue.path}: ${issue.message}`);
    throw error;
  }
  return [];
}

describe('parseConfig defaults', () => {
  const config = parseConfig(withRequired(), 'test.yaml');

  it('fills every documented default', () => {
    expect(config.ldap).toEqual({
      url: 'ldap://localhost',
      base_dn: 'dc=example,dc=org',
      users_dn: 'ou=people,{base_dn}',
      groups_dn: 'ou=groups,{base_dn}',
      profile: 'openldap',
      posix: false,
      starttls: false,
      tls: { reject_unauthorized: true },
      attributes: {},
      page_size: 500,
      concurrency: 16,
      timeout_ms: 10000,
    });
    expect(config.roles).toEqual(['student', 'teacher', 'staff', 'school_admin']);
    expect(config.schools).toBeUndefined();
    expect(config.csv).toEqual({
      mapping: {},
      delimiter: 'auto',
      encoding: 'utf-8',
      multi_value_separator: ',',
      role_values: {},
    });
    expect(config.scheme).toEqual({
      username: '<firstname>[0].<lastname>[COUNTER2]',
      max_length: 20,
      reserve_deleted: true,
    });
    expect(config.deletion_grace_period).toEqual({ deactivation: 0, deletion: 90 });
    expect(config.no_delete).toBe(false);
    expect(config.tolerate_errors).toBe(0);
    expect(config.safety.max_deletions).toEqual({ kind: 'percent', percent: 10 });
    expect(config.password).toEqual({ hash: 'ssha', set_via: 'add', length: 16, must_change: false });
    expect(config.output).toEqual({ log_level: 'info', log_format: 'auto' });
    expect(config.state_dir).toBe('/var/lib/rostersync');
    expect(config.purge).toEqual({ roles: ['student', 'teacher', 'staff'], mode: 'delete' });
    expect(config.classes).toEqual({ group_name: '{school}-{class}' });
    expect(config.hooks).toEqual([]);
    expect(config.daemon).toEqual({ schedules: {} });
    expect(config.lifecycle).toEqual({ rules: [] });
    expect(config.mail).toBeUndefined();
    expect(config.retirement).toEqual({
      username_prefix: 'retired__user_',
      email_prefix: 'retired__user_',
      email_domain: 'retired.invalid',
      hash: 'sha1',
      wipe_attributes: [...DEFAULT_WIPE_ATTRIBUTES],
      states: [
        'PENDING',
        'RETIRING_ARCHIVE',
        'ARCHIVE_COMPLETE',
        'RETIRING_GROUPS',
        'GROUPS_COMPLETE',
        'RETIRING_DIRECTORY',
        'DIRECTORY_COMPLETE',
        'ERRORED',
        'ABORTED',
        'COMPLETE',
      ],
    });
    expect(config.archive).toEqual({});
    expect(config.ownership).toEqual({ last_owner: 'inherit' });
  });

  it("defaults timezone to the system's zone", () => {
    expect(config.timezone).toBe(Intl.DateTimeFormat().resolvedOptions().timeZone);
  });

  it('derives output paths from state_dir', () => {
    expect(outputPaths(config)).toEqual({
      passwordsFile: '/var/lib/rostersync/passwords.csv',
      auditLog: '/var/lib/rostersync/audit.jsonl',
      metricsFile: undefined,
    });
    const custom = parseConfig(
      withRequired({ state_dir: '/srv/rs', output: { metrics_file: '/m.prom' } }),
      't',
    );
    expect(outputPaths(custom)).toEqual({
      passwordsFile: '/srv/rs/passwords.csv',
      auditLog: '/srv/rs/audit.jsonl',
      metricsFile: '/m.prom',
    });
  });
});

describe('shipped config files', () => {
  const root = packageRoot();

  it('config/default.yaml agrees with the schema defaults', async () => {
    const shipped = parseYaml(await readFile(join(root, 'config', 'default.yaml'), 'utf8')) as Record<
      string,
      unknown
    >;
    const fromShipped = parseConfig(
      { ...shipped, ...REQUIRED, ldap: { ...(shipped.ldap as object), ...REQUIRED.ldap } },
      'default.yaml',
    );
    expect(fromShipped).toEqual(parseConfig(REQUIRED, 'test'));
  });

  it('config/example.yaml parses and documents every key', async () => {
    const text = await readFile(join(root, 'config', 'example.yaml'), 'utf8');
    const example = parseConfig(parseYaml(text), 'example.yaml');
    expect(example.source_uid).toBe('school-district-roster');
    for (const key of allKeyPaths()) {
      const leaf = key.split('.').at(-1) ?? key;
      expect(text, `example.yaml mentions ${key}`).toMatch(new RegExp(`^\\s*(- )?${leaf}:`, 'm'));
    }
  });
});

/** Every fixed key of the schema, as dotted paths (records and lists are not descended). */
function allKeyPaths(prefix: string[] = []): string[] {
  const keys = knownKeysAt(prefix) ?? [];
  return keys.flatMap((key) => {
    const path = [...prefix, key];
    // ldap.attributes' keys are the rostersync attribute names, documented in a comment.
    const below = path.join('.') === 'ldap.attributes' ? [] : allKeyPaths(path);
    return [path.join('.'), ...below];
  });
}

describe('validation messages name the key', () => {
  it('rejects a negative grace period with the exact message', () => {
    expect(() => parseConfig(withRequired({ deletion_grace_period: { deletion: -1 } }), 'a.yaml')).toThrow(
      'a.yaml: deletion_grace_period.deletion: expected a whole number of days ≥ 0',
    );
    expect(issuesOf(withRequired({ deletion_grace_period: { deactivation: 1.5, deletion: '30' } }))).toEqual([
      'deletion_grace_period.deactivation: expected a whole number of days ≥ 0',
      'deletion_grace_period.deletion: expected a whole number of days ≥ 0',
    ]);
  });

  it('reports an unknown key by name, with a suggestion', () => {
    expect(issuesOf(withRequired({ delection_grace_period: { deletion: 1 } }))).toEqual([
      "delection_grace_period: unknown key 'delection_grace_period' (did you mean 'deletion_grace_period'?)",
    ]);
    expect(issuesOf(withRequired({ ldap: { base_dn: 'dc=x', tls: { ca_fiel: '/ca.pem' } } }))).toEqual([
      "ldap.tls.ca_fiel: unknown key 'ca_fiel' (did you mean 'ca_file'?)",
    ]);
  });

  it('points a password in the file to the file key and the env var', () => {
    const [issue] = issuesOf(withRequired({ ldap: { base_dn: 'dc=x', bind_password: 'hunter2' } }));
    expect(issue).toContain("ldap.bind_password: unknown key 'bind_password'");
    expect(issue).toContain('ldap.bind_password_file');
    expect(issue).toContain('ROSTERSYNC_LDAP_BIND_PASSWORD');
    expect(issue).not.toContain('hunter2');
    const [smtp] = issuesOf(withRequired({ mail: { smtp: { host: 'h', password: 'x' } } }));
    expect(smtp).toContain('use mail.smtp.password_file');
  });

  it('says "required" for missing keys and collects every problem', () => {
    expect(issuesOf({ ldap: {} })).toEqual(['ldap.base_dn: required', 'source_uid: required']);
  });

  it('checks enums, ranges and types', () => {
    expect(
      issuesOf(
        withRequired({
          ldap: { base_dn: 'dc=x', url: 'http://x', profile: 'novell', page_size: 0, posix: 'yes' },
          password: { length: 4, hash: 'md5' },
          csv: { delimiter: ':', mapping: { Name: 'fullname' } },
        }),
      ),
    ).toEqual([
      "ldap.url: expected an URL starting with 'ldap://' or 'ldaps://'",
      'ldap.profile: expected one of: openldap, ad, 389ds',
      "ldap.posix: expected true or false, got the string 'yes'",
      'ldap.page_size: expected a whole number between 1 and 10000',
      "csv.mapping.Name: unknown field 'fullname' (expected one of: record_uid, firstname, lastname, schools, role, classes, email, birthday, username, password, action, or attr:<ldapAttributeName>)",
      'csv.delimiter: expected one of: ,, ;, \t, |, auto',
      'password.hash: expected one of: ssha, argon2',
      'password.length: expected a whole number between 8 and 128',
    ]);
  });

  it('takes the password scheme as LDAP writes it too', () => {
    for (const [given, hash] of [
      ['{SSHA}', 'ssha'],
      ['{ARGON2}', 'argon2'],
      ['SSHA', 'ssha'],
      ['argon2', 'argon2'],
    ]) {
      expect(parseConfig(withRequired({ password: { hash: given } }), 'test').password.hash, given).toBe(
        hash,
      );
    }
    expect(issuesOf(withRequired({ password: { hash: '{MD5}' } }))).toEqual([
      'password.hash: expected one of: ssha, argon2',
    ]);
  });

  it('rejects starttls with ldaps://', () => {
    expect(issuesOf(withRequired({ ldap: { base_dn: 'dc=x', url: 'ldaps://x', starttls: true } }))).toEqual([
      'ldap.starttls: cannot be used with an ldaps:// url (that connection is already TLS)',
    ]);
  });

  it('validates the time zone', () => {
    expect(parseConfig(withRequired({ timezone: 'Europe/Berlin' }), 't').timezone).toBe('Europe/Berlin');
    expect(issuesOf(withRequired({ timezone: 'Mars/Olympus' }))).toEqual([
      "timezone: unknown time zone 'Mars/Olympus' (expected an IANA name such as Europe/Berlin)",
    ]);
  });

  it('validates DN and group name placeholders', () => {
    expect(issuesOf(withRequired({ ldap: { base_dn: 'dc=x', users_dn: 'ou={schol},{base_dn}' } }))).toEqual([
      "ldap.users_dn: unknown placeholder '{schol}' (allowed: {school}, {base_dn})",
    ]);
    expect(issuesOf(withRequired({ classes: { group_name: '{school}-{klasse}' } }))).toEqual([
      "classes.group_name: unknown placeholder '{klasse}' (allowed: {school}, {class})",
    ]);
  });

  it('validates cron expressions and requires import_input for scheduled imports', () => {
    const schedules = { purge: '61 * * * *', import: '0 2 * * *' };
    expect(issuesOf(withRequired({ daemon: { schedules, import_input: '/r.csv' } }))).toEqual([
      "daemon.schedules.purge: not a valid cron expression (node-cron syntax): '61 * * * *'",
    ]);
    expect(issuesOf(withRequired({ daemon: { schedules: { import: '0 2 * * *' } } }))).toEqual([
      'daemon.import_input: required when daemon.schedules.import is set',
    ]);
  });

  it('names list entries with their index', () => {
    const rules = [
      { name: 'a', trigger: 'no_login', days: 10 },
      { name: 'b', trigger: 'idle', days: -3 },
    ];
    expect(issuesOf(withRequired({ lifecycle: { rules } }))).toEqual([
      'lifecycle.rules[1].trigger: expected one of: no_login, never_logged_in, unconfirmed, deactivated, expired',
      'lifecycle.rules[1].days: expected a whole number of days ≥ 0',
    ]);
  });

  it('checks the retirement state list', () => {
    expect(issuesOf(withRequired({ retirement: { states: ['PENDING', 'RETIRING_X', 'COMPLETE'] } }))).toEqual(
      [
        "retirement.states: the last states must be 'ERRORED', 'ABORTED', 'COMPLETE' in that order",
        "retirement.states: 'RETIRING_X' must be followed by 'X_COMPLETE'",
      ],
    );
  });

  it('checks that roles named elsewhere are known roles', () => {
    expect(
      issuesOf(
        withRequired({
          roles: ['student', 'teacher'],
          csv: { role_values: { Lehrer: 'teacher', Putz: 'janitor' } },
          purge: { roles: ['student', 'staff'] },
        }),
      ),
    ).toEqual([
      "purge.roles[1]: 'staff' is not one of roles (student, teacher)",
      "csv.role_values.Putz: 'janitor' is not one of roles (student, teacher)",
    ]);
  });
});

describe('safety.max_deletions', () => {
  const limit = (value: unknown) =>
    parseConfig(withRequired({ safety: { max_deletions: value } }), 't').safety.max_deletions;

  it('accepts a count or a percentage', () => {
    expect(limit(25)).toEqual({ kind: 'count', count: 25 });
    expect(limit(0)).toEqual({ kind: 'count', count: 0 });
    expect(limit('5%')).toEqual({ kind: 'percent', percent: 5 });
    expect(limit('100%')).toEqual({ kind: 'percent', percent: 100 });
    expect(limit('2.5%')).toEqual({ kind: 'percent', percent: 2.5 });
  });

  it.each([-1, 1.5, '101%', '-5%', 'ten', '%', true, null])('rejects %s', (value) => {
    expect(issuesOf(withRequired({ safety: { max_deletions: value } }))).toEqual([
      "safety.max_deletions: expected a whole number ≥ 0 or a percentage 'N%' with 0 ≤ N ≤ 100",
    ]);
  });

  it('parses the --max-deletions override form', () => {
    expect(parseMaxDeletions('7')).toEqual({ kind: 'count', count: 7 });
    expect(parseMaxDeletions('7%')).toEqual({ kind: 'percent', percent: 7 });
    expect(parseMaxDeletions('seven')).toBeUndefined();
  });
});

describe('purge', () => {
  it('derives purge.roles from the effective roles', () => {
    const config = parseConfig(withRequired({ roles: ['pupil', 'school_admin', 'parent'] }), 't');
    expect(config.purge.roles).toEqual(['pupil', 'parent']);
    const explicit = parseConfig(withRequired({ purge: { roles: ['school_admin'] } }), 't');
    expect(explicit.purge.roles).toEqual(['school_admin']);
  });

  it("requires the salts for mode 'retire'", () => {
    expect(issuesOf(withRequired({ purge: { mode: 'retire' } }))).toEqual([
      "retirement.salts_file: required when purge.mode is 'retire': the salts that hash retired names",
    ]);
  });

  it('requires move_to_dn for mode move', () => {
    expect(issuesOf(withRequired({ purge: { mode: 'move' } }))).toEqual([
      "purge.move_to_dn: required when purge.mode is 'move'",
    ]);
    const config = parseConfig(withRequired({ purge: { mode: 'move', move_to_dn: 'ou=gone,dc=x' } }), 't');
    expect(config.purge).toMatchObject({ mode: 'move', move_to_dn: 'ou=gone,dc=x' });
  });
});

describe('ldap.attributes', () => {
  it('maps rostersync attribute names', () => {
    const config: Config = parseConfig(
      withRequired({ ldap: { base_dn: 'dc=x', attributes: { rostersyncRole: 'extensionAttribute3' } } }),
      't',
    );
    expect(attributeName(config, 'rostersyncRole')).toBe('extensionAttribute3');
    expect(attributeName(config, 'rostersyncSchool')).toBe('rostersyncSchool');
    expect(DEFAULT_ATTRIBUTE_NAMES).toContain('rostersyncPurgeTimestamp');
  });

  it('only accepts known rostersync names as keys and distinct targets', () => {
    expect(
      issuesOf(
        withRequired({
          ldap: {
            base_dn: 'dc=x',
            attributes: { rostersyncRoles: 'a', rostersyncRole: 'ext1', rostersyncSchool: 'EXT1' },
          },
        }),
      ),
    ).toEqual([
      "ldap.attributes.rostersyncRoles: unknown key 'rostersyncRoles' (did you mean 'rostersyncRole'?)",
      "ldap.attributes.rostersyncSchool: 'EXT1' is already used for rostersyncRole",
    ]);
  });
});

describe('path keys', () => {
  it('lists every key whose name says it is a file or directory', () => {
    const listed = FILE_PATH_KEYS.map((keys) => keys.join('.'));
    const named = allKeyPaths().filter((key) => /(_file|_dir|^dir|\.dir)$/.test(key));
    for (const key of named) expect(listed).toContain(key);
  });
});
