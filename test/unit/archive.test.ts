/** The archive file of a user (SPEC §8): its LDIF, where it goes, its modes, and the audit line. */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { archivePath, ArchiveWriter, renderArchive } from '../../src/archive/index.js';
import type { AuditEntry, AuditSink } from '../../src/logging/index.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rostersync-archive-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

class MemoryAudit implements AuditSink {
  readonly entries: AuditEntry[] = [];
  record(entry: AuditEntry): void {
    this.entries.push(entry);
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

describe('archive', () => {
  it('renders the entry as an add without the password, and each membership as a modify', () => {
    const text = renderArchive(
      {
        dn: 'uid=e.kurz,ou=people,dc=x',
        attributes: {
          objectClass: ['inetOrgPerson', 'rostersyncUser'],
          uid: ['e.kurz'],
          sn: ['Kürz'],
          userPassword: ['{SSHA}secret'],
          entryUUID: ['0b5c7c6e-0000-4000-8000-000000000001'],
        },
        memberships: [
          { group: 'cn=gym1-5a,ou=groups,dc=x', attribute: 'member', value: 'uid=e.kurz,ou=people,dc=x' },
        ],
      },
      ['rostersync archive of e.kurz'],
    );
    expect(text).toBe(
      [
        '# rostersync archive of e.kurz',
        'version: 1',
        '',
        'dn: uid=e.kurz,ou=people,dc=x',
        'changetype: add',
        'objectClass: inetOrgPerson',
        'objectClass: rostersyncUser',
        'uid: e.kurz',
        `sn:: ${Buffer.from('Kürz').toString('base64')}`,
        'entryUUID: 0b5c7c6e-0000-4000-8000-000000000001',
        '',
        'dn: cn=gym1-5a,ou=groups,dc=x',
        'changetype: modify',
        'add: member',
        'member: uid=e.kurz,ou=people,dc=x',
        '-',
        '',
      ].join('\n'),
    );
  });

  it('goes to DIR/DAY/USERNAME.ldif (the day in the zone), 0700 directories and a 0600 file, audited', async () => {
    // 23:30 UTC on 30 November is 1 December in Berlin.
    const path = archivePath(
      join(dir, 'archive'),
      new Date('2026-11-30T23:30:00Z'),
      'Europe/Berlin',
      'e.kurz',
    );
    expect(path).toBe(join(dir, 'archive', '2026-12-01', 'e.kurz.ldif'));
    expect(basename(archivePath(dir, new Date(), 'UTC', '../x'))).toBe('_._x.ldif');
    const audit = new MemoryAudit();
    await new ArchiveWriter(audit).write(path, 'version: 1\n', { dn: 'uid=e.kurz,dc=x', username: 'e.kurz' });
    expect(await readFile(path, 'utf8')).toBe('version: 1\n');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'archive', '2026-12-01'))).mode & 0o777).toBe(0o700);
    expect((await stat(join(dir, 'archive'))).mode & 0o777).toBe(0o700);
    expect(audit.entries).toEqual([{ action: 'archive', dn: 'uid=e.kurz,dc=x', user: 'e.kurz', file: path }]);
  });

  it('a failed write is an error naming the file, and audited as one', async () => {
    const audit = new MemoryAudit();
    const path = join(dir, 'not-a-dir.ldif', 'x', 'e.kurz.ldif');
    await new ArchiveWriter(audit).write(join(dir, 'not-a-dir.ldif'), 'x', { dn: 'd', username: 'u' });
    await expect(new ArchiveWriter(audit).write(path, 'x', { dn: 'd', username: 'u' })).rejects.toThrow(
      /cannot write the archive/,
    );
    expect(audit.entries.at(-1)?.result).toBe('error');
  });
});
