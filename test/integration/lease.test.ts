/**
 * The run lock held in the directory (SPEC §5, issue "Several hosts"): a lease entry per source and per
 * `--school` partition under `ou=leases,ou=rostersync,<base_dn>`. Each "host" here is a CLI process with
 * a state_dir of its own, so only the directory's lease can keep two of them apart.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Attribute, Change, NoSuchObjectError } from 'ldapts';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { type Config, loadConfig } from '../../src/config/index.js';
import { connectDirectory, type Directory } from '../../src/directory/index.js';
import { DirectoryLayout } from '../../src/directory/layout.js';
import { parseGeneralizedTime, toGeneralizedTime } from '../../src/dates.js';
import { DirectoryLease, leaseOptions } from '../../src/lease/index.js';
import { LockedError } from '../../src/state/lock.js';
import { childEnv } from '../support/child-env.js';
import { dumpSubtree } from '../support/dump.js';
import { type ImportFixture, importFixture, merge, type RosterRow } from '../support/import.js';
import { silentLogger } from '../support/logging.js';

const GATE_HOOK = resolve('test/fixtures/lease/gate-hook.js');
const DROP_HOOK = resolve('test/fixtures/lease/drop-lease-hook.js');
const LEASE_SECONDS = 3;

const gym1: RosterRow[] = Array.from({ length: 6 }, (_, index) => ({
  id: `G-${index + 1}`,
  first: 'Gina',
  last: `Gymnas${String.fromCharCode(97 + index)}`,
  schools: 'gym1',
  role: 'student',
  classes: '5a',
}));
const rs2: RosterRow[] = Array.from({ length: 4 }, (_, index) => ({
  id: `R-${index + 1}`,
  first: 'Rolf',
  last: `Real${String.fromCharCode(97 + index)}`,
  schools: 'rs2',
  role: 'teacher',
  classes: '7b',
}));

interface Run {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

/** Another host: the fixture's config with a state_dir (lock files, status) of its own. */
async function hostConfig(
  fx: ImportFixture,
  host: string,
  over: Record<string, unknown> = {},
): Promise<string> {
  const base = parse(await readFile(fx.configPath, 'utf8')) as Record<string, unknown>;
  const path = join(fx.dir, `${host}.yaml`);
  await writeFile(path, stringify(merge(base, { state_dir: join(fx.dir, `state-${host}`), ...over })));
  return path;
}

function start(configPath: string, args: string[], env: NodeJS.ProcessEnv = {}): Run {
  const child = spawn(process.execPath, ['bin/rostersync.js', ...args, '--config', configPath], {
    env: childEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let text = '';
  child.stdout?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  return { child, output: () => text, exited };
}

function importRun(
  fx: ImportFixture,
  configPath: string,
  schools: string[],
  env: NodeJS.ProcessEnv = {},
): Run {
  const args = ['import', '--input', fx.rosterPath, '--now', '2026-11-23'];
  for (const school of schools) args.push('--school', school);
  return start(configPath, args, env);
}

async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  ms = 20_000,
  run?: Run,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(20);
  }
  throw new Error(`timed out waiting for ${what}${run ? `\n${run.output()}` : ''}`);
}

interface LeaseEntry {
  dn: string;
  holder: string;
  expires: string;
  school: string | undefined;
}

/** The lease entries under ou=leases, read as the admin. */
async function leases(fx: ImportFixture): Promise<LeaseEntry[]> {
  try {
    const { searchEntries } = await fx.tree.client.search(`ou=leases,ou=rostersync,${fx.tree.baseDn}`, {
      scope: 'one',
      filter: '(objectClass=rostersyncLease)',
      attributes: ['rostersyncLeaseHolder', 'rostersyncLeaseExpires', 'rostersyncLeaseSchool'],
    });
    // ldapts gives an attribute asked for but absent as [].
    const one = (value: string | string[] | Buffer | Buffer[] | undefined): string | undefined => {
      const first = Array.isArray(value) ? value[0] : value;
      return first === undefined ? undefined : first.toString();
    };
    return searchEntries.map((entry) => ({
      dn: entry.dn,
      holder: one(entry.rostersyncLeaseHolder) ?? '',
      expires: one(entry.rostersyncLeaseExpires) ?? '',
      school: one(entry.rostersyncLeaseSchool),
    }));
  } catch (error) {
    if (error instanceof NoSuchObjectError) return []; // no run has made the containers yet
    throw error;
  }
}

