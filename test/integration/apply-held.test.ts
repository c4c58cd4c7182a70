/**
 * `rostersync apply` (SPEC §11): a saved plan applied later does what a direct run would have done, and only
 * while the directory is as the plan found it — a stale plan (a touched entry edited, a name taken since),
 * a plan of another source, a plan applied already: nothing written. A run killed half way is completed by
 * the same apply again. The directory is compared entry by entry with a twin that ran the import directly.
 */
import { spawn } from 'node:child_process';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Attribute, Change } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planId } from '../../src/held/ledger.js';
import { parsePlan } from '../../src/plan/read-plan.js';
import { dumpSubtree } from '../support/dump.js';
import { type ImportFixture, importFixture, type RosterRow } from '../support/import.js';
import { plusDays, today } from '../support/real-clock.js';
import { startWriteGate, type WriteGate } from '../support/write-gate.js';

const DAY = today();

const dump = (fx: ImportFixture): Promise<string> => dumpSubtree(fx.tree);

function pupils(from: number, to: number, prefix = 'P'): RosterRow[] {
  return Array.from({ length: to - from }, (_, offset) => {
    const index = from + offset;
    return {
      id: `${prefix}-${String(index).padStart(4, '0')}`,
      first: `First${index}`,
      last: `Last${index}`,
      schools: index % 2 === 0 ? 'gym1' : 'rs2',
      role: 'student',
      classes: index % 3 === 0 ? '5a' : '6b',
      email: `pupil${index}@school.example`,
    };
  });
}

/** The first roster, and the next one: some leave, one changes school and class, some come. */
const first = pupils(0, 12);
const changed = first[3] as RosterRow;
const second = [
  ...first.slice(0, 3),
  { ...changed, schools: 'rs2', classes: '7c', last: 'Renamed' },
  ...first.slice(4, 9),
  ...pupils(12, 16),
  { id: 'N-1', first: 'Nina', last: 'Neu', schools: 'gym1', role: 'student', classes: '5a' },
];

async function imported(name: string, rows: RosterRow[] = first): Promise<ImportFixture> {
  const fx = await importFixture(name);
  await fx.writeRoster(rows);
  const result = await fx.runImport(['--now', DAY]);
  expect(result.code, result.stderr).toBe(0);
  return fx;
}

/** Plans `rows` into `plan.json` without writing anything. */
async function hold(fx: ImportFixture, rows: RosterRow[] = second): Promise<string> {
  const plan = join(fx.dir, 'plan.json');
  await fx.writeRoster(rows);
  const result = await fx.runImport(['--now', DAY, '--dry-run', '--plan-out', plan]);
  expect(result.code, result.stderr).toBe(0);
  return plan;
}

const apply = (fx: ImportFixture, plan: string, extra: string[] = []) =>
  fx.run(['apply', '--config', fx.configPath, plan, ...extra]);

