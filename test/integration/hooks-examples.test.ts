/** The shipped example hooks in hooks/ against a real slapd, loaded the way the config loads them. */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ManagedUser, UserImportContext } from '../../src/apply/user-import.js';
import { AuditedWriter } from '../../src/apply/writer.js';
import { type Config, parseConfig } from '../../src/config/index.js';
import { Directory } from '../../src/directory/index.js';
import { HookVetoError, loadExtensions } from '../../src/hooks/index.js';
import { ldifAttributeLine, unfoldLdif } from '../../src/ldif.js';
import type { DeleteUserAction } from '../../src/plan/types.js';
import { canBind, createTestSubtree, type TestSubtree } from '../support/ldap.js';
import { MemoryAuditLog, silentLogger } from '../support/logging.js';

const example = (name: string) => fileURLToPath(new URL(`../../hooks/${name}`, import.meta.url));

let subtree: TestSubtree;
let directory: Directory;
let audit: MemoryAuditLog;
let workDir: string;

beforeAll(async () => {
  subtree = await createTestSubtree('hooks-examples');
  directory = await Directory.connect({
    url: subtree.url,
    bindDn: subtree.adminDn,
    bindPassword: subtree.adminPassword,
    starttls: false,
    tls: { rejectUnauthorized: true },
    timeoutMs: 10_000,
    pageSize: 500,
  });
  await subtree.client.add(`ou=people,${subtree.baseDn}`, {
    objectClass: 'organizationalUnit',
    ou: 'people',
  });
  workDir = await mkdtemp(join(tmpdir(), 'rostersync-hooks-'));
});

