import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shippedDefaultsPath } from '../../src/config/files.js';
import { ConfigError, type LoadConfigOptions, loadConfig, parseConfig } from '../../src/config/index.js';

const FIXTURES = resolve(dirname(fileURLToPath(import.meta.url)), '../fixtures/config');

/** A `${NAME}` reference as written in config files. */
const varRef = (name: string) => `\${${name}}`;
const fixture = (name: string) => join(FIXTURES, name);
const NO_SYSTEM_FILE = join(FIXTURES, 'does-not-exist.yaml');

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'rostersync-config-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

async function writeScratch(name: string, text: string): Promise<string> {
  const path = join(scratch, name);
  await writeFile(path, text);
  return path;
}

function load(options: LoadConfigOptions) {
  return loadConfig({ env: {}, systemConfigPath: NO_SYSTEM_FILE, ...options });
}

async function loadError(options: LoadConfigOptions): Promise<ConfigError> {
  const error = await load(options).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  if (!(error instanceof ConfigError)) throw new Error(`expected a ConfigError, got ${String(error)}`);
  return error;
}

describe('environment variables that are not config keys', () => {
  it('leaves ROSTERSYNC_WEBHOOK_URL and ROSTERSYNC_HOOK_* to hook modules', async () => {
    const { sources } = await load({
      configPath: fixture('minimal.yaml'),
      env: { ROSTERSYNC_WEBHOOK_URL: 'http://127.0.0.1:9/hook', ROSTERSYNC_HOOK_ARCHIVE_TOKEN: 'x' },
    });
    expect(sources).toEqual([shippedDefaultsPath(), fixture('minimal.yaml')]);
  });
});

