import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  type Config,
  ConfigError,
  loadConfig,
  parseConfig,
  readBindPassword,
  redactConfig,
  renderEffectiveConfig,
} from '../../src/config/index.js';

const FIXTURES = resolve(dirname(fileURLToPath(import.meta.url)), '../fixtures/config');

/** A `${NAME}` reference as written in config files. */
const varRef = (name: string) => `\${${name}}`;
const PASSWORD = 'correct horse battery staple';

function configWith(ldap: Record<string, unknown> = {}): Config {
  return parseConfig({ source_uid: 'district', ldap: { base_dn: 'dc=example,dc=org', ...ldap } }, 'test');
}

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'rostersync-secrets-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe('readBindPassword', () => {
  it('reads the password file, trimming the trailing newline', async () => {
    const config = configWith({ bind_password_file: join(FIXTURES, 'bind-pw') });
    await expect(readBindPassword(config, { ROSTERSYNC_LDAP_BIND_PASSWORD: 'other' })).resolves.toBe(
      PASSWORD,
    );
  });

  it('falls back to ROSTERSYNC_LDAP_BIND_PASSWORD', async () => {
    await expect(readBindPassword(configWith(), { ROSTERSYNC_LDAP_BIND_PASSWORD: PASSWORD })).resolves.toBe(
      PASSWORD,
    );
  });

  it('names ldap.bind_password_file when there is no password', async () => {
    const error = await readBindPassword(configWith(), {}).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues[0]?.path).toBe('ldap.bind_password_file');
    expect((error as ConfigError).exitCode).toBe(2);
  });

  it('names the key when the file is unreadable or empty', async () => {
    const missing = configWith({ bind_password_file: join(scratch, 'missing') });
    await expect(readBindPassword(missing, {})).rejects.toThrow(/ldap\.bind_password_file: cannot read/);
    const emptyFile = join(scratch, 'empty');
    await writeFile(emptyFile, '\n');
    await expect(readBindPassword(configWith({ bind_password_file: emptyFile }), {})).rejects.toThrow(
      /is empty/,
    );
  });

  it('reads the file named through CREDENTIALS_DIRECTORY and never shows the password', async () => {
    const { config } = await loadConfig({
      configPath: join(FIXTURES, 'minimal.yaml'),
      systemConfigPath: join(scratch, 'none.yaml'),
      env: {
        CREDENTIALS_DIRECTORY: FIXTURES,
        ROSTERSYNC_LDAP__BIND_PASSWORD_FILE: `${varRef('CREDENTIALS_DIRECTORY')}/bind-pw`,
      },
    });
    await expect(readBindPassword(config, {})).resolves.toBe(PASSWORD);
    expect(JSON.stringify(redactConfig(config))).not.toContain(PASSWORD);
    expect(renderEffectiveConfig(config, 'yaml')).not.toContain(PASSWORD);
    expect(renderEffectiveConfig(config, 'json')).toContain('bind-pw'); // the path is fine to show
  });
});

describe('redactConfig', () => {
  it('hides secret values and URL credentials but keeps file paths', () => {
    const config = configWith({
      url: 'ldap://admin:hunter2@ldap.example.org',
      bind_password_file: '/run/pw',
    });
    // Secret-valued keys are never accepted from files; check the redaction itself on such a value.
    const withSecrets = {
      ...config,
      mail: { smtp: { host: 'h', password: 'smtp-secret' } },
      token: 't0ken',
    } as unknown as Config;
    const redacted = JSON.stringify(redactConfig(withSecrets));
    expect(redacted).not.toContain('hunter2');
    expect(redacted).not.toContain('smtp-secret');
    expect(redacted).not.toContain('t0ken');
    expect(redacted).toContain('[redacted]');
    expect(redacted).toContain('/run/pw');
    expect(redacted).toContain('"hash":"ssha"');
  });

  it('keeps csv.mapping readable', () => {
    const config = parseConfig(
      { source_uid: 'd', ldap: { base_dn: 'dc=x' }, csv: { mapping: { password: 'password' } } },
      'test',
    );
    expect(redactConfig(config)).toMatchObject({ csv: { mapping: { password: 'password' } } });
  });
});

describe('renderEffectiveConfig', () => {
  it('renders YAML and JSON that parse back to the same config', () => {
    const config = configWith({ profile: 'ad' });
    for (const format of ['yaml', 'json'] as const) {
      const text = renderEffectiveConfig(config, format);
      expect(parseConfig(parseYaml(text), format)).toEqual(config);
    }
    expect(renderEffectiveConfig(config, 'yaml')).toContain('max_deletions: 10%');
  });
});