afterAll(async () => {
  await directory?.close();
  await subtree?.dispose();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

function configWith(extra: Record<string, unknown>): Config {
  return parseConfig(
    {
      source_uid: 'district',
      timezone: 'Europe/Berlin',
      ldap: { url: subtree.url, base_dn: subtree.baseDn },
      ...extra,
    },
    'test',
  );
}

let counter = 0;
const PASSWORD = 'Secret-123!';

/** Adds a person with a password, a non-ASCII name and a long value; returns it as a ManagedUser. */
async function addUser(): Promise<ManagedUser> {
  const username = `hook${++counter}`;
  const dn = `uid=${username},ou=people,${subtree.baseDn}`;
  await subtree.client.add(dn, {
    objectClass: ['inetOrgPerson'],
    uid: username,
    cn: 'Jürgen Müller-Łukasiewicz',
    sn: 'Müller-Łukasiewicz',
    givenName: 'Jürgen',
    description: ` leading space, then a long text: ${'x'.repeat(120)}`,
    mail: `${username}@school.example`,
    userPassword: PASSWORD,
  });
  return {
    dn,
    username,
    recordUid: `r-${username}`,
    sourceUid: 'district',
    schools: ['north', 'south'],
    roles: ['student'],
    attributes: {},
  };
}

function contextFor(
  user: ManagedUser,
  config: Config,
  now = new Date('2024-07-31T23:30:00Z'),
): UserImportContext {
  audit = new MemoryAuditLog();
  const action: DeleteUserAction = {
    kind: 'delete',
    phase: 'removals',
    dn: user.dn,
    recordUid: user.recordUid,
    username: user.username,
    school: user.schools[0] ?? '',
  };
  const ctx: UserImportContext<DeleteUserAction> & { directory: Directory } = {
    action,
    config,
    directory,
    writer: new AuditedWriter(directory, audit),
    logger: silentLogger,
    now,
    dryRun: false,
  };
  return ctx;
}

/** A minimal RFC 2849 reader: unfolds, then splits `name: value` and `name:: base64` lines. */
function parseLdif(text: string): { dn: string; attributes: Map<string, string[]> } {
  const attributes = new Map<string, string[]>();
  let dn: string | undefined;
  for (const line of unfoldLdif(text).split('\n')) {
    if (line === '' || line.startsWith('#') || line.startsWith('version:')) continue;
    const match = /^([A-Za-z0-9;-]+)(::?) ?(.*)$/.exec(line);
    if (!match) throw new Error(`not an LDIF line: ${line}`);
    const [, name = '', separator, raw = ''] = match;
    const value = separator === '::' ? Buffer.from(raw, 'base64').toString('utf8') : raw;
    if (name === 'dn') dn = value;
    else attributes.set(name, [...(attributes.get(name) ?? []), value]);
  }
  if (dn === undefined) throw new Error('no dn line');
  return { dn, attributes };
}

describe('archive-before-delete.js', () => {
  it('writes the whole entry as a 0600 LDIF under the day of the run, which ldapadd reads back', async () => {
    const archiveDir = join(workDir, 'archive');
    const config = configWith({ archive: { dir: archiveDir }, hooks: [example('archive-before-delete.js')] });
    const { hooks } = await loadExtensions(config, silentLogger);
    expect(hooks.forDryRun().size).toBe(0);
    const user = await addUser();

    await hooks.pre('Delete', user, contextFor(user, config));

    // 23:30 UTC on July 31st is already August 1st in Berlin.
    const file = join(archiveDir, '2024-08-01', `${user.username}.ldif`);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(join(archiveDir, '2024-08-01'))).mode & 0o777).toBe(0o700);
    const text = await readFile(file, 'utf8');
    expect(text.split('\n').every((line) => line.length <= 76)).toBe(true);
    expect(text).toMatch(/^cn:: /m);
    expect(text).toMatch(/^description:: /m);

    const archived = parseLdif(text);
    expect(archived.dn).toBe(user.dn);
    const { searchEntries } = await subtree.client.search(user.dn, { scope: 'base', attributes: ['*', '+'] });
    const live = searchEntries[0];
    expect(live).toBeDefined();
    const { searchEntries: operationalOnly } = await subtree.client.search(user.dn, {
      scope: 'base',
      attributes: ['+'],
    });
    const operational = new Set(Object.keys(operationalOnly[0] ?? {}).map((name) => name.toLowerCase()));
    expect(operational.has('entryuuid')).toBe(true);
    const archivedNames = new Set([...archived.attributes.keys()].map((name) => name.toLowerCase()));
    for (const [name, value] of Object.entries(live ?? {})) {
      // ldapts also lists the requested `*` and `+`, without values.
      if (name === 'dn' || name === '*' || name === '+') continue;
      expect(archivedNames.has(name.toLowerCase()), name).toBe(true);
      const values = (Array.isArray(value) ? value : [value]).map(String);
      const archivedValues = [...archived.attributes.entries()].find(
        ([key]) => key.toLowerCase() === name.toLowerCase(),
      )?.[1];
      expect(archivedValues?.sort(), name).toEqual(values.sort());
    }
    expect(archived.attributes.get('cn')).toEqual(['Jürgen Müller-Łukasiewicz']);
    expect(archived.attributes.get('userPassword')).toHaveLength(1);

    // Restore: delete the entry, then add it back with ldapadd from the archive (minus what only the
    // server may set).
    await subtree.client.del(user.dn);
    const restoreLines = ['dn: ' + archived.dn];
    for (const [name, values] of archived.attributes) {
      if (operational.has(name.toLowerCase())) continue;
      for (const value of values) restoreLines.push(ldifAttributeLine(name, value));
    }
    const restoreFile = join(workDir, 'restore.ldif');
    await writeFile(restoreFile, `${restoreLines.join('\n')}\n`);
    // ldapadd reads the archive itself too: its syntax check must pass (-n: no changes sent).
    await promisify(execFile)('ldapadd', ['-n', '-f', file]);
    await promisify(execFile)('ldapadd', [
      '-x',
      '-H',
      subtree.url,
      '-D',
      subtree.adminDn,
      '-y',
      subtree.adminPasswordFile,
      '-f',
      restoreFile,
    ]);
    expect(await canBind(subtree.url, user.dn, PASSWORD)).toBe(true);
  });

  it('takes the attributes as they come when the directory expands * and + itself', async () => {
    const archiveDir = join(workDir, 'archive-expanded');
    const config = configWith({ archive: { dir: archiveDir }, hooks: [example('archive-before-delete.js')] });
    const { hooks } = await loadExtensions(config, silentLogger);
    const user = { ...(await addUser()), username: '../evil' };
    const expanded = {
      searchOne: (dn: string, attributes: string[]) =>
        Promise.resolve(
          attributes.includes('*')
            ? {
                dn,
                attributes: {
                  '*': [],
                  objectClass: ['top', 'person'],
                  cn: ['Zoë'],
                  sn: [],
                  entryUUID: ['u-1'],
                },
              }
            : undefined,
        ),
    } as unknown as Directory;
    await hooks.pre('Delete', user, {
      ...contextFor(user, config, new Date('2024-03-01T12:00:00Z')),
      directory: expanded,
    });
    const text = await readFile(join(archiveDir, '2024-03-01', '_.._evil.ldif'), 'utf8');
    expect(text).toBe(
      `version: 1\n\ndn: ${user.dn}\nobjectClass: top\nobjectClass: person\ncn:: ${Buffer.from('Zoë').toString('base64')}\nentryUUID: u-1\n`,
    );
  });

  it('refuses the deletion when archive.dir is not configured', async () => {
    const config = configWith({ hooks: [example('archive-before-delete.js')] });
    const { hooks } = await loadExtensions(config, silentLogger);
    const user = await addUser();
    const error = await hooks.pre('Delete', user, contextFor(user, config)).catch((error: unknown) => error);
    expect(error).toBeInstanceOf(HookVetoError);
    expect((error as Error).message).toBe(
      `preDelete hook archive-before-delete.js refused ${user.dn}: archive.dir is not configured; refusing to delete without an archive`,
    );
  });

  it('refuses the deletion when the archive cannot be written', async () => {
    const blocker = join(workDir, 'not-a-directory');
    await writeFile(blocker, '');
    const config = configWith({ archive: { dir: blocker }, hooks: [example('archive-before-delete.js')] });
    const { hooks } = await loadExtensions(config, silentLogger);
    const user = await addUser();
    await expect(hooks.pre('Delete', user, contextFor(user, config))).rejects.toThrow(HookVetoError);
  });
});