const holderPid = (lease: LeaseEntry | undefined): number =>
  Number(/\bpid=(\d+)/.exec(lease?.holder ?? '')?.[1]);

/** A gate file: runs given it as LEASE_GATE wait at their first new user until it is opened. */
function gate(fx: ImportFixture): { env: NodeJS.ProcessEnv; open: () => Promise<void> } {
  const path = join(fx.dir, `gate-${randomBytes(3).toString('hex')}`);
  return { env: { LEASE_GATE: path }, open: () => writeFile(path, '') };
}

describe('the run lock as a lease in the directory', () => {
  const fixtures: ImportFixture[] = [];
  afterAll(async () => {
    for (const fx of fixtures) await fx.dispose();
  });

  async function fixture(name: string, config: Record<string, unknown> = {}): Promise<ImportFixture> {
    const fx = await importFixture(name, {
      config: merge({ hooks: [GATE_HOOK], lock: { lease_seconds: LEASE_SECONDS } }, config),
    });
    fixtures.push(fx);
    await fx.writeRoster([...gym1, ...rs2]);
    return fx;
  }

  it('two hosts importing the same school at once: one runs, the other exits 4 naming its host and pid', async () => {
    const fx = await fixture('lease-same');
    const [a, b] = [await hostConfig(fx, 'a'), await hostConfig(fx, 'b')];
    const { env, open } = gate(fx);
    const runs = [importRun(fx, a, ['gym1'], env), importRun(fx, b, ['gym1'], env)];

    // The one that did not get the lease stops at once; the other waits at its gate, holding it.
    const first = await Promise.race(runs.map(async (run) => ({ run, code: await run.exited })));
    expect(first.code, first.run.output()).toBe(4);
    const holder = runs.find((run) => run !== first.run)!;
    expect(first.run.output()).toContain(
      `another run holds the lock for source sis-test, school gym1 (pid ${holder.child.pid} on host ${hostname()}, import, started `,
    );
    const held = await leases(fx);
    expect(held).toHaveLength(1);
    expect(held[0]?.dn).toMatch(/^cn=sis-test\/gym1,ou=leases,ou=rostersync,/);
    expect(held[0]?.school).toBe('gym1');
    expect(holderPid(held[0])).toBe(holder.child.pid);

    await open();
    expect(await holder.exited, holder.output()).toBe(0);
    expect(await leases(fx)).toEqual([]);
    expect((await fx.users()).map((user) => user.rostersyncRecordUid).sort()).toEqual(
      gym1.map((row) => row.id),
    );
  });

  it('two hosts importing different schools at once both succeed, and the directory equals one full run', async () => {
    const fx = await fixture('lease-partitions');
    const twin = await fixture('lease-partitions-twin');
    const { env, open } = gate(fx);
    const runs = [
      importRun(fx, await hostConfig(fx, 'a'), ['gym1'], env),
      importRun(fx, await hostConfig(fx, 'b'), ['rs2'], env),
    ];
    // Both hold their school's lease at the same time.
    await until(async () => (await leases(fx)).length === 2, 'both leases');
    expect((await leases(fx)).map((lease) => lease.school).sort()).toEqual(['gym1', 'rs2']);
    await open();
    for (const run of runs) expect(await run.exited, run.output()).toBe(0);
    expect(await leases(fx)).toEqual([]);

    const full = await twin.runImport(['--now', '2026-11-23']);
    expect(full.code, full.stderr).toBe(0);
    expect((await fx.users()).length).toBe(gym1.length + rs2.length);
    expect(await dumpSubtree(fx.tree)).toEqual(await dumpSubtree(twin.tree));
  });

  it('two schools run side by side on one host: `status` shows each partition, running and then its result', async () => {
    const fx = await fixture('lease-status');
    const configPath = await hostConfig(fx, 'one');
    const { env, open } = gate(fx);
    const runs = [importRun(fx, configPath, ['gym1'], env), importRun(fx, configPath, ['RS2'], env)];
    await until(async () => (await leases(fx)).length === 2, 'both leases');
    const status = async () => {
      const shown = start(configPath, ['status', '--format', 'json']);
      expect(await shown.exited, shown.output()).toBe(0);
      return JSON.parse(shown.output()) as Record<
        string,
        { schools?: string[]; running?: unknown; result?: string }
      >;
    };
    // Both are recorded as running: the later start did not take the earlier's place.
    await until(async () => Object.keys(await status()).length === 2, 'both runs recorded as started');
    const running = await status();
    expect(Object.keys(running).sort()).toEqual(['import --school gym1', 'import --school rs2']);
    for (const slot of Object.values(running)) expect(slot.running).toBeDefined();
    await open();
    for (const run of runs) expect(await run.exited, run.output()).toBe(0);
    const done = await status();
    expect(done['import --school gym1']).toMatchObject({ schools: ['gym1'], result: 'ok' });
    expect(done['import --school rs2']).toMatchObject({ schools: ['rs2'], result: 'ok' });
    expect(done['import --school rs2']?.running).toBeUndefined();
  });

  it('a run of the whole source and a run of one school exclude each other', async () => {
    const fx = await fixture('lease-full-vs-school');
    const [a, b] = [await hostConfig(fx, 'a'), await hostConfig(fx, 'b')];

    const school = gate(fx);
    const partial = importRun(fx, a, ['gym1'], school.env);
    await until(async () => (await leases(fx)).length === 1, 'the school lease');
    const whole = importRun(fx, b, []);
    expect(await whole.exited, whole.output()).toBe(4);
    expect(whole.output()).toContain(`school gym1 (pid ${partial.child.pid} on host ${hostname()}, import`);
    await school.open();
    expect(await partial.exited, partial.output()).toBe(0);

    // A newcomer: the whole-source run has a user to create, and so a gate to wait at.
    await fx.writeRoster([...gym1, ...rs2, { ...gym1[0]!, id: 'G-new', last: 'Neuling' }]);
    const source = gate(fx);
    const full = importRun(fx, a, [], source.env);
    await until(
      async () => (await leases(fx)).some((lease) => lease.school === undefined),
      'the source lease',
      20_000,
      full,
    );
    const oneSchool = importRun(fx, b, ['rs2']);
    expect(await oneSchool.exited, oneSchool.output()).toBe(4);
    expect(oneSchool.output()).toContain(
      `another run holds the lock for source sis-test (pid ${full.child.pid} on host ${hostname()}, import`,
    );
    await source.open();
    expect(await full.exited, full.output()).toBe(0);
    expect(await leases(fx)).toEqual([]);
  });

  it('the lease of a SIGKILLed run on this host is taken over at once', async () => {
    // A long lease: the second run must not be waiting for it to run out.
    const fx = await fixture('lease-killed', { lock: { lease_seconds: 600 } });
    const { env } = gate(fx); // never opened
    const killed = importRun(fx, await hostConfig(fx, 'a'), ['gym1'], env);
    await until(async () => (await fx.users()).length > 0, 'the first user');
    killed.child.kill('SIGKILL');
    await killed.exited;
    expect(holderPid((await leases(fx))[0])).toBe(killed.child.pid);

    const next = importRun(fx, await hostConfig(fx, 'b'), ['gym1']);
    expect(await next.exited, next.output()).toBe(0);
    expect(next.output()).toContain(`that process is gone`);
    expect(next.output()).toContain(`of pid ${killed.child.pid} on host ${hostname()}`);
    expect(await leases(fx)).toEqual([]);
    expect((await fx.users()).length).toBe(gym1.length);
  });

  it('the lease of a dead run on another host binds until it runs out, then is taken over', async () => {
    const fx = await fixture('lease-other-host');
    const { env } = gate(fx);
    const killed = importRun(fx, await hostConfig(fx, 'a'), ['gym1'], env);
    await until(async () => (await fx.users()).length > 0, 'the first user');
    killed.child.kill('SIGKILL');
    await killed.exited;
    // As if that run had been on another machine, renewed a moment ago: this host cannot tell whether its pid lives.
    const [lease] = await leases(fx);
    const elsewhere = lease!.holder.replace(/\bhost=\S+/, 'host=elsewhere.example');
    const expires = Date.now() + LEASE_SECONDS * 1000;
    const replace = (type: string, value: string) =>
      new Change({ operation: 'replace', modification: new Attribute({ type, values: [value] }) });
    await fx.tree.client.modify(lease!.dn, [
      replace('rostersyncLeaseHolder', elsewhere),
      replace('rostersyncLeaseExpires', toGeneralizedTime(new Date(expires))),
    ]);
    const b = await hostConfig(fx, 'b');
    const refused = importRun(fx, b, ['gym1']);
    expect(await refused.exited, refused.output()).toBe(4);
    expect(refused.output()).toContain(
      `(pid ${killed.child.pid} on host elsewhere.example, import, started `,
    );

    await until(() => Date.now() > expires + 1000, 'the lease to run out', (LEASE_SECONDS + 5) * 1000);
    const next = importRun(fx, b, ['gym1']);
    expect(await next.exited, next.output()).toBe(0);
    expect(next.output()).toContain('of pid');
    expect(next.output()).toContain('on host elsewhere.example: it ran out');
    expect(await leases(fx)).toEqual([]);
  });

  it('a run whose lease is removed by hand stops before its next write, exit 4', async () => {
    const fx = await fixture('lease-lost', { hooks: [DROP_HOOK], ldap: { concurrency: 1 } });
    await fx.writeRoster(gym1);
    const run = start(fx.configPath, ['import', '--input', fx.rosterPath, '--now', '2026-11-23'], {
      LEASE_DROP_AT: 'G-3',
      LEASE_DROP_WAIT_MS: String(LEASE_SECONDS * 1000 + 1500),
    });
    expect(await run.exited, run.output()).toBe(4);
    expect(run.output()).toMatch(
      /the run lost its lease cn=sis-test,ou=leases,ou=rostersync,\S+ \(removed or taken over\); stopped before the next write/,
    );

    // Nothing was written after the lease was gone: the last write is G-3's add, and its hook's write was refused.
    const adds = (await fx.auditLines()).filter((line) => line.action === 'add');
    const g3 = await fx.user('G-3');
    expect(g3).toBeDefined();
    expect(g3?.description).toBeUndefined();
    expect((await fx.auditLines()).at(-1)).toMatchObject({ action: 'add', dn: g3?.dn });
    const users = await fx.users();
    expect(users.length).toBe(adds.filter((line) => String(line.dn).startsWith('uid=')).length);
    expect(users.length).toBeLessThan(gym1.length);
    expect(await leases(fx)).toEqual([]);
    const status = await fx.run(['status', '--config', fx.configPath, '--format', 'json']);
    expect(JSON.parse(status.stdout)).toMatchObject({ import: { result: 'locked', exitCode: 4 } });
  });
});

