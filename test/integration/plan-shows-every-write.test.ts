/**
 * Everything a run writes is an action of its plan: the dry run's `--format ldif` has one change record for
 * each write the real run sends (its audit log), the groups of other tools that name a deleted user and the
 * missing `purge.move_to_dn` included — nothing is written at apply time that the plan did not show.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserImport, type ManagedUser, type UserImportContext } from '../../src/apply/user-import.js';
import { AuditedWriter } from '../../src/apply/writer.js';
import { parseConfig } from '../../src/config/index.js';
import { Directory } from '../../src/directory/index.js';
import { unfoldLdif } from '../../src/ldif.js';
import type { DeleteUserAction, Plan } from '../../src/plan/types.js';
import { type ImportFixture, importFixture, type RosterRow } from '../support/import.js';
import { MemoryAuditLog, silentLogger } from '../support/logging.js';
import { addHandUser, addOu, readEntry, values } from '../support/scope-helpers.js';

const NOW = ['--now', '2026-11-23'];

const EVA: RosterRow = {
  id: 'S-1',
  first: 'Eva',
  last: 'Kurz',
  schools: 'gym1',
  role: 'student',
  classes: '5a',
};
const TOM: RosterRow = {
  id: 'S-2',
  first: 'Tom',
  last: 'Lind',
  schools: 'gym1',
  role: 'student',
  classes: '5a',
};

/** `changetype dn` of every change record of an LDIF, in order, DNs lower-cased: as the audit log names them. */
function changeRecords(ldif: string): string[] {
  return unfoldLdif(ldif)
    .split(/\n\n+/)
    .map((block) => block.split('\n').filter((line) => line !== '' && !line.startsWith('#')))
    .filter((lines) => lines[0]?.startsWith('dn:'))
    .map((lines) => {
      const [dnLine = '', typeLine = ''] = lines;
      const dn = dnLine.startsWith('dn:: ')
        ? Buffer.from(dnLine.slice('dn:: '.length), 'base64').toString('utf8')
        : dnLine.slice('dn: '.length);
      return `${typeLine.replace(/^changetype: /, '')} ${dn.toLowerCase()}`;
    });
}

/** The dry run's plan (JSON) and its LDIF, and the real run's writes, of one command. */
async function dryThenReal(
  fx: ImportFixture,
  args: string[],
): Promise<{ plan: Plan; ldif: string[]; written: string[]; exitCode: number }> {
  const json = await fx.run([...args, '--dry-run', '--format', 'json']);
  expect(json.code, json.stderr).toBe(0);
  const ldif = await fx.run([...args, '--dry-run', '--format', 'ldif']);
  expect(ldif.code, ldif.stderr).toBe(0);
  const before = (await fx.auditLines()).length;
  const real = await fx.run(args);
  const lines = (await fx.auditLines()).slice(before);
  for (const line of lines) expect(line.result, JSON.stringify(line)).toBe('ok');
  return {
    plan: JSON.parse(json.stdout) as Plan,
    ldif: changeRecords(ldif.stdout),
    written: lines.map((line) => `${String(line.action)} ${String(line.dn).toLowerCase()}`),
    exitCode: real.code,
  };
}

const sorted = (items: string[]) => [...items].sort();