describe('move-instead-of-delete.js', () => {
  it('locks the entry and moves it below purge.move_to_dn, creating that ou', async () => {
    const target = `ou=removed\\, old,${subtree.baseDn}`;
    const config = configWith({
      classes: { user_import: example('move-instead-of-delete.js') },
      purge: { move_to_dn: target },
    });
    const { userImport } = await loadExtensions(config, silentLogger);
    const user = await addUser();
    expect(await canBind(subtree.url, user.dn, PASSWORD)).toBe(true);
    // A group the plan did not know about still names the user.
    const group = `cn=club,${subtree.baseDn}`;
    await subtree.client.add(group, {
      objectClass: 'groupOfNames',
      cn: 'club',
      member: [user.dn, subtree.adminDn],
    });

    await userImport.doDelete(user, contextFor(user, config) as UserImportContext<DeleteUserAction>);

    const movedDn = `uid=${user.username},${target}`;
    expect(await directory.exists(user.dn)).toBe(false);
    const moved = await directory.searchOne(movedDn, ['uid', 'pwdAccountLockedTime']);
    expect(moved?.attributes).toEqual({ uid: [user.username], pwdAccountLockedTime: ['000001010000Z'] });
    expect((await directory.searchOne(target, ['ou']))?.attributes.ou).toEqual(['removed, old']);
    expect(await canBind(subtree.url, movedDn, PASSWORD)).toBe(false);
    expect((await directory.searchOne(group, ['member']))?.attributes.member).toEqual([subtree.adminDn]);
    expect(audit.entries.map((entry) => `${entry.action} ${entry.result}`)).toEqual([
      'modify ok',
      'add ok',
      'modify ok',
      'modrdn ok',
    ]);

    // A second user finds the ou in place.
    const second = await addUser();
    await userImport.doDelete(second, contextFor(second, config) as UserImportContext<DeleteUserAction>);
    expect(await directory.exists(`uid=${second.username},${target}`)).toBe(true);
  });

  it('defaults to ou=removed below the base DN', async () => {
    const config = configWith({ classes: { user_import: example('move-instead-of-delete.js') } });
    const { userImport } = await loadExtensions(config, silentLogger);
    const user = await addUser();
    await userImport.doDelete(user, contextFor(user, config) as UserImportContext<DeleteUserAction>);
    expect(await directory.exists(`uid=${user.username},ou=removed,${subtree.baseDn}`)).toBe(true);
    expect(await canBind(subtree.url, `uid=${user.username},ou=removed,${subtree.baseDn}`, PASSWORD)).toBe(
      false,
    );
  });
});