describe('loadConfig layering', () => {
  it('yields the schema defaults for a minimal file, and lists its sources', async () => {
    const { config, sources } = await load({ configPath: fixture('minimal.yaml') });
    expect(config).toEqual(
      parseConfig({ source_uid: 'district', ldap: { base_dn: 'dc=example,dc=org' } }, 'minimal.yaml'),
    );
    expect(sources).toEqual([shippedDefaultsPath(), fixture('minimal.yaml')]);
  });

  it('reads JSON config files (tab-indented too)', async () => {
    const { config } = await load({ configPath: fixture('minimal.json') });
    expect(config.ldap.profile).toBe('389ds');
    expect(config.deletion_grace_period).toEqual({ deactivation: 7, deletion: 30 });
    expect(config.purge.roles).toEqual(['student', 'teacher']);
  });

  it('layers defaults < file < env: objects merge, lists replace', async () => {
    const file = await writeScratch(
      'layered.yaml',
      [
        'source_uid: district',
        'ldap: { base_dn: "dc=example,dc=org", page_size: 100, concurrency: 4 }',
        'roles: [student, teacher, school_admin]',
        'deletion_grace_period: { deactivation: 3 }',
      ].join('\n'),
    );
    const { config, sources } = await load({
      configPath: file,
      env: {
        ROSTERSYNC_LDAP__PAGE_SIZE: '250',
        ROSTERSYNC_DELETION_GRACE_PERIOD__DELETION: '30',
        ROSTERSYNC_ROLES: '[student, school_admin]',
        ROSTERSYNC_NO_DELETE: 'true',
        ROSTERSYNC_LDAP__BIND_DN: 'cn=admin,dc=example,dc=org',
        ROSTERSYNC_SAFETY__MAX_DELETIONS: '5%',
        ROSTERSYNC_DAEMON__SCHEDULES__PURGE: '*/5 * * * *',
        ROSTERSYNC_SOURCE_UID: '2024',
        // Text, not a YAML mapping, though it is written in braces.
        ROSTERSYNC_PASSWORD__HASH: '{ARGON2}',
        PATH: '/usr/bin',
      },
    });
    expect(config.password.hash).toBe('argon2');
    expect(config.ldap.page_size).toBe(250); // env over file
    expect(config.ldap.concurrency).toBe(4); // file over default
    expect(config.ldap.url).toBe('ldap://localhost'); // default kept by the object merge
    expect(config.ldap.bind_dn).toBe('cn=admin,dc=example,dc=org');
    expect(config.deletion_grace_period).toEqual({ deactivation: 3, deletion: 30 });
    expect(config.roles).toEqual(['student', 'school_admin']);
    expect(config.purge.roles).toEqual(['student']);
    expect(config.no_delete).toBe(true);
    expect(config.safety.max_deletions).toEqual({ kind: 'percent', percent: 5 });
    expect(config.daemon.schedules.purge).toBe('*/5 * * * *');
    expect(config.source_uid).toBe('2024'); // text keys take env values verbatim
    expect(sources.slice(1)).toEqual(
      [
        file,
        'env ROSTERSYNC_DAEMON__SCHEDULES__PURGE',
        'env ROSTERSYNC_DELETION_GRACE_PERIOD__DELETION',
        'env ROSTERSYNC_LDAP__BIND_DN',
        'env ROSTERSYNC_LDAP__PAGE_SIZE',
        'env ROSTERSYNC_NO_DELETE',
        'env ROSTERSYNC_PASSWORD__HASH',
        'env ROSTERSYNC_ROLES',
        'env ROSTERSYNC_SAFETY__MAX_DELETIONS',
        'env ROSTERSYNC_SOURCE_UID',
      ].sort((a, b) => a.split('__').length - b.split('__').length || a.localeCompare(b)),
    );
  });

  it('names the variable meant when levels are joined by one _ instead of __', async () => {
    await expect(
      load({
        configPath: fixture('minimal.yaml'),
        env: { ROSTERSYNC_LDAP_URL: 'ldap://x', ROSTERSYNC_DELETION_GRACE_PERIOD_DELETION: '3' },
      }),
    ).rejects.toThrow(
      /ROSTERSYNC_DELETION_GRACE_PERIOD_DELETION: not a config key: did you mean ROSTERSYNC_DELETION_GRACE_PERIOD__DELETION\?[\s\S]*ROSTERSYNC_LDAP_URL: not a config key: did you mean ROSTERSYNC_LDAP__URL\?/,
    );
  });

  it('maps env names to camelCase keys and ignores variables handled elsewhere', async () => {
    const { config } = await load({
      configPath: fixture('minimal.yaml'),
      env: {
        ROSTERSYNC_LDAP__ATTRIBUTES__ROSTERSYNCROLE: 'extensionAttribute1',
        ROSTERSYNC_NOW: '2026-01-01T00:00:00Z',
        ROSTERSYNC_CONFIG: '/etc/x.yaml',
        ROSTERSYNC_LDAP_BIND_PASSWORD: 'secret',
      },
    });
    expect(config.ldap.attributes).toEqual({ rostersyncRole: 'extensionAttribute1' });
  });

  it('uses the system config file when no --config is given', async () => {
    const { config, sources } = await loadConfig({ env: {}, systemConfigPath: fixture('minimal.yaml') });
    expect(config.source_uid).toBe('district');
    expect(sources).toContain(fixture('minimal.yaml'));
  });

  it('reports a required key when there is no file at all', async () => {
    const error = await loadError({});
    expect(error.issues).toEqual([
      { source: 'config', path: 'ldap.base_dn', message: 'required' },
      { source: 'config', path: 'source_uid', message: 'required' },
    ]);
    const withFile = await loadError({
      configPath: fixture('typo.yaml'),
      env: { ROSTERSYNC_LDAP__BASE_DN: '' },
    });
    expect(withFile.issues).toContainEqual({
      source: 'env ROSTERSYNC_LDAP__BASE_DN',
      path: 'ldap.base_dn',
      message: 'must not be empty',
    });
  });

  it('fails when --config names a missing file', async () => {
    const error = await loadError({ configPath: join(scratch, 'nope.yaml') });
    expect(error.exitCode).toBe(2);
    expect(error.issues).toEqual([
      {
        source: join(scratch, 'nope.yaml'),
        path: '',
        message: 'cannot read the config file: file not found',
      },
    ]);
  });
});