describe('DirectoryLease against a real server', () => {
  let fx: ImportFixture;
  let config: Config;
  const directories: Directory[] = [];
  beforeAll(async () => {
    fx = await importFixture('lease-direct', { config: { lock: { lease_seconds: LEASE_SECONDS } } });
    ({ config } = await loadConfig({ configPath: fx.configPath, env: {} }));
  });
  afterAll(async () => {
    for (const directory of directories) await directory.close();
    await fx.dispose();
  });

  async function take(schools: string[] = [], job = 'import'): Promise<DirectoryLease> {
    const directory = await connectDirectory(config, {});
    directories.push(directory);
    return DirectoryLease.take(
      leaseOptions(config, directory, {
        schools,
        job,
        runId: 'test-run',
        leaseSeconds: LEASE_SECONDS,
        logger: silentLogger,
      }),
    );
  }

  it('renews the lease while it is held, and deletes it on release', async () => {
    const lease = await take();
    const [before] = await leases(fx);
    await sleep(LEASE_SECONDS * 1000 + 500);
    const [after] = await leases(fx);
    expect(after?.holder).toBe(before?.holder);
    expect(parseGeneralizedTime(after!.expires).getTime()).toBeGreaterThan(Date.now());
    expect(() => lease.guard()).not.toThrow();
    await lease.release();
    expect(await leases(fx)).toEqual([]);
  });

  it('gives a stale lease to exactly one of several takers', async () => {
    const layout = new DirectoryLayout(config);
    const dn = `cn=${config.source_uid},${layout.leasesDn}`;
    await fx.tree.client.add(dn, {
      objectClass: 'rostersyncLease',
      cn: config.source_uid,
      rostersyncLeaseHolder: 'host=gone.example pid=7 run=old since=2026-01-01T00:00:00Z nonce=00',
      rostersyncLeaseExpires: toGeneralizedTime(new Date(Date.now() - 60_000)),
      rostersyncLeaseSource: config.source_uid,
      rostersyncLeaseJob: 'purge',
    });
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => take()));
    const won = results.filter((result) => result.status === 'fulfilled');
    expect(won).toHaveLength(1);
    for (const result of results) {
      if (result.status === 'rejected') expect(result.reason).toBeInstanceOf(LockedError);
    }
    await won[0]?.value.release();
    expect(await leases(fx)).toEqual([]);
  });

  it('release leaves alone a lease that another run has taken since', async () => {
    const lease = await take(['gs3']);
    const [held] = await leases(fx);
    const other = held!.holder.replace(/nonce=\S+/, 'nonce=feedface');
    await fx.tree.client.modify(
      held!.dn,
      new Change({
        operation: 'replace',
        modification: new Attribute({ type: 'rostersyncLeaseHolder', values: [other] }),
      }),
    );
    await lease.release();
    expect((await leases(fx)).map((entry) => entry.holder)).toEqual([other]);
    await fx.tree.client.del(held!.dn);
  });
});