describe('an import that deletes users of other tools’ groups', () => {
  let fx: ImportFixture;
  let eva: string;
  let tom: string;
  let admin: string;
  const groups = { library: '', chess: '', unix: '' };

  beforeAll(async () => {
    fx = await importFixture('every-write');
    await fx.editConfig({ deletion_grace_period: { deactivation: 0, deletion: 0 } });
    await fx.writeRoster([EVA, TOM]);
    expect((await fx.runImport(NOW)).code).toBe(0);
    eva = String((await fx.user('S-1'))?.dn);
    tom = String((await fx.user('S-2'))?.dn);
    const client = fx.tree.client;
    admin = await addHandUser(client, await addOu(client, 'staff', fx.tree.baseDn), {
      uid: 'k.admin',
      givenName: 'Kai',
      sn: 'Admin',
    });
    // Made by hand and by other tools: a groupOfNames, a groupOfUniqueNames and a posixGroup naming Eva.
    groups.library = `cn=library,${fx.tree.baseDn}`;
    await client.add(groups.library, { objectClass: 'groupOfNames', cn: 'library', member: [eva, admin] });
    groups.chess = `cn=chess,${fx.tree.baseDn}`;
    await client.add(groups.chess, {
      objectClass: 'groupOfUniqueNames',
      cn: 'chess',
      uniqueMember: [eva, tom],
    });
    groups.unix = `cn=unix,${fx.tree.baseDn}`;
    await client.add(groups.unix, {
      objectClass: 'posixGroup',
      cn: 'unix',
      gidNumber: '4711',
      memberUid: 'e.kurz',
    });
  });
  afterAll(async () => {
    await fx?.dispose();
  });

  it('the dry run shows each group change, and the real run writes exactly what its LDIF says', async () => {
    await fx.writeRoster([TOM]);
    const run = await dryThenReal(fx, [
      'import',
      '--config',
      fx.configPath,
      '--input',
      fx.rosterPath,
      ...NOW,
    ]);
    expect(run.exitCode).toBe(0);

    const removals = run.plan.actions.filter((action) => action.phase === 'removals');
    expect(removals.map((action) => `${action.kind} ${action.dn}`)).toEqual(
      expect.arrayContaining([
        `modify-group ${groups.library}`,
        `modify-group ${groups.chess}`,
        `modify-group ${groups.unix}`,
      ]),
    );
    // Group changes before the entry they point to; doDelete has nothing left to look for.
    expect(removals.at(-1)).toMatchObject({ kind: 'delete', dn: eva, sweepReferences: false });
    expect(run.ldif).toEqual(
      expect.arrayContaining([
        `modify ${groups.library.toLowerCase()}`,
        `modify ${groups.chess.toLowerCase()}`,
        `modify ${groups.unix.toLowerCase()}`,
        `delete ${eva.toLowerCase()}`,
      ]),
    );
    expect(sorted(run.written)).toEqual(sorted(run.ldif));

    // The directory: Eva is gone and no group names her any more; everyone else stays.
    const client = fx.tree.client;
    expect(await readEntry(client, eva)).toBeUndefined();
    expect(values(await readEntry(client, groups.library), 'member')).toEqual([admin]);
    expect(values(await readEntry(client, groups.chess), 'uniqueMember')).toEqual([tom]);
    expect(values(await readEntry(client, groups.unix), 'memberUid')).toEqual([]);
    expect(await readEntry(client, groups.unix)).toBeDefined();
  });

  it('keeps the last member of another tool’s groups, names the groups, and exits 1', async () => {
    await fx.writeRoster([]);
    const solo = `cn=solo,${fx.tree.baseDn}`;
    await fx.tree.client.add(solo, { objectClass: 'groupOfNames', cn: 'solo', member: tom });
    const before = await readEntry(fx.tree.client, tom);
    const dry = await fx.runImport([...NOW, '--dry-run', '--format', 'json']);
    const plan = JSON.parse(dry.stdout) as Plan;
    // Tom is the last member of the hand-made group, and the last uniqueMember of chess since Eva left.
    expect(plan.problems.map((problem) => problem.where).sort()).toEqual([groups.chess, solo].sort());
    expect(plan.actions.filter((action) => action.kind === 'delete')).toEqual([]);
    expect(dry.stderr).toContain(`${solo}: would lose its last member (${tom})`);

    // The kept user is reported and the run exits 1 (tolerate_errors: 0); nothing else was to be written.
    const auditBefore = (await fx.auditLines()).length;
    const real = await fx.runImport(NOW);
    expect(real.code).toBe(1);
    expect((await fx.auditLines()).length).toBe(auditBefore);
    expect(await readEntry(fx.tree.client, tom)).toEqual(before);
    expect(values(await readEntry(fx.tree.client, solo), 'member')).toEqual([tom]);
  });

  it('a user kept that way stops nothing else: a new user is still created', async () => {
    await fx.writeRoster([{ ...TOM, id: 'S-9', first: 'Nora', last: 'Neu' }]);
    const real = await fx.runImport(NOW);
    expect(real.code).toBe(1);
    expect(await fx.user('S-9')).toBeDefined();
    expect(await readEntry(fx.tree.client, tom)).toBeDefined();
  });
});