describe('loadConfig errors', () => {
  it('names an unknown key in a file with its source', async () => {
    const error = await loadError({ configPath: fixture('typo.yaml') });
    expect(error.issues).toEqual([
      {
        source: fixture('typo.yaml'),
        path: 'delection_grace_period',
        message: "unknown key 'delection_grace_period' (did you mean 'deletion_grace_period'?)",
      },
    ]);
    expect(error.message).toContain(
      `${fixture('typo.yaml')}: delection_grace_period: unknown key 'delection_grace_period'`,
    );
  });

  it('names the env variable of an unknown key or a bad value', async () => {
    const error = await loadError({
      configPath: fixture('minimal.yaml'),
      env: { ROSTERSYNC_LDAP__BIND_DNN: 'cn=x', ROSTERSYNC_DELETION_GRACE_PERIOD__DELETION: '-1' },
    });
    expect(error.issues).toEqual([
      {
        source: 'env ROSTERSYNC_LDAP__BIND_DNN',
        path: 'ldap.bind_dnn',
        message: "unknown key 'bind_dnn' (did you mean 'bind_dn'?)",
      },
      {
        source: 'env ROSTERSYNC_DELETION_GRACE_PERIOD__DELETION',
        path: 'deletion_grace_period.deletion',
        message: 'expected a whole number of days ≥ 0',
      },
    ]);
  });

  it('names file, line and column of a YAML syntax error', async () => {
    const error = await loadError({ configPath: fixture('syntax-error.yaml') });
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]?.source).toBe(fixture('syntax-error.yaml'));
    expect(error.issues[0]?.message).toMatch(/^line \d+, column \d+: syntax error: /);
    expect(error.message).toContain(fixture('syntax-error.yaml'));
  });

  it('refuses a password in a config file', async () => {
    const error = await loadError({ configPath: fixture('secret-in-file.yaml') });
    expect(error.issues[0]?.path).toBe('ldap.bind_password');
    expect(error.message).toContain('ldap.bind_password_file');
    expect(error.message).toContain('ROSTERSYNC_LDAP_BIND_PASSWORD');
    expect(error.message).not.toContain('hunter2');
  });

  it('names a malformed env name', async () => {
    const error = await loadError({
      configPath: fixture('minimal.yaml'),
      env: { ROSTERSYNC_LDAP____URL: 'x' },
    });
    expect(error.issues[0]?.source).toBe('env ROSTERSYNC_LDAP____URL');
  });
});

describe('path keys', () => {
  it('expands variables and resolves relative paths against the file directory', async () => {
    const { config } = await load({
      configPath: fixture('relative-paths.yaml'),
      env: { TEST_CA_DIR: '/etc/ssl/test' },
    });
    expect(config.ldap.bind_password_file).toBe(join(FIXTURES, 'secrets/bind-pw'));
    expect(config.ldap.tls.ca_file).toBe('/etc/ssl/test/ca.pem');
    expect(config.state_dir).toBe(join(FIXTURES, 'state'));
    expect(config.classes.user_import).toBe(join(FIXTURES, 'hooks/user-import.js'));
    expect(config.hooks).toEqual([
      join(FIXTURES, 'hooks/archive.js'),
      'rostersync-hook-notify',
      '/opt/hooks/move.js',
    ]);
  });

  it('takes a module path written without ./ as the file beside the config, when there is one', async () => {
    const dir = await mkdtemp(join(scratch, 'modules-'));
    await mkdir(join(dir, 'local'));
    await writeFile(join(dir, 'local', 'notify.js'), 'export async function postDelete() {}\n');
    const path = join(dir, 'rostersync.yaml');
    await writeFile(
      path,
      'source_uid: x\nldap: { base_dn: dc=x }\nhooks: [local/notify.js, local/missing.js, some-package]\n',
    );
    const { config } = await load({ configPath: path });
    expect(config.hooks).toEqual([join(dir, 'local', 'notify.js'), 'local/missing.js', 'some-package']);
  });

  it('resolves env paths against cwd and expands systemd credentials', async () => {
    const { config } = await load({
      configPath: fixture('minimal.yaml'),
      cwd: '/srv/work',
      env: {
        CREDENTIALS_DIRECTORY: '/run/credentials/rostersync.service',
        ROSTERSYNC_LDAP__BIND_PASSWORD_FILE: `${varRef('CREDENTIALS_DIRECTORY')}/bind-pw`,
        ROSTERSYNC_ARCHIVE__DIR: 'archive',
      },
    });
    expect(config.ldap.bind_password_file).toBe('/run/credentials/rostersync.service/bind-pw');
    expect(config.archive.dir).toBe('/srv/work/archive');
  });

  it('names key and variable when a variable is not set', async () => {
    const error = await loadError({ configPath: fixture('relative-paths.yaml') });
    expect(error.issues).toEqual([
      {
        source: fixture('relative-paths.yaml'),
        path: 'ldap.tls.ca_file',
        message: `environment variable 'TEST_CA_DIR' used in '${varRef('TEST_CA_DIR')}/ca.pem' is not set`,
      },
    ]);
  });
});