describe('rostersync apply', () => {
  let twin: ImportFixture;
  let twinDump: string;
  const fixtures: ImportFixture[] = [];
  const gates: WriteGate[] = [];
  beforeAll(async () => {
    twin = await imported('apply-twin');
    await twin.writeRoster(second);
    const direct = await twin.runImport(['--now', DAY]);
    expect(direct.code, direct.stderr).toBe(0);
    twinDump = await dump(twin);
  }, 60_000);
  afterAll(async () => {
    await twin?.dispose();
    for (const fx of fixtures) await fx.dispose();
    for (const gate of gates) await gate.close();
  });

  async function fixture(name: string): Promise<ImportFixture> {
    const fx = await imported(name);
    fixtures.push(fx);
    return fx;
  }

  it('applies the plan as a direct import would, with passwords made now, and records it', async () => {
    const fx = await fixture('apply-held');
    const plan = await hold(fx);
    const planned = JSON.parse(await readFile(plan, 'utf8')) as {
      basedOn: { entries: Record<string, string | null>; names: { usernames: string[] } };
    };
    // What it was computed from: the changed user's CSN, the new user's absence and username.
    const changedDn = Object.keys(planned.basedOn.entries).find((dn) => dn.startsWith('uid=f.last3,'));
    expect(changedDn && planned.basedOn.entries[changedDn]).toMatch(/^\d{14}\.\d{6}Z#/);
    expect(planned.basedOn.names.usernames).toContain('n.neu');
    expect(Object.entries(planned.basedOn.entries)).toContainEqual([
      expect.stringMatching(/^uid=n\.neu,/),
      null,
    ]);

    const summary = join(fx.dir, 'summary.json');
    const result = await apply(fx, plan, ['--summary-json', summary]);
    expect(result.code, result.stderr).toBe(0);
    expect(await dump(fx)).toEqual(twinDump);

    const nina = await fx.user('N-1');
    const password = (await fx.passwords()).get('n.neu');
    expect(password).toBeDefined();
    expect(await fx.canBind(String(nina?.dn), password ?? '')).toBe(true);
    expect(JSON.parse(await readFile(summary, 'utf8'))).toMatchObject({ exitCode: 0 });
    // A job of its own in `rostersync status`.
    const status = JSON.parse(await readFile(join(fx.stateDir, 'status.json'), 'utf8')) as Record<
      string,
      Record<string, { exitCode?: number }>
    >;
    expect(status['sis-test']?.apply?.exitCode).toBe(0);
    expect(
      (await readdir(join(fx.stateDir, 'applied-plans'))).filter((file) => file.endsWith('.json')),
    ).toHaveLength(1);

    // Once: the second apply writes nothing and says why.
    const audit = (await fx.auditLines()).length;
    const again = await apply(fx, plan);
    expect(again.code).toBe(5);
    expect(again.stderr).toMatch(/applied already/);
    expect((await fx.auditLines()).length).toBe(audit);
    expect(await dump(fx)).toEqual(twinDump);
  }, 60_000);

  it('is stale after a hand edit of an entry it touches: exit 5, nothing written, the entry named', async () => {
    const fx = await fixture('apply-stale');
    const plan = await hold(fx);
    const before = await dump(fx);
    const audit = (await fx.auditLines()).length;
    const user = await fx.user(changed.id);
    await fx.tree.client.modify(
      String(user?.dn),
      new Change({
        operation: 'replace',
        modification: new Attribute({ type: 'description', values: ['edited by hand'] }),
      }),
    );
    const result = await apply(fx, plan);
    expect(result.code, result.stderr).toBe(5);
    expect(result.stderr).toMatch(/stale plan/);
    expect(result.stderr).toContain(String(user?.dn));
    expect(await readdir(join(fx.stateDir, 'applied-plans'))).toEqual([]);
    expect((await fx.auditLines()).length).toBe(audit);
    const after = (await dump(fx)).replace('\ndescription: edited by hand', '');
    expect(after).toEqual(before);
  }, 60_000);

  it('is stale when a username it gives out was taken since', async () => {
    const fx = await fixture('apply-taken');
    const plan = await hold(fx);
    await fx.tree.client.add(`ou=staff,${fx.tree.baseDn}`, {
      objectClass: ['organizationalUnit'],
      ou: ['staff'],
    });
    await fx.tree.client.add(`uid=n.neu,ou=staff,${fx.tree.baseDn}`, {
      objectClass: ['inetOrgPerson'],
      uid: ['n.neu'],
      cn: ['Nils Neu'],
      sn: ['Neu'],
    });
    const before = await dump(fx);
    const audit = (await fx.auditLines()).length;
    const result = await apply(fx, plan);
    expect(result.code, result.stderr).toBe(5);
    expect(result.stderr).toMatch(/uid=n\.neu,ou=staff,.*holds username n\.neu/);
    expect((await fx.auditLines()).length).toBe(audit);
    expect(await dump(fx)).toEqual(before);
  }, 60_000);

  it('refuses a plan of another source with exit 2', async () => {
    const fx = await fixture('apply-source');
    const plan = await hold(fx);
    await fx.editConfig({ source_uid: 'sis-other' });
    const audit = (await fx.auditLines()).length;
    const result = await apply(fx, plan);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /the plan is for source "sis-test", this config's source_uid is "sis-other"/,
    );
    expect((await fx.auditLines()).length).toBe(audit);
  }, 60_000);

  it('refuses a plan only printed (--format json, no --plan-out): it records no CSNs, plan again', async () => {
    const fx = await fixture('apply-printed');
    await fx.writeRoster(second);
    const printed = await fx.runImport(['--now', DAY, '--dry-run', '--format', 'json']);
    expect(printed.code, printed.stderr).toBe(0);
    const plan = join(fx.dir, 'printed.json');
    await writeFile(plan, printed.stdout);
    const audit = (await fx.auditLines()).length;
    const result = await apply(fx, plan);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('does not record the entries it was computed from; plan again');
    expect((await fx.auditLines()).length).toBe(audit);
  }, 60_000);

  it('refuses a plan made with another config with exit 2', async () => {
    const fx = await fixture('apply-config');
    const plan = await hold(fx);
    await fx.editConfig({ tolerate_errors: 7 });
    const result = await apply(fx, plan);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/made with another config/);
  }, 60_000);

  it('applies a purge plan later', async () => {
    const fx = await fixture('apply-purge');
    await fx.writeRoster(first.slice(0, 8));
    expect((await fx.runImport(['--now', DAY])).code).toBe(0);
    const purgeDay = plusDays(DAY, 31);
    const plan = join(fx.dir, 'purge.json');
    const dry = await fx.run([
      'purge',
      '--config',
      fx.configPath,
      '--now',
      purgeDay,
      '--dry-run',
      '--plan-out',
      plan,
    ]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(await fx.users()).toHaveLength(12);
    const result = await apply(fx, plan);
    expect(result.code, result.stderr).toBe(0);
    const left = await fx.users();
    expect(left.map((user) => user.rostersyncRecordUid).sort()).toEqual(
      first.slice(0, 8).map((row) => row.id),
    );
    const again = await apply(fx, plan);
    expect(again.code).toBe(5);
  }, 60_000);

  it('killed (SIGKILL) half way, is completed by the same apply again, as the twin', async () => {
    const many = pupils(100, 400, 'Q');
    const [killed, straight] = await Promise.all([
      imported('apply-killed', first),
      imported('apply-killed-twin', first),
    ]);
    fixtures.push(killed, straight);
    // The killed side talks to its server through a gate that stops it at its 120th write, however loaded
    // the machine (polling the audit log could let it run on to the end).
    const gate = await startWriteGate(killed.tree.url);
    gates.push(gate);
    await killed.editConfig({ ldap: { url: gate.url, concurrency: 8 } });
    await straight.editConfig({ ldap: { concurrency: 8 } });
    const rows = [...second, ...many];
    await straight.writeRoster(rows);
    expect((await straight.runImport(['--now', DAY])).code).toBe(0);
    const plan = await hold(killed, rows);

    const child = spawn(
      process.execPath,
      ['bin/rostersync.js', 'apply', '--config', killed.configPath, plan],
      {
        env: { PATH: process.env.PATH },
        stdio: ['ignore', 'ignore', 'ignore'],
      },
    );
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    gate.arm(120, () => child.kill('SIGKILL'));
    await exited;
    gate.open();
    // Interrupted: not every new user is there yet.
    expect((await killed.users()).length).toBeLessThan((await straight.users()).length);

    const rerun = await apply(killed, plan);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stderr).toMatch(/stopped after \d+ of \d+ actions; completing it/);
    expect(await dump(killed)).toEqual(await dump(straight));
    // Every user made has its password listed, whichever run made it.
    const passwords = await killed.passwords();
    for (const row of many.slice(0, 20)) {
      const user = await killed.user(row.id);
      expect(await killed.canBind(String(user?.dn), passwords.get(String(user?.uid)) ?? '')).toBe(true);
    }
    expect((await apply(killed, plan)).code).toBe(5);
  }, 120_000);

  it('tells by the directory whether an action a killed run began was sent, and does not send it twice', async () => {
    const fx = await fixture('apply-in-doubt');
    const plan = await hold(fx);
    const parsed = parsePlan(await readFile(plan, 'utf8'), plan);
    const position = parsed.actions.findIndex(
      (action) => action.kind === 'modify' && action.recordUid === changed.id,
    );
    const action = parsed.actions[position];
    if (action?.kind !== 'modify') throw new Error('the plan has no modify of the changed user');
    // The killed run sent it (the server took it) and died before it could note it done.
    for (const change of action.changes) {
      await fx.tree.client.modify(
        action.dn,
        new Change({
          operation: change.operation,
          modification: new Attribute({ type: change.attribute, values: change.values }),
        }),
      );
    }
    await mkdir(join(fx.stateDir, 'applied-plans'), { recursive: true });
    await writeFile(join(fx.stateDir, 'applied-plans', `${planId(parsed)}.journal`), `b ${position}\n`);
    const audit = (await fx.auditLines()).length;

    const result = await apply(fx, plan);
    expect(result.code, result.stderr).toBe(0);
    expect(await dump(fx)).toEqual(twinDump);
    const sent = (await fx.auditLines()).slice(audit);
    expect(sent.filter((line) => line.action === 'modify' && line.dn === action.dn)).toEqual([]);
    // The rest of the plan went out.
    expect(sent.some((line) => line.action === 'add' && String(line.dn).startsWith('uid=n.neu,'))).toBe(true);
  }, 60_000);

  it('stops at the safety limit as a direct run does: exit 3, nothing written, not applied', async () => {
    const fx = await fixture('apply-safety');
    await fx.editConfig({ safety: { max_deletions: 1 } });
    const plan = join(fx.dir, 'plan.json');
    await fx.writeRoster(first.slice(0, 6));
    expect((await fx.runImport(['--now', DAY, '--dry-run', '--plan-out', plan])).code).toBe(3);
    const before = await dump(fx);
    const audit = (await fx.auditLines()).length;
    const result = await apply(fx, plan);
    expect(result.code, result.stderr).toBe(3);
    expect(result.stderr).toMatch(/safety limit/);
    expect((await fx.auditLines()).length).toBe(audit);
    expect(await dump(fx)).toEqual(before);
    expect((await apply(fx, plan)).code).toBe(3);
  }, 60_000);

  it("runs the hooks as a direct run does: a preCreate's veto keeps that user out", async () => {
    const fx = await importFixture('apply-hooks', {
      config: { hooks: [fileURLToPath(new URL('../fixtures/extensions/veto-create.js', import.meta.url))] },
    });
    fixtures.push(fx);
    const plan = await hold(fx, [
      ...first.slice(0, 2),
      { id: 'K-1', first: 'Eva', last: 'Kurz', schools: 'gym1', role: 'student', classes: '5a' },
    ]);
    const result = await apply(fx, plan);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('not on the allow list');
    expect(await fx.user('K-1')).toBeUndefined();
    expect(await fx.user(first[1]?.id ?? '')).toBeDefined();
    expect([...(await fx.passwords()).keys()]).not.toContain('e.kurz');
  }, 60_000);
});