describe('webhook-on-delete.js', () => {
  let server: Server;
  let status = 204;
  const received: { method?: string; type?: string; body: unknown }[] = [];
  const previousUrl = process.env.ROSTERSYNC_WEBHOOK_URL;

  async function bodyOf(request: IncomingMessage): Promise<unknown> {
    let text = '';
    for await (const chunk of request) text += String(chunk);
    return JSON.parse(text);
  }

  beforeAll(async () => {
    server = createServer((request, response) => {
      void bodyOf(request).then((body) => {
        received.push({ method: request.method, type: request.headers['content-type'], body });
        response.statusCode = status;
        response.end(status >= 300 ? 'broken' : undefined);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    process.env.ROSTERSYNC_WEBHOOK_URL = `http://127.0.0.1:${port}/rostersync/secret-token`;
  });

  afterEach(() => {
    received.length = 0;
  });

  afterAll(async () => {
    if (previousUrl === undefined) delete process.env.ROSTERSYNC_WEBHOOK_URL;
    else process.env.ROSTERSYNC_WEBHOOK_URL = previousUrl;
    await new Promise((resolve) => server.close(resolve));
  });

  const user: ManagedUser = {
    dn: 'uid=jdoe,ou=people,dc=example,dc=org',
    username: 'jdoe',
    recordUid: 'r1',
    sourceUid: 'district',
    schools: ['north'],
    roles: ['student'],
    attributes: {},
  };

  it('posts the deletion as JSON', async () => {
    status = 204;
    const config = configWith({ hooks: [example('webhook-on-delete.js')] });
    const { hooks } = await loadExtensions(config, silentLogger);
    const failures = await hooks.post(
      'Delete',
      user,
      contextFor(user, config, new Date('2024-08-01T02:00:00Z')),
    );
    expect(failures).toEqual([]);
    expect(received).toEqual([
      {
        method: 'POST',
        type: 'application/json',
        body: {
          event: 'delete',
          dn: user.dn,
          username: 'jdoe',
          recordUid: 'r1',
          sourceUid: 'district',
          schools: ['north'],
          at: '2024-08-01T02:00:00.000Z',
        },
      },
    ]);
  });

  it('reports a non-2xx answer as a failure, without the URL path', async () => {
    status = 500;
    const config = configWith({ hooks: [example('webhook-on-delete.js')] });
    const { hooks } = await loadExtensions(config, silentLogger);
    const failures = await hooks.post('Delete', user, contextFor(user, config));
    expect(received).toHaveLength(1);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatch(
      /^postDelete hook webhook-on-delete\.js failed for uid=jdoe,.*: webhook http:\/\/127\.0\.0\.1:\d+ answered 500 Internal Server Error: broken$/,
    );
    expect(failures[0]).not.toContain('secret-token');
  });

  it('sends nothing without ROSTERSYNC_WEBHOOK_URL', async () => {
    const url = process.env.ROSTERSYNC_WEBHOOK_URL;
    delete process.env.ROSTERSYNC_WEBHOOK_URL;
    try {
      const config = configWith({ hooks: [example('webhook-on-delete.js')] });
      const { hooks } = await loadExtensions(config, silentLogger);
      expect(await hooks.post('Delete', user, contextFor(user, config))).toEqual([]);
      expect(received).toEqual([]);
    } finally {
      process.env.ROSTERSYNC_WEBHOOK_URL = url;
    }
  });
});
