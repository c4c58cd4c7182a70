/**
 * An import killed at any point and simply run again ends where an uninterrupted import ends: the same
 * entries, no user twice, and every new user's last listed password works. And an import that has
 * nothing to do writes nothing: the server's own timestamps and CSNs stay as they were.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Client } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { type SlapdServer, startSlapd } from '../../testkit/slapd.js';
import { canonicalDn, dumpDifference, dumpDirectory } from '../support/dump.js';
import { type RosterRow, rosterCsv, testConfig } from '../support/import.js';
import { canBind } from '../support/ldap.js';
import { startWriteGate, type WriteGate } from '../support/write-gate.js';

const execFileAsync = promisify(execFile);
const BIN = fileURLToPath(new URL('../../bin/rostersync.js', import.meta.url));
const ENV = { PATH: process.env.PATH ?? '' };

const T0 = '2026-02-02T07:00:00Z';
const T0_LATER = '2026-02-09T07:00:00Z';
const T1 = '2026-03-02T07:00:00Z';

const FIRST = ['Jürgen', 'Julia', 'Jörg', 'Zoë', 'Ömer', 'Léa', 'Björn', 'Maja', 'Jan', 'Lena'];
const LAST = ['Müller', 'Schäfer', 'Groß', 'Weiß', 'Öztürk', 'Meyer', 'Krüger', 'Jäger', 'Fuß', 'Bäcker'];
const SCHOOLS = ['gym1', 'rs2', 'gs3'] as const;
const CLASSES = ['5a', '5b', '6a', '7c'];

function initialRow(index: number): RosterRow {
  const school = SCHOOLS[index % 3] ?? 'gym1';
  const first = FIRST[index % FIRST.length] ?? 'Max';
  const last = LAST[Math.floor(index / 9) % LAST.length] ?? 'Muster';
  if (index % 12 === 11) {
    const other = SCHOOLS[(index + 1) % 3] ?? 'rs2';
    return {
      id: `R-${index}`,
      first,
      last,
      schools: `${school},${other}`,
      role: 'teacher',
      classes: `${CLASSES[index % 4] ?? '5a'},${other}-${CLASSES[(index + 2) % 4] ?? '6a'}`,
      email: `lehrkraft${index}@schule.example`,
    };
  }
  return {
    id: `R-${index}`,
    first,
    last,
    schools: school,
    role: 'student',
    classes: CLASSES[index % 4] ?? '5a',
  };
}

const INITIAL = Array.from({ length: 240 }, (_, index) => initialRow(index));
/** Missing in the second initial import: deactivated (grace 0/30). */
const deactivatedFirst = (index: number): boolean => index % 10 === 3;
/** Of those, back in the main roster: reactivated. The rest stay missing and are deleted. */
const comesBack = (index: number): boolean => index % 20 === 3;
/** Active before, missing in the main roster: deleted at once (deletion 0), names reserved. */
const dropped = (index: number): boolean => index % 10 === 7;

/** The main roster, ~300 rows: renames, class changes, moves (some into a new school), 110 new users. */
function mainRoster(): RosterRow[] {
  const rows: RosterRow[] = [];
  for (const [index, row] of INITIAL.entries()) {
    if (dropped(index) || (deactivatedFirst(index) && !comesBack(index))) continue;
    if (index % 25 === 5) rows.push({ ...row, schools: index % 50 === 5 ? 'bs4' : 'gs3', classes: '9z' });
    else if (index % 6 === 1) rows.push({ ...row, last: `${row.last}-Neumann` });
    else if (index % 9 === 2) rows.push({ ...row, classes: '7c' });
    else rows.push(row);
  }
  for (let index = 0; index < 110; index++) {
    rows.push({
      id: `N-${index}`,
      // The same names as existing users: counters must come out the same after an interruption.
      first: FIRST[index % FIRST.length] ?? 'Max',
      last: LAST[index % 4] ?? 'Muster',
      schools: index % 5 === 0 ? 'bs4' : (SCHOOLS[index % 3] ?? 'gym1'),
      role: 'student',
      classes: index % 5 === 0 ? '9z' : (CLASSES[index % 4] ?? '5a'),
      ...(index % 7 === 0 ? { email: `neu${index}@schule.example` } : {}),
    });
  }
  return rows;
}

