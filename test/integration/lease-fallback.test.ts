/**
 * When the directory cannot hold the run lock's lease entry (here: the bind DN may read but not add), the
 * default `lock.store: auto` falls back on the lock file in state_dir with a warning saying why — which still
 * refuses a second run, of any school, with exit 4 — and `lock.store: directory` is a config error (exit 2).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { RunLock } from '../../src/state/lock.js';
import { type ImportFixture, importFixture, type RosterRow } from '../support/import.js';
import { silentLogger } from '../support/logging.js';

const rows: RosterRow[] = [
  { id: 'S-1', first: 'Jan', last: 'Meier', schools: 'gym1', role: 'student', classes: '5a' },
  { id: 'S-2', first: 'Eva', last: 'Kurz', schools: 'rs2', role: 'student', classes: '6b' },
];

describe('lock.store when the directory cannot hold the lease entry', () => {
  let fx: ImportFixture;
  beforeAll(async () => {
    fx = await importFixture('lease-fallback');
    await fx.writeRoster(rows);
    // The admin's first run makes the users, the containers and ou=leases; nothing is left to write.
    const first = await fx.runImport(['--now', '2026-11-23']);
    expect(first.code, first.stderr).toBe(0);
    // A service account that may read everything and write nothing (the test server's ACL: `by * read`).
    const readerDn = `cn=reader,${fx.tree.baseDn}`;
    await fx.tree.client.add(readerDn, {
      objectClass: ['organizationalRole', 'simpleSecurityObject'],
      cn: 'reader',
      userPassword: 'reader-secret',
    });
    const passwordFile = join(fx.dir, 'reader-password');
    await writeFile(passwordFile, 'reader-secret\n', { mode: 0o600 });
    await fx.editConfig({ ldap: { bind_dn: readerDn, bind_password_file: passwordFile } });
  });
  afterAll(async () => {
    await fx.dispose();
  });

  const leaseEntries = async () =>
    (
      await fx.tree.client.search(`ou=leases,ou=rostersync,${fx.tree.baseDn}`, {
        scope: 'one',
        attributes: ['1.1'],
      })
    ).searchEntries;

  it('auto: runs under the lock file, with a warning saying why', async () => {
    const result = await fx.runImport(['--now', '2026-11-23']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('lock.store auto:');
    expect(result.stderr).toContain(
      `cannot hold the run lock's lease under ou=leases,ou=rostersync,${fx.tree.baseDn} (the bind DN may not add entries there`,
    );
    expect(result.stderr).toContain('using the lock file in state_dir, which guards this host only');
    expect(await leaseEntries()).toEqual([]);
  });

  it('auto: the lock file still refuses a second run, of the whole source or of one school', async () => {
    const { config } = await loadConfig({ configPath: fx.configPath, env: {} });
    const lock = await RunLock.acquire(config, 'purge', silentLogger);
    try {
      for (const extra of [[], ['--school', 'gym1']]) {
        const result = await fx.runImport(['--now', '2026-11-23', ...extra]);
        expect(result.code, result.stderr).toBe(4);
        expect(result.stderr).toContain(
          `another run holds the lock for source sis-test (pid ${process.pid}, purge`,
        );
      }
    } finally {
      await lock.release();
    }
  });

  it('directory: a directory that cannot hold the lease is a config error naming lock.store (exit 2)', async () => {
    await fx.editConfig({ lock: { store: 'directory' } });
    const audit = (await fx.auditLines()).length;
    const result = await fx.runImport(['--now', '2026-11-23']);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toMatch(
      /lock\.store: is 'directory', but ldap:\/\/\S+ cannot hold the run lock's lease/,
    );
    expect((await fx.auditLines()).length).toBe(audit);
    expect(await leaseEntries()).toEqual([]);
  });

  it('file: the lock file only, without asking the directory', async () => {
    await fx.editConfig({ lock: { store: 'file' } });
    const result = await fx.runImport(['--now', '2026-11-23']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).not.toContain('lock.store');
  });
});