describe('purge.mode: move into a container that does not exist yet', () => {
  let fx: ImportFixture;
  let moveTo: string;
  beforeAll(async () => {
    fx = await importFixture('every-write-move');
    moveTo = `ou=removed,${fx.tree.baseDn}`;
    await fx.editConfig({ purge: { mode: 'move', move_to_dn: moveTo } });
    await fx.writeRoster([EVA, TOM, { ...TOM, id: 'S-3', first: 'Ute', last: 'Moor' }]);
    expect((await fx.runImport(NOW)).code).toBe(0);
    // Grace 0/30: Tom is locked now and due for the purge in 30 days.
    await fx.writeRoster([EVA, { ...TOM, id: 'S-3', first: 'Ute', last: 'Moor' }]);
    expect((await fx.runImport(NOW)).code).toBe(0);
  });
  afterAll(async () => {
    await fx?.dispose();
  });

  it('the purge plans the container, and writes exactly what its LDIF says', async () => {
    const tom = String((await fx.user('S-2'))?.dn);
    const run = await dryThenReal(fx, ['purge', '--config', fx.configPath, '--now', '2027-01-01']);
    expect(run.exitCode).toBe(0);
    expect(run.plan.actions).toContainEqual(
      expect.objectContaining({ kind: 'create-container', dn: moveTo }),
    );
    expect(run.ldif).toEqual(
      expect.arrayContaining([`add ${moveTo.toLowerCase()}`, `modrdn ${tom.toLowerCase()}`]),
    );
    expect(sorted(run.written)).toEqual(sorted(run.ldif));
    expect(String((await fx.user('S-2'))?.dn).toLowerCase()).toBe(`uid=t.lind,${moveTo}`.toLowerCase());
  });

  it('the import plans it too, when the container is gone again', async () => {
    await fx.tree.client.del(`uid=t.lind,${moveTo}`);
    await fx.tree.client.del(moveTo);
    await fx.editConfig({ deletion_grace_period: { deactivation: 0, deletion: 0 } });
    await fx.writeRoster([EVA]);
    const ute = String((await fx.user('S-3'))?.dn);
    const run = await dryThenReal(fx, [
      'import',
      '--config',
      fx.configPath,
      '--input',
      fx.rosterPath,
      ...NOW,
    ]);
    expect(run.exitCode).toBe(0);
    expect(run.ldif).toEqual(
      expect.arrayContaining([`add ${moveTo.toLowerCase()}`, `modrdn ${ute.toLowerCase()}`]),
    );
    expect(sorted(run.written)).toEqual(sorted(run.ldif));
    expect(String((await fx.user('S-3'))?.dn).toLowerCase()).toBe(`uid=u.moor,${moveTo}`.toLowerCase());
  });

  it('doDelete does not create a missing target itself: the move fails, naming purge.move_to_dn', async () => {
    const client = fx.tree.client;
    const people = await addOu(client, 'hand', fx.tree.baseDn);
    const dn = await addHandUser(client, people, { uid: 'h.hand', givenName: 'Hanna', sn: 'Hand' });
    const before = await readEntry(client, dn);
    const target = `ou=gone,${fx.tree.baseDn}`;
    const config = parseConfig(
      {
        source_uid: 'sis-test',
        ldap: { url: fx.tree.url, base_dn: fx.tree.baseDn },
        purge: { mode: 'move', move_to_dn: target },
      },
      'test',
    );
    const directory = await Directory.connect({
      url: fx.tree.url,
      bindDn: fx.tree.adminDn,
      bindPassword: fx.tree.adminPassword,
      starttls: false,
      tls: { rejectUnauthorized: true },
      timeoutMs: 10_000,
      pageSize: 500,
    });
    try {
      const audit = new MemoryAuditLog();
      const user: ManagedUser = {
        dn,
        username: 'h.hand',
        recordUid: 'H-1',
        sourceUid: 'sis-test',
        schools: [],
        roles: [],
        attributes: {},
      };
      const action: DeleteUserAction = {
        kind: 'delete',
        phase: 'removals',
        dn,
        recordUid: 'H-1',
        username: 'h.hand',
        school: '',
        sweepReferences: false,
        mode: 'move',
        moveTo: target,
      };
      const ctx: UserImportContext<DeleteUserAction> = {
        action,
        config,
        directory,
        writer: new AuditedWriter(directory, audit),
        logger: silentLogger,
        now: new Date(),
        dryRun: false,
      };
      await expect(new UserImport().doDelete(user, ctx)).rejects.toThrow(
        `purge.move_to_dn ${target} does not exist`,
      );
      expect(audit.entries).toEqual([]);
      expect(await directory.exists(target)).toBe(false);
      expect(await readEntry(client, dn)).toEqual(before);
    } finally {
      await directory.close();
    }
  });
});