describe('the daemon on a standby host', () => {
  it('logs each run the lease refuses and writes nothing, then runs once the other host lets go', async () => {
    const fx = await importFixture('lease-standby', { config: { lock: { lease_seconds: LEASE_SECONDS } } });
    try {
      await fx.writeRoster(gym1.slice(0, 3));
      expect((await fx.runImport(['--now', '2026-11-23'])).code).toBe(0);
      await fx.writeRoster(gym1.slice(0, 1)); // G-2 and G-3 leave: due for the purge from 2026-12-23
      expect((await fx.runImport(['--now', '2026-11-23'])).code).toBe(0);
      const standby = await hostConfig(fx, 'standby', { daemon: { schedules: { purge: '*/1 * * * * *' } } });

      // The active host's run, holding the source's lease (this test process, alive on this host).
      const { config } = await loadConfig({ configPath: fx.configPath, env: {} });
      const directory = await connectDirectory(config, {});
      const active = await DirectoryLease.take(
        leaseOptions(config, directory, {
          schools: [],
          job: 'purge',
          runId: 'active-host-run',
          leaseSeconds: LEASE_SECONDS,
          logger: silentLogger,
        }),
      );
      const daemon = start(standby, ['daemon'], { ROSTERSYNC_NOW: '2026-12-24' });
      try {
        const refusal = `purge run not started: another run holds the lock for source sis-test (pid ${process.pid} on host ${hostname()}, purge, started `;
        await until(() => daemon.output().includes(refusal), 'a refused run', 20_000, daemon);
        expect(daemon.output()).not.toContain('purge run failed');
        expect(await fx.user('G-2')).toBeDefined();

        await active.release();
        await until(async () => (await fx.user('G-2')) === undefined, 'the purge', 20_000, daemon);
        expect(await fx.user('G-3')).toBeUndefined();
      } finally {
        daemon.child.kill('SIGTERM');
        await daemon.exited;
        await active.release();
        await directory.close();
      }
    } finally {
      await fx.dispose();
    }
  });
});
