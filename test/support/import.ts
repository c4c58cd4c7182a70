/**
 * A ready import setup on the shared test server: its own subtree as the base DN, a config, a roster file
 * to write rows into, the CLI to run, and searches to assert on what the directory holds afterwards.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { type CliResult, runCli } from './cli.js';
import { canBind, createTestSubtree, type TestServer, type TestSubtree } from './ldap.js';

export const ROSTER_HEADER = ['id', 'first', 'last', 'schools', 'role', 'classes', 'email'] as const;

export interface RosterRow {
  id: string;
  first: string;
  last: string;
  schools: string;
  role: string;
  classes?: string;
  email?: string;
}

export interface ImportFixture {
  tree: TestSubtree;
  dir: string;
  configPath: string;
  rosterPath: string;
  stateDir: string;
  /** Writes the roster file (header + rows, RFC 4180 quoting). */
  writeRoster(rows: RosterRow[], path?: string): Promise<string>;
  /** `rostersync import --config … --input …` plus extra args. */
  runImport(args?: string[], env?: NodeJS.ProcessEnv): Promise<CliResult>;
  run(args: string[], env?: NodeJS.ProcessEnv): Promise<CliResult>;
  /** Merges `over` into the config file (plain objects deeply). */
  editConfig(over: Record<string, unknown>): Promise<void>;
  /** This fixture's users: `(objectClass=inetOrgPerson)` under the base DN, all attributes + operational. */
  users(): Promise<Record<string, string | string[]>[]>;
  user(recordUid: string): Promise<Record<string, string | string[]> | undefined>;
  groups(): Promise<Record<string, string | string[]>[]>;
  /** Initial passwords by username, from the passwords file. */
  passwords(): Promise<Map<string, string>>;
  canBind(dn: string, password: string): Promise<boolean>;
  auditLines(): Promise<Record<string, unknown>[]>;
  dispose(): Promise<void>;
}

export interface FixtureOptions {
  /** Merged over the base config (deep for plain objects). */
  config?: Record<string, unknown>;
  /** A server of the test's own (to move operational times offline); default the shared one. */
  server?: TestServer;
}

function csvCell(value: string): string {
  return /[",\n\r]/.test(value) || value !== value.trim() ? `"${value.replaceAll('"', '""')}"` : value;
}

export function rosterCsv(rows: RosterRow[]): string {
  const lines = [ROSTER_HEADER.join(',')];
  for (const row of rows) {
    lines.push(
      [row.id, row.first, row.last, row.schools, row.role, row.classes ?? '', row.email ?? '']
        .map(csvCell)
        .join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}

/** Merges `over` into `base`: plain objects deeply, everything else replaced. */
export function merge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = out[key];
    out[key] =
      value && typeof value === 'object' && !Array.isArray(value) && current && typeof current === 'object'
        ? merge(current as Record<string, unknown>, value as Record<string, unknown>)
        : value;
  }
  return out;
}

const ENTRY_ATTRIBUTES = ['*', '+'];

/** The CSV mapping of `rosterCsv`'s header. */
export const TEST_MAPPING = {
  id: 'record_uid',
  first: 'firstname',
  last: 'lastname',
  schools: 'schools',
  role: 'role',
  classes: 'classes',
  email: 'email',
};

/**
 * The config every import test starts from, for a server (or a subtree of one): grace 0/30, no safety limit,
 * JSON logs; `overrides` are merged over it (plain objects deeply).
 */
export function testConfig(
  server: { url: string; bindDn: string; passwordFile: string; baseDn: string },
  stateDir: string,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  return merge(
    {
      source_uid: 'sis-test',
      timezone: 'Europe/Berlin',
      state_dir: stateDir,
      ldap: {
        url: server.url,
        bind_dn: server.bindDn,
        bind_password_file: server.passwordFile,
        base_dn: server.baseDn,
        users_dn: 'ou=people,ou={school},{base_dn}',
        groups_dn: 'ou=groups,ou={school},{base_dn}',
      },
      csv: { mapping: TEST_MAPPING },
      deletion_grace_period: { deactivation: 0, deletion: 30 },
      safety: { max_deletions: '100%' },
      output: { log_format: 'json' },
    },
    overrides,
  );
}

export async function importFixture(name: string, options: FixtureOptions = {}): Promise<ImportFixture> {
  const tree = await createTestSubtree(name, options.server);
  const dir = await mkdtemp(join(tmpdir(), `rostersync-${name}-`));
  const stateDir = join(dir, 'state');
  const configPath = join(dir, 'rostersync.yaml');
  const rosterPath = join(dir, 'roster.csv');
  const config = testConfig(
    { url: tree.url, bindDn: tree.adminDn, passwordFile: tree.adminPasswordFile, baseDn: tree.baseDn },
    stateDir,
    { schools: ['gym1', 'rs2', 'gs3'], ...options.config },
  );
  await writeFile(configPath, stringify(config));

  const search = async (filter: string): Promise<Record<string, string | string[]>[]> => {
    const { searchEntries } = await tree.client.search(tree.baseDn, {
      scope: 'sub',
      filter,
      attributes: ENTRY_ATTRIBUTES,
    });
    return searchEntries.map((entry) => {
      const out: Record<string, string | string[]> = {};
      for (const [key, value] of Object.entries(entry)) {
        out[key] = Array.isArray(value)
          ? value.map((item) => (Buffer.isBuffer(item) ? item.toString('utf8') : String(item)))
          : Buffer.isBuffer(value)
            ? value.toString('utf8')
            : String(value);
      }
      return out;
    });
  };

  const fixture: ImportFixture = {
    tree,
    dir,
    configPath,
    rosterPath,
    stateDir,
    writeRoster: async (rows, path = rosterPath) => {
      await writeFile(path, rosterCsv(rows));
      return path;
    },
    run: (args, env) => runCli(args, { env: env ?? {} }),
    editConfig: async (over) => {
      const current = parse(await readFile(configPath, 'utf8')) as Record<string, unknown>;
      await writeFile(configPath, stringify(merge(current, over)));
    },
    runImport: (args = [], env) =>
      runCli(['import', '--config', configPath, '--input', rosterPath, ...args], { env: env ?? {} }),
    users: () => search('(objectClass=inetOrgPerson)'),
    user: async (recordUid) =>
      (await search('(objectClass=inetOrgPerson)')).find((entry) => entry.rostersyncRecordUid === recordUid),
    groups: () => search('(objectClass=groupOfNames)'),
    passwords: async () => {
      const text = await readFile(join(stateDir, 'passwords.csv'), 'utf8').catch(() => '');
      const map = new Map<string, string>();
      for (const line of text.split('\n').slice(1)) {
        const [username, , password] = line.split(',');
        if (username && password) map.set(username, password);
      }
      return map;
    },
    canBind: (dn, password) => canBind(tree.url, dn, password),
    auditLines: async () => {
      const text = await readFile(join(stateDir, 'audit.jsonl'), 'utf8').catch(() => '');
      return text
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    },
    dispose: async () => {
      await tree.dispose();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return fixture;
}
