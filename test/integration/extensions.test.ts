/**
 * SPEC §6 end to end through the CLI against the real server: `classes.user_import` in both forms in the
 * purge and in the import's delete-now path, hook modules (vetoes, failing post hooks, order, dry runs)
 * and the shipped example hooks archive-before-delete and webhook-on-delete.
 */
import { readFile, stat, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { unfoldLdif } from '../../src/ldif.js';
import type { CliResult } from '../support/cli.js';
import { type ImportFixture, importFixture, type RosterRow } from '../support/import.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp.js';

const extension = (name: string): string =>
  fileURLToPath(new URL(`../fixtures/extensions/${name}`, import.meta.url));
const shipped = (name: string): string => fileURLToPath(new URL(`../../hooks/${name}`, import.meta.url));

const everyone: RosterRow[] = [
  { id: 'S-1', first: 'Jan', last: 'Meier', schools: 'gym1', role: 'student', classes: '5a' },
  { id: 'S-2', first: 'Eva', last: 'Kurz', schools: 'gym1', role: 'student', classes: '5a' },
  { id: 'S-3', first: 'Tom', last: 'Bach', schools: 'gym1', role: 'student', classes: '5a' },
];
/** Everyone but S-2 (e.kurz) and S-3 (t.bach). */
const stayers: RosterRow[] = [everyone[0]!];

const PURGE_DAY = '2026-12-23';

/** Sets top-level config keys (merging one level into objects such as `archive`). */
async function editConfig(fx: ImportFixture, patch: Record<string, unknown>): Promise<void> {
  const config = parse(await readFile(fx.configPath, 'utf8')) as Record<string, unknown>;
  for (const [key, value] of Object.entries(patch)) {
    const current = config[key];
    config[key] =
      value && typeof value === 'object' && !Array.isArray(value) && current && typeof current === 'object'
        ? { ...(current as Record<string, unknown>), ...(value as Record<string, unknown>) }
        : value;
  }
  await writeFile(fx.configPath, stringify(config));
}

function expectCode(result: CliResult, code: number): void {
  expect(result.code, `exit ${result.code}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`).toBe(code);
}

/** Three users imported; S-2 and S-3 then leave: locked, purge timestamp 2026-12-23 00:00 Berlin. */
async function purgeReady(name: string): Promise<ImportFixture> {
  const fx = await importFixture(name);
  await fx.writeRoster(everyone);
  expectCode(await fx.runImport(['--now', '2026-11-23']), 0);
  await fx.writeRoster(stayers);
  expectCode(await fx.runImport(['--now', '2026-11-23']), 0);
  expect(String((await fx.user('S-2'))?.rostersyncPurgeTimestamp)).toBe('20261222230000Z');
  return fx;
}

/** Three users imported with deletion grace 0: the next import without S-2 and S-3 deletes them at once. */
async function deleteNowReady(name: string): Promise<ImportFixture> {
  const fx = await importFixture(name, {
    config: { deletion_grace_period: { deactivation: 0, deletion: 0 } },
  });
  await fx.writeRoster(everyone);
  expectCode(await fx.runImport(['--now', '2026-11-23']), 0);
  await fx.writeRoster(stayers);
  return fx;
}

const purge = (fx: ImportFixture, extra: string[] = [], env?: NodeJS.ProcessEnv): Promise<CliResult> =>
  fx.run(['purge', '--config', fx.configPath, '--now', PURGE_DAY, ...extra], env);

interface HookCall {
  module: string;
  hook: string;
  username: string;
  dn: string;
  dryRun: boolean;
}

/** What the recording hook modules (test/fixtures/extensions/record.js) saw, in call order. */
async function hookCalls(fx: ImportFixture): Promise<HookCall[]> {
  const text = await readFile(join(fx.stateDir, 'hook-calls.jsonl'), 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as HookCall);
}

const one = (value: string | string[] | undefined): string | undefined =>
  Array.isArray(value) ? value[0] : value;

describe('classes.user_import: a subclass whose doDelete records, then calls super', () => {
  const subclass = extension('mark-then-delete.ts');

  it('in the purge: every due user is deleted and the subclass ran for each', async () => {
    const fx = await purgeReady('ext-subclass-purge');
    try {
      const dns = [String((await fx.user('S-2'))?.dn), String((await fx.user('S-3'))?.dn)];
      await editConfig(fx, { classes: { user_import: subclass } });
      const auditBefore = (await fx.auditLines()).length;
      expectCode(await purge(fx), 0);

      expect(await fx.user('S-2')).toBeUndefined();
      expect(await fx.user('S-3')).toBeUndefined();
      expect(await fx.user('S-1')).toBeDefined();
      const marker = await readFile(join(fx.stateDir, 'deleted-by-subclass.log'), 'utf8');
      expect(marker.split('\n').filter(Boolean).sort()).toEqual([`e.kurz ${dns[0]}`, `t.bach ${dns[1]}`]);
      // The subclass's own write went through the audited writer, before the delete.
      const audit = (await fx.auditLines()).slice(auditBefore).filter((line) => line.dn === dns[0]);
      expect(audit.map((line) => line.action)).toEqual(['modify', 'delete']);
    } finally {
      await fx.dispose();
    }
  });

  it('in the import with deletion grace 0: the missing users are deleted and the subclass ran', async () => {
    const fx = await deleteNowReady('ext-subclass-import');
    try {
      await editConfig(fx, { classes: { user_import: subclass } });
      expectCode(await fx.runImport(['--now', '2026-11-24']), 0);

      expect(await fx.user('S-2')).toBeUndefined();
      expect(await fx.user('S-3')).toBeUndefined();
      expect(await fx.user('S-1')).toBeDefined();
      const marker = await readFile(join(fx.stateDir, 'deleted-by-subclass.log'), 'utf8');
      expect(
        marker
          .split('\n')
          .filter(Boolean)
          .map((line) => line.split(' ')[0])
          .sort(),
      ).toEqual(['e.kurz', 't.bach']);
    } finally {
      await fx.dispose();
    }
  });
});

describe('classes.user_import: a factory whose doDelete keeps the user', () => {
  const factory = extension('keep-by-policy.js');

  it('in the purge: nobody is deleted, each due user is marked "kept by policy"', async () => {
    const fx = await purgeReady('ext-factory-purge');
    try {
      await editConfig(fx, { classes: { user_import: factory } });
      expectCode(await purge(fx), 0);
      for (const id of ['S-2', 'S-3']) {
        const user = await fx.user(id);
        expect(user, id).toBeDefined();
        expect(user?.description).toBe('kept by policy');
      }
      expect((await fx.user('S-1'))?.description).toBeUndefined();
    } finally {
      await fx.dispose();
    }
  });

  it('in the import with deletion grace 0: nobody is deleted, each missing user is marked', async () => {
    const fx = await deleteNowReady('ext-factory-import');
    try {
      await editConfig(fx, { classes: { user_import: factory } });
      expectCode(await fx.runImport(['--now', '2026-11-24']), 0);
      for (const id of ['S-2', 'S-3']) expect((await fx.user(id))?.description, id).toBe('kept by policy');
      expect((await fx.user('S-1'))?.description).toBeUndefined();
    } finally {
      await fx.dispose();
    }
  });
});

describe('classes.user_import: makeUsername', () => {
  it('names new users in the import and its dry run; a name in use or a failing method is a row problem', async () => {
    const fx = await importFixture('ext-make-username', {
      config: { classes: { user_import: extension('school-usernames.js') } },
    });
    try {
      const teachers: RosterRow[] = [
        { id: 'T-1', first: 'Ute', last: 'Lang', schools: 'gym1', role: 'teacher', classes: '5a' },
        { id: 'T-2', first: 'Udo', last: 'Lang', schools: 'gym1', role: 'teacher', classes: '5a' },
      ];
      await fx.writeRoster([everyone[0]!, ...teachers]);
      const dry = await fx.runImport(['--now', '2026-11-23', '--dry-run', '--format', 'json']);
      expectCode(dry, 0);
      const created = (JSON.parse(dry.stdout) as { actions: { kind: string; username?: string }[] }).actions
        .filter((action) => action.kind === 'create')
        .map((action) => action.username)
        .sort();
      expect(created).toEqual(['gym1-u.lang', 'gym1-u.lang2', 'j.meier']);
      expectCode(await fx.runImport(['--now', '2026-11-23']), 0);
      expect((await fx.user('T-1'))?.uid).toBe('gym1-u.lang');
      expect((await fx.user('T-2'))?.uid).toBe('gym1-u.lang2');
      expect((await fx.user('S-1'))?.uid).toBe('j.meier');

      const trouble: RosterRow[] = [
        { id: 'S-8', first: 'Taken', last: 'Name', schools: 'gym1', role: 'student', classes: '5a' },
        { id: 'S-9', first: 'Broken', last: 'Rule', schools: 'gym1', role: 'student', classes: '5a' },
      ];
      await fx.writeRoster([everyone[0]!, ...teachers, ...trouble]);
      const refused = await fx.runImport(['--now', '2026-11-23']);
      expectCode(refused, 1);
      expect(refused.stderr).toContain("username 'j.meier' is already taken; user not created");
      expect(refused.stderr).toContain('makeUsername failed: no rule for this row; user not created');
      expect(await fx.user('S-8')).toBeUndefined();
      expect(await fx.user('S-9')).toBeUndefined();
    } finally {
      await fx.dispose();
    }
  });
});

describe('classes.user_import: a default export that is a plain object', () => {
  let fx: ImportFixture;
  beforeAll(async () => {
    fx = await purgeReady('ext-bad-class');
    await editConfig(fx, { classes: { user_import: extension('plain-object.js') } });
  });
  afterAll(async () => {
    await fx.dispose();
  });

  it('import: exit 2 naming the key and the module, nothing written', async () => {
    const before = (await fx.auditLines()).length;
    await fx.writeRoster([
      ...everyone,
      { id: 'S-4', first: 'Ina', last: 'Neu', schools: 'gym1', role: 'student', classes: '5a' },
    ]);
    const result = await fx.runImport(['--now', '2026-11-24']);
    expectCode(result, 2);
    expect(result.stderr).toContain('classes.user_import');
    expect(result.stderr).toContain('plain-object.js');
    expect(result.stderr).toMatch(/found an object/);
    expect(await fx.user('S-4')).toBeUndefined();
    expect(await fx.user('S-2')).toBeDefined();
    expect((await fx.auditLines()).length).toBe(before);
  });

  it('purge: exit 2, the due users stay', async () => {
    const before = (await fx.auditLines()).length;
    const result = await purge(fx);
    expectCode(result, 2);
    expect(result.stderr).toContain('classes.user_import');
    expect(await fx.user('S-2')).toBeDefined();
    expect(await fx.user('S-3')).toBeDefined();
    expect((await fx.auditLines()).length).toBe(before);
  });
});

describe('hooks: a preCreate that refuses one user', () => {
  let fx: ImportFixture;
  beforeAll(async () => {
    fx = await importFixture('ext-veto-create', { config: { hooks: [extension('veto-create.js')] } });
    await fx.writeRoster(everyone);
  });
  afterAll(async () => {
    await fx.dispose();
  });

  it('with tolerate_errors 0: the others are created, that one is not, exit 1 naming module and user', async () => {
    const result = await fx.runImport(['--now', '2026-11-23']);
    expectCode(result, 1);
    expect(await fx.user('S-1')).toBeDefined();
    expect(await fx.user('S-3')).toBeDefined();
    expect(await fx.user('S-2')).toBeUndefined();
    const refusal = result.stderr.split('\n').find((line) => line.includes('veto-create.js'));
    expect(refusal, result.stderr).toBeDefined();
    expect(refusal).toContain('e.kurz');
    expect(refusal).toContain('not on the allow list');
    // A vetoed user never gets a password line.
    const passwords = await fx.passwords();
    expect([...passwords.keys()].sort()).toEqual(['j.meier', 't.bach']);
  });

  it('with tolerate_errors 1: the same refusal is tolerated, exit 0', async () => {
    await editConfig(fx, { tolerate_errors: 1 });
    const result = await fx.runImport(['--now', '2026-11-23']);
    expectCode(result, 0);
    expect(result.stderr).toContain('veto-create.js');
    expect(await fx.user('S-2')).toBeUndefined();
    expect((await fx.users()).map((user) => user.uid).sort()).toEqual(['j.meier', 't.bach']);
  });
});

describe('hooks in the purge', () => {
  it('a preDelete veto keeps that user, deletes the other, and fails the run (tolerate_errors 0)', async () => {
    const fx = await purgeReady('ext-veto-delete');
    try {
      await editConfig(fx, { hooks: [extension('veto-delete.js')] });
      const result = await purge(fx);
      expectCode(result, 1);
      expect(await fx.user('S-2')).toBeDefined();
      expect(await fx.user('S-3')).toBeUndefined();
      const refusal = result.stderr.split('\n').find((line) => line.includes('veto-delete.js'));
      expect(refusal, result.stderr).toBeDefined();
      expect(refusal).toContain('e.kurz');
      expect(refusal).toContain('legal hold');
    } finally {
      await fx.dispose();
    }
  });

  it('a postDelete that throws: the users are deleted anyway and the failure is reported', async () => {
    const fx = await purgeReady('ext-post-delete');
    try {
      await editConfig(fx, { hooks: [extension('fail-post-delete.js')] });
      const result = await purge(fx);
      expect(await fx.user('S-2')).toBeUndefined();
      expect(await fx.user('S-3')).toBeUndefined();
      const failures = result.stderr.split('\n').filter((line) => line.includes('fail-post-delete.js'));
      expect(
        failures.some((line) => line.includes('uid=e.kurz')),
        result.stderr,
      ).toBe(true);
      expect(
        failures.some((line) => line.includes('uid=t.bach')),
        result.stderr,
      ).toBe(true);
      expect(failures.every((line) => line.includes('downstream system unavailable'))).toBe(true);
    } finally {
      await fx.dispose();
    }
  });

  it('runs the modules in the order of the hooks list', async () => {
    const fx = await purgeReady('ext-hook-order');
    try {
      // Listed against alphabetical order, so the order seen can only come from the list.
      await editConfig(fx, { hooks: [extension('hook-second.js'), extension('hook-first.js')] });
      expectCode(await purge(fx), 0);
      expect(await fx.user('S-2')).toBeUndefined();
      const calls = await hookCalls(fx);
      for (const username of ['e.kurz', 't.bach']) {
        expect(
          calls.filter((call) => call.username === username).map((call) => `${call.module}.${call.hook}`),
          username,
        ).toEqual(['second.preDelete', 'first.preDelete', 'second.postDelete', 'first.postDelete']);
      }
      expect(calls.every((call) => !call.dryRun)).toBe(true);
    } finally {
      await fx.dispose();
    }
  });

  it('--dry-run calls only the module declaring dryRun = true, with ctx.dryRun, and writes nothing', async () => {
    const fx = await purgeReady('ext-dry-purge');
    try {
      await editConfig(fx, { hooks: [extension('hook-first.js'), extension('hook-dry.js')] });
      const before = (await fx.auditLines()).length;
      expectCode(await purge(fx, ['--dry-run']), 0);
      const calls = await hookCalls(fx);
      expect(calls.filter((call) => call.module === 'first')).toEqual([]);
      const dry = calls.filter((call) => call.module === 'dry');
      expect(dry.map((call) => `${call.username} ${call.hook}`).sort()).toEqual([
        'e.kurz postDelete',
        'e.kurz preDelete',
        't.bach postDelete',
        't.bach preDelete',
      ]);
      expect(dry.every((call) => call.dryRun)).toBe(true);
      expect(await fx.user('S-2')).toBeDefined();
      expect(await fx.user('S-3')).toBeDefined();
      expect((await fx.auditLines()).length).toBe(before);
    } finally {
      await fx.dispose();
    }
  });
});

describe('hooks in an import --dry-run', () => {
  it('calls only the dryRun module, with ctx.dryRun, and creates nobody', async () => {
    const fx = await importFixture('ext-dry-import', {
      config: { hooks: [extension('hook-first.js'), extension('hook-dry.js')] },
    });
    try {
      await fx.writeRoster(everyone);
      expectCode(await fx.runImport(['--now', '2026-11-23', '--dry-run']), 0);
      const calls = await hookCalls(fx);
      expect(calls.filter((call) => call.module === 'first')).toEqual([]);
      const creates = calls.filter((call) => call.module === 'dry' && call.hook === 'preCreate');
      expect(creates.map((call) => call.username).sort()).toEqual(['e.kurz', 'j.meier', 't.bach']);
      expect(calls.every((call) => call.dryRun)).toBe(true);
      expect(await fx.users()).toEqual([]);
      expect(await fx.auditLines()).toEqual([]);

      // The same modules in a real run: both are called, in list order, neither with dryRun.
      expectCode(await fx.runImport(['--now', '2026-11-23']), 0);
      const real = (await hookCalls(fx)).slice(calls.length);
      for (const username of ['e.kurz', 'j.meier', 't.bach']) {
        expect(
          real.filter((call) => call.username === username).map((call) => `${call.module}.${call.hook}`),
          username,
        ).toEqual(['first.preCreate', 'dry.preCreate', 'first.postCreate', 'dry.postCreate']);
      }
      expect(real.every((call) => !call.dryRun)).toBe(true);
      expect(await fx.users()).toHaveLength(3);
    } finally {
      await fx.dispose();
    }
  });
});

describe('a dryRun hook that writes', () => {
  it('is refused in a dry run: its user shows as failed and nothing is written', async () => {
    const fx = await importFixture('ext-dry-writer', { config: { hooks: [extension('dry-writer.js')] } });
    try {
      await fx.writeRoster([everyone[0]!]);
      const dry = await fx.runImport(['--now', '2026-11-23', '--dry-run']);
      expect(dry.stderr).toContain('a dry run writes nothing');
      const made = await fx.tree.client.search(fx.tree.baseDn, {
        scope: 'sub',
        filter: '(objectClass=applicationProcess)',
        attributes: ['cn'],
      });
      expect(made.searchEntries).toEqual([]);
      expect(await fx.users()).toEqual([]);
      expect(await fx.auditLines()).toEqual([]);
    } finally {
      await fx.dispose();
    }
  });
});

describe('a dryRun hook that mails', () => {
  it('is refused in a dry run: nothing reaches the SMTP server', async () => {
    const sink = await startSmtpSink();
    const fx = await importFixture('ext-dry-mailer', {
      config: {
        hooks: [extension('dry-mailer.js')],
        mail: { from: 'rostersync@school.example', smtp: sink.smtp() },
      },
    });
    try {
      await fx.writeRoster([everyone[0]!]);
      const dry = await fx.runImport(['--now', '2026-11-23', '--dry-run']);
      expect(dry.stderr).toContain('a dry run sends no mail');
      expect(sink.received).toEqual([]);
      expect(await fx.users()).toEqual([]);
    } finally {
      await fx.dispose();
      await sink.close();
    }
  });
});

describe('shipped hook archive-before-delete.js', () => {
  it('with archive.dir: the purge archives each user as 0600 LDIF under the run date, then deletes it', async () => {
    const fx = await purgeReady('ext-archive');
    try {
      const archiveDir = join(fx.dir, 'archive');
      const dn = String((await fx.user('S-2'))?.dn);
      const entryUuid = one((await fx.user('S-2'))?.entryUUID);
      await editConfig(fx, { hooks: [shipped('archive-before-delete.js')], archive: { dir: archiveDir } });
      expectCode(await purge(fx), 0);

      expect(await fx.user('S-2')).toBeUndefined();
      expect(await fx.user('S-3')).toBeUndefined();
      for (const username of ['e.kurz', 't.bach']) {
        const file = join(archiveDir, PURGE_DAY, `${username}.ldif`);
        expect((await stat(file)).mode & 0o777, file).toBe(0o600);
      }
      const ldif = unfoldLdif(await readFile(join(archiveDir, PURGE_DAY, 'e.kurz.ldif'), 'utf8'));
      expect(ldif).toContain(`dn: ${dn}`);
      expect(ldif).toContain('uid: e.kurz');
      expect(ldif).toContain(`entryUUID: ${entryUuid}`);
    } finally {
      await fx.dispose();
    }
  });

  it('without archive.dir: exit 1, nobody is deleted', async () => {
    const fx = await purgeReady('ext-archive-nodir');
    try {
      await editConfig(fx, { hooks: [shipped('archive-before-delete.js')] });
      const result = await purge(fx);
      expectCode(result, 1);
      expect(result.stderr).toContain('archive.dir is not configured');
      expect(await fx.user('S-2')).toBeDefined();
      expect(await fx.user('S-3')).toBeDefined();
    } finally {
      await fx.dispose();
    }
  });
});

interface Received {
  method: string | undefined;
  type: string | undefined;
  body: Record<string, unknown>;
}

describe('shipped hook webhook-on-delete.js', () => {
  let server: Server;
  let url: string;
  const received: Received[] = [];
  beforeAll(async () => {
    server = createServer((request: IncomingMessage, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        received.push({
          method: request.method,
          type: request.headers['content-type'],
          body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>,
        });
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/rostersync`;
  });
  afterEach(() => {
    vi.unstubAllEnvs();
    received.splice(0);
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  async function expectOnePostPerPurgedUser(fx: ImportFixture, dns: Map<string, string>): Promise<void> {
    expect(await fx.user('S-2')).toBeUndefined();
    expect(await fx.user('S-3')).toBeUndefined();
    expect(received).toHaveLength(2);
    for (const request of received) {
      expect(request.method).toBe('POST');
      expect(request.type).toBe('application/json');
      expect(request.body.event).toBe('delete');
    }
    expect(new Map(received.map(({ body }) => [String(body.username), String(body.dn)]))).toEqual(dns);
  }

  async function dueDns(fx: ImportFixture): Promise<Map<string, string>> {
    return new Map([
      ['e.kurz', String((await fx.user('S-2'))?.dn)],
      ['t.bach', String((await fx.user('S-3'))?.dn)],
    ]);
  }

  it('POSTs once per purged user with its username and dn', async () => {
    const fx = await purgeReady('ext-webhook');
    try {
      const dns = await dueDns(fx);
      await editConfig(fx, { hooks: [shipped('webhook-on-delete.js')] });
      // The hook reads process.env; the in-process CLI gets only the environment the test hands it.
      vi.stubEnv('ROSTERSYNC_WEBHOOK_URL', url);
      expectCode(await purge(fx), 0);
      await expectOnePostPerPurgedUser(fx, dns);
    } finally {
      await fx.dispose();
    }
  });

  it('works with ROSTERSYNC_WEBHOOK_URL in the environment the CLI reads its config from', async () => {
    // As configured in the hook's own docs (systemd `Environment=ROSTERSYNC_WEBHOOK_URL=…`): the real CLI
    // reads ROSTERSYNC_* config variables from the same process environment the hook reads its URL from.
    const fx = await purgeReady('ext-webhook-env');
    try {
      const dns = await dueDns(fx);
      await editConfig(fx, { hooks: [shipped('webhook-on-delete.js')] });
      vi.stubEnv('ROSTERSYNC_WEBHOOK_URL', url);
      expectCode(await purge(fx, [], { ROSTERSYNC_WEBHOOK_URL: url }), 0);
      await expectOnePostPerPurgedUser(fx, dns);
    } finally {
      await fx.dispose();
    }
  });
});

describe('shipped hook notify-by-mail.js', () => {
  let sink: SmtpSink;
  beforeAll(async () => {
    sink = await startSmtpSink();
  });
  afterEach(() => {
    vi.unstubAllEnvs();
    sink.received.splice(0);
    sink.refuse.clear();
  });
  afterAll(async () => {
    await sink.close();
  });

  async function notifying(name: string): Promise<ImportFixture> {
    const fx = await purgeReady(name);
    await editConfig(fx, {
      hooks: [shipped('notify-by-mail.js')],
      mail: { from: 'rostersync@school.example', smtp: sink.smtp() },
    });
    return fx;
  }

  it('mails one notice per purged user through the audited mailer', async () => {
    const fx = await notifying('ext-notify');
    try {
      vi.stubEnv('ROSTERSYNC_HOOK_NOTIFY_TO', 'office@school.example');
      const dry = await purge(fx, ['--dry-run']);
      expectCode(dry, 0);
      expect(sink.received).toEqual([]);

      expectCode(await purge(fx), 0);
      expect(await fx.user('S-2')).toBeUndefined();
      const mails = [...sink.received].sort((a, b) => a.subject.localeCompare(b.subject));
      expect(mails.map((mail) => [mail.to, mail.subject])).toEqual([
        [['office@school.example'], 'rostersync: account e.kurz deleted'],
        [['office@school.example'], 'rostersync: account t.bach deleted'],
      ]);
      expect(mails[0]?.text).toContain('Record uid: S-2 (source');
      expect(mails[0]?.headers.get('auto-submitted')).toBe('auto-generated');
      const audited = (await fx.auditLines()).filter((line) => line.action === 'mail');
      expect(audited.map((line) => [line.user, line.recipient, line.rule, line.result]).sort()).toEqual([
        ['e.kurz', 'office@school.example', 'notice', 'ok'],
        ['t.bach', 'office@school.example', 'notice', 'ok'],
      ]);
    } finally {
      await fx.dispose();
    }
  });

  it('a refused notice is reported and audited; the deletion stands', async () => {
    const fx = await notifying('ext-notify-refused');
    try {
      vi.stubEnv('ROSTERSYNC_HOOK_NOTIFY_TO', 'nobody@school.example');
      sink.refuse.add('nobody@school.example');
      const result = await purge(fx);
      // As every post hook's failure: reported for its user, not a failure of the deletion.
      expectCode(result, 0);
      expect(result.stderr).toContain('mail to nobody@school.example not sent');
      const audited = (await fx.auditLines()).filter((line) => line.action === 'mail');
      expect(audited.map((line) => line.result)).toEqual(['error', 'error']);
      expect(await fx.user('S-2')).toBeUndefined();
      expect(await fx.user('S-3')).toBeUndefined();
    } finally {
      await fx.dispose();
    }
  });
});