function config(
  server: SlapdServer,
  url: string,
  stateDir: string,
  deletion: number,
  incremental: boolean,
): string {
  return stringify(
    testConfig(
      {
        url,
        bindDn: server.adminDn,
        passwordFile: server.adminPasswordFile,
        baseDn: server.suffix,
      },
      stateDir,
      {
        source_uid: 'sis-crash',
        deletion_grace_period: { deactivation: 0, deletion },
        // Keys are saved under the whole config: an incremental setup writes one at a time throughout, as
        // the import under test is run, so that its config is the one its keys were saved under.
        ...(incremental ? { incremental, ldap: { concurrency: 1 } } : {}),
      },
    ),
  );
}

interface Setup {
  server: SlapdServer;
  /** Every run of the setup talks to the server through it (the URL is in the config, whose digest keys are saved under). */
  gate: WriteGate;
  dir: string;
  configPath: string;
  rosterPath: string;
  auditLog: string;
  passwordsFile: string;
  importArgs: string[];
  /** Audit lines written by the initial imports, before the import under test. */
  baseline: number;
  dispose(): Promise<void>;
}

async function rostersync(args: string[]): Promise<void> {
  try {
    await execFileAsync(process.execPath, [BIN, ...args], { env: ENV, maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    const failed = error as { code?: number; stderr?: string };
    throw new Error(`rostersync ${args.join(' ')} exited ${String(failed.code)}\n${failed.stderr ?? ''}`, {
      cause: error,
    });
  }
}

async function auditLineCount(path: string): Promise<number> {
  const text = await readFile(path, 'utf8').catch(() => '');
  let count = 0;
  for (let index = text.indexOf('\n'); index !== -1; index = text.indexOf('\n', index + 1)) count++;
  return count;
}

/**
 * A fresh server holding the initial state: 240 users imported, then 24 of them deactivated. `incremental`:
 * every import of it is incremental, and a last one saves the keys the import under test plans from.
 */
async function initialState(root: string, name: string, incremental = false): Promise<Setup> {
  const server = await startSlapd();
  const gate = await startWriteGate(server.url);
  const dir = join(root, name);
  await mkdir(dir, { recursive: true });
  const stateDir = join(dir, 'state');
  const configPath = join(dir, 'rostersync.yaml');
  const rosterPath = join(dir, 'roster.csv');
  await writeFile(configPath, config(server, gate.url, stateDir, 30, incremental));
  await writeFile(rosterPath, rosterCsv(INITIAL));
  const importAt = (now: string, ...extra: string[]) =>
    rostersync(['import', '--config', configPath, '--input', rosterPath, '--now', now, ...extra]);
  await importAt(T0);
  await writeFile(rosterPath, rosterCsv(INITIAL.filter((_, index) => !deactivatedFirst(index))));
  await importAt(T0_LATER);

  await writeFile(configPath, config(server, gate.url, stateDir, 0, incremental));
  // Keys are used only under the config they were saved under: a run under the new one that writes nothing
  // (the same roster, and --no-delete for those it misses) saves them for the import under test.
  if (incremental) await importAt(T0_LATER, '--no-delete');
  await writeFile(rosterPath, rosterCsv(mainRoster()));
  const auditLog = join(stateDir, 'audit.jsonl');
  return {
    server,
    gate,
    dir,
    configPath,
    rosterPath,
    auditLog,
    passwordsFile: join(stateDir, 'passwords.csv'),
    importArgs: ['import', '--config', configPath, '--input', rosterPath, '--now', T1],
    baseline: await auditLineCount(auditLog),
    dispose: async () => {
      await gate.close();
      await server.stop();
    },
  };
}

const dump = (setup: Setup): Promise<string> =>
  dumpDirectory(setup.server.url, setup.server.adminDn, setup.server.adminPassword, setup.server.suffix);

/**
 * Where to kill the run: right after its n-th write went to the server (`writes`), or after a delay.
 * `oneAtATime` runs the interrupted import with `ldap.concurrency: 1`, so that nothing but that write is
 * in flight; the others are killed with a full window of writes under way. Convergence must not depend
 * on the concurrency.
 */
type Stop = ({ kind: 'writes'; writes: number } | { kind: 'delay'; ms: number }) & { oneAtATime?: boolean };

interface Interrupted {
  /** Audit lines of this import when it was killed (or when it finished first). */
  linesAtKill: number;
  killed: boolean;
  stderr: string;
}

/** Starts the import as its own process and SIGKILLs it once its gate has passed the target write or the delay ends. */
async function runAndKill(setup: Setup, stop: Stop): Promise<Interrupted> {
  const child: ChildProcess = spawn(process.execPath, [BIN, ...setup.importArgs], {
    env: stop.oneAtATime ? { ...ENV, ROSTERSYNC_LDAP__CONCURRENCY: '1' } : ENV,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const running = (): boolean => child.exitCode === null && child.signalCode === null;
  let killed = false;
  const kill = (): void => {
    if (running()) killed = child.kill('SIGKILL');
  };
  if (stop.kind === 'writes') setup.gate.arm(stop.writes, kill);
  else setTimeout(kill, stop.ms);
  await exited;
  setup.gate.open();
  return { linesAtKill: (await auditLineCount(setup.auditLog)) - setup.baseline, killed, stderr };
}

/** The last password listed for each record uid. */
async function latestPasswords(path: string): Promise<Map<string, string>> {
  const text = await readFile(path, 'utf8');
  const latest = new Map<string, string>();
  for (const line of text.split('\n').slice(1)) {
    const [, recordUid, password] = line.split(',');
    if (recordUid && password) latest.set(recordUid, password);
  }
  return latest;
}

interface UserEntry {
  dn: string;
  uid: string;
  recordUid: string;
  locked: boolean;
}

async function usersOf(server: SlapdServer): Promise<UserEntry[]> {
  const client = new Client({ url: server.url });
  try {
    await client.bind(server.adminDn, server.adminPassword);
    const { searchEntries } = await client.search(server.suffix, {
      scope: 'sub',
      filter: '(objectClass=rostersyncUser)',
      attributes: ['uid', 'rostersyncRecordUid', 'pwdAccountLockedTime'],
      paged: { pageSize: 500 },
    });
    return searchEntries.map((entry) => ({
      dn: entry.dn,
      uid: String(entry.uid),
      recordUid: String(entry.rostersyncRecordUid),
      // ldapts lists a requested attribute the entry lacks as [].
      locked: [entry.pwdAccountLockedTime ?? []].flat().length > 0,
    }));
  } finally {
    await client.unbind().catch(() => {});
  }
}

/** modifyTimestamp and entryCSN of every entry, by DN. */
async function stamps(server: SlapdServer): Promise<Map<string, string>> {
  const client = new Client({ url: server.url });
  try {
    await client.bind(server.adminDn, server.adminPassword);
    const { searchEntries } = await client.search(server.suffix, {
      scope: 'sub',
      filter: '(objectClass=*)',
      attributes: ['modifyTimestamp', 'entryCSN'],
      paged: { pageSize: 500 },
    });
    return new Map(
      searchEntries.map((entry) => [
        canonicalDn(entry.dn),
        `${String(entry.modifyTimestamp)} ${String(entry.entryCSN)}`,
      ]),
    );
  } finally {
    await client.unbind().catch(() => {});
  }
}

interface AuditLine {
  action: string;
  dn: string;
  result: string;
}

type PhaseName = 'containers' | 'removals' | 'updates' | 'creates' | 'groups';

/**
 * Where each apply phase lies in the reference run's audit lines (1-based, inclusive), read off the writes:
 * containers are `ou=` adds, updates start with the first user modify or move, creates with the first
 * user add, groups with the first group write after that.
 */
function phaseRanges(lines: readonly AuditLine[]): Record<PhaseName, [number, number]> {
  const isUser = (line: AuditLine): boolean =>
    /^uid=/i.test(line.dn) && !/ou=rostersync-reserved-usernames,/i.test(line.dn);
  let containers = 0;
  while (lines[containers]?.action === 'add' && /^ou=/i.test(lines[containers]?.dn ?? '')) containers++;
  const updates = lines.findIndex((line) => isUser(line) && ['modify', 'modrdn'].includes(line.action)) + 1;
  const creates = lines.findIndex((line) => isUser(line) && line.action === 'add') + 1;
  const groups = lines.findIndex((line, index) => index >= creates && /^cn=/i.test(line.dn)) + 1;
  return {
    containers: [1, containers],
    removals: [containers + 1, updates - 1],
    updates: [updates, creates - 1],
    creates: [creates, groups - 1],
    groups: [groups, lines.length],
  };
}

const duplicates = (values: string[]): string[] =>
  [...new Set(values.filter((value, index) => values.indexOf(value) !== index))].sort();

describe('an interrupted import, run again, converges', () => {
  let root: string;
  let reference: Setup;
  let referenceDump: string;
  let totalLines: number;
  let referenceMs: number;
  let phases: Record<PhaseName, [number, number]>;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'rostersync-crash-'));
    reference = await initialState(root, 'reference');
    const started = Date.now();
    await rostersync(reference.importArgs);
    referenceMs = Date.now() - started;
    totalLines = (await auditLineCount(reference.auditLog)) - reference.baseline;
    referenceDump = await dump(reference);
    phases = phaseRanges(
      (await readFile(reference.auditLog, 'utf8'))
        .split('\n')
        .filter(Boolean)
        .slice(reference.baseline)
        .map((line) => JSON.parse(line) as AuditLine),
    );
  }, 180_000);

  afterAll(async () => {
    await reference.dispose();
    await rm(root, { recursive: true, force: true });
  });

  it('the uninterrupted import has work in every phase', async () => {
    const lines = (await readFile(reference.auditLog, 'utf8'))
      .split('\n')
      .filter(Boolean)
      .slice(reference.baseline)
      .map((line) => JSON.parse(line) as AuditLine);
    expect(lines.every((line) => line.result === 'ok')).toBe(true);
    for (const [phase, [first, last]] of Object.entries(phases)) {
      expect(last - first, `${phase}: lines ${first}..${last}`).toBeGreaterThanOrEqual(
        phase === 'containers' ? 1 : 9,
      );
    }
    const inPhase = (phase: PhaseName): AuditLine[] => lines.slice(phases[phase][0] - 1, phases[phase][1]);
    expect(inPhase('containers').map((line) => line.dn)).toContain(`ou=bs4,${reference.server.suffix}`);
    expect(inPhase('removals').map((line) => line.action)).toEqual(
      expect.arrayContaining(['modify', 'add', 'delete']),
    );
    expect(inPhase('updates').map((line) => line.action)).toEqual(
      expect.arrayContaining(['modify', 'modrdn']),
    );
    expect(inPhase('creates').every((line) => line.action === 'add')).toBe(true);
    expect(inPhase('groups').map((line) => line.action)).toEqual(expect.arrayContaining(['modify', 'add']));
    const users = await usersOf(reference.server);
    expect(users.some((user) => user.recordUid === 'N-109')).toBe(true);
    expect(users.some((user) => user.recordUid === 'R-7')).toBe(false); // deleted
    expect(users.some((user) => user.recordUid === 'R-13')).toBe(false); // deactivated before, deleted now
    expect(users.find((user) => user.recordUid === 'R-3')?.locked).toBe(false); // reactivated
  });

  it('a second run of the same import writes nothing (timestamps, CSNs and audit log unchanged)', async () => {
    const before = await stamps(reference.server);
    const linesBefore = await auditLineCount(reference.auditLog);
    await rostersync(reference.importArgs);
    const after = await stamps(reference.server);
    const changed = [...after].filter(([dn, stamp]) => before.get(dn) !== stamp).map(([dn]) => dn);
    expect(changed).toEqual([]);
    expect(after.size).toBe(before.size);
    expect(await auditLineCount(reference.auditLog)).toBe(linesBefore);
    expect(await dump(reference)).toBe(referenceDump);
  });

  const middleOf = (phase: PhaseName): Stop => {
    const [first, last] = phases[phase];
    return { kind: 'writes', writes: Math.round((first + last) / 2) };
  };
  const stops: { name: string; stop: () => Stop; incremental?: boolean }[] = [
    { name: 'after the first write (containers)', stop: () => ({ kind: 'writes', writes: 1 }) },
    { name: 'among the removals', stop: () => ({ ...middleOf('removals'), oneAtATime: true }) },
    { name: 'among the updates', stop: () => ({ ...middleOf('updates'), oneAtATime: true }) },
    { name: 'among the creates', stop: () => ({ ...middleOf('creates'), oneAtATime: true }) },
    { name: 'among the group writes', stop: () => ({ ...middleOf('groups'), oneAtATime: true }) },
    {
      // Its keys were saved before its first write: the users it wrote have new CSNs and are read again.
      name: 'among the updates of an incremental import',
      stop: () => ({ ...middleOf('updates'), oneAtATime: true }),
      incremental: true,
    },
    {
      name: 'at a random moment',
      stop: () => ({ kind: 'delay', ms: Math.round(Math.random() * referenceMs) }),
    },
  ];

  for (const { name, stop, incremental } of stops) {
    it(
      `killed ${name}, then run again: same directory as the uninterrupted import`,
      { timeout: 180_000 },
      async () => {
        const setup = await initialState(root, name.replaceAll(/\W+/g, '-'), incremental);
        try {
          const target = stop();
          const interrupted = await runAndKill(setup, target);
          const where = `${JSON.stringify(target)}, killed: ${interrupted.killed}, audit lines at kill: ${interrupted.linesAtKill} of ${totalLines}`;
          if (target.kind === 'writes') {
            expect(interrupted.killed, `${where}\n${interrupted.stderr.slice(-2000)}`).toBe(true);
            expect(interrupted.linesAtKill).toBeLessThanOrEqual(target.writes);
            expect(interrupted.linesAtKill).toBeLessThan(totalLines);
          }

          // The import under test planned its unchanged users from the keys of the one before.
          if (incremental)
            expect(interrupted.stderr).toMatch(/\d+ of \d+ users settled since an earlier run/);
          await rostersync(setup.importArgs);

          const users = await usersOf(setup.server);
          expect(duplicates(users.map((user) => user.recordUid)), where).toEqual([]);
          expect(duplicates(users.map((user) => user.uid.toLowerCase())), where).toEqual([]);

          const converged = await dump(setup);
          expect(
            converged === referenceDump,
            `${where}\n${dumpDifference(referenceDump, converged, ['reference', 'after kill'])}`,
          ).toBe(true);

          // Every user's last listed password is the one the directory holds (a sample, new users first).
          const passwords = await latestPasswords(setup.passwordsFile);
          const active = users.filter((user) => !user.locked);
          const sample = [
            ...active.filter((user) => user.recordUid.startsWith('N-')),
            ...active
              .filter((user) => user.recordUid.startsWith('R-'))
              .filter((_, index) => index % 10 === 0),
          ].filter((_, index) => index % 2 === 0);
          expect(sample.length).toBeGreaterThan(60);
          const cannotBind: string[] = [];
          for (const user of sample) {
            const password = passwords.get(user.recordUid);
            if (password === undefined || !(await canBind(setup.server.url, user.dn, password)))
              cannotBind.push(`${user.recordUid} (${user.dn})`);
          }
          expect(cannotBind, where).toEqual([]);
        } finally {
          await setup.dispose();
        }
      },
    );
  }
});
