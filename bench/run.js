#!/usr/bin/env node
/**
 * npm run bench: rostersync beside OpenLDAP's own command-line tools (SPEC §10).
 *
 * For each size, two fresh slapds of the same configuration (the one the tests use: mdb, ppolicy, lastbind,
 * the rostersync schema and indexes) are started. Server A gets rostersync; server B gets the native tool
 * doing the same work, fed with exactly the LDIF that rostersync's own dry run shows for that step against B
 * (plus one precomputed {SSHA} userPassword per new user, which the dry run cannot show):
 *
 *   create  rostersync import (empty directory)  vs  ldapmodify -a -c -f (containers, users, class groups)
 *   no-op   rostersync import, same roster       vs  one paged ldapsearch dump of the subtree to /dev/null
 *           (twice: the first reads every user and saves the settled users' keys, the second is the
 *           incremental no-op of every later night: `incremental: true` on A; --no-incremental leaves it off)
 *   churn   rostersync import (5 % renamed,      vs  ldapmodify -c -f of the churn plan's LDIF
 *           2 % missing → deactivated, grace 0/30, 2 % new)
 *   purge   rostersync purge (10 % due)          vs  ldapmodify -c -f: member deletes in the groups, the
 *                                                    reserved-username adds, then the entry deletes
 *   lifecycle  rostersync lifecycle (1 % due for  vs  ldapsearch of the run's two searches + ldapmodify -c
 *           a warning mail; an SMTP server in        of its warning marks (bench/lifecycle.js: its own two
 *           this process counts mails/s)             servers, loaded with slapadd)
 *
 * After each step both directories are compared (every entry with its user and operational attributes, less
 * the password and what differs by nature: UUIDs, CSNs, timestamps); a mismatch is printed and marked in the
 * table. The no-op is checked to write nothing: every user unchanged, no action done, and the same number of
 * entries and the same newest entryCSN on the server before and after.
 *
 * Large sizes (`--size N`, or any size from SEEDED_FROM on, bench/seeding.js) skip the timed create: both servers are loaded
 * offline with slapadd from the import's own create plan (bench/seed.js: entries exactly as the import makes
 * them, one {SSHA} password per user), and the no-op's check shows that the import finds nothing to do.
 * `--only seed` checks that seed against the real thing: the import creates the users on A, slapadd loads
 * the seed into B, the two are compared, and a no-op on B must write nothing.
 *
 *   node bench/run.js [--quick] [--sizes 1000,10000] [--size 1000000] [--only import|lifecycle|console|seed]
 *                     [--churn PERCENT] [--purge-due PERCENT] [--no-purge] [--profile] [--concurrency N]
 *                     [--page-size N] [--json FILE] [--keep] [--cli PATH] [--no-rule-index]
 *                     [--no-incremental]
 *
 * --churn: the churn's share of the roster in all, in the proportions 5 : 2 : 2 (renamed : missing : new);
 *   default 9 (5 % renamed, 2 % missing, 2 % new), or 2 for a seeded size (issue 15's churn at 1M);
 * --purge-due: the users due for the purge, in % (default 10, or 1 for a seeded size); --no-purge leaves the
 *   purge out;
 * --profile writes a V8 CPU profile of every rostersync run on server A and prints its top frames;
 * --concurrency/--page-size set ldap.concurrency/ldap.page_size (default: the product's defaults);
 * --cli runs another build's bin/rostersync.js (to measure a change before and after);
 *   console plan  the console's planning of an uploaded roster (ConsoleService.planImport)  vs  the CLI's
 *           import --dry-run --plan-out of the same roster (bench/console.js; target ≤ 1.2×)
 *
 * --only runs the import scenarios (create … purge), the lifecycle, the console plan or the seed check alone;
 * --no-rule-index leaves out the rostersyncWarningRule index on the lifecycle's servers (to see what it is
 * worth).
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  bind,
  compareDirectories,
  countEntries,
  directoryState,
  loadOffline,
  mdbMaxSize,
} from './directory.js';
import { addPasswords, countChanges } from './ldif.js';
import { cliEnv, HAVE_GNU_TIME, launcherFlags, timed } from './measure.js';
import { ConsoleRun } from './console.js';
import { LifecycleRun } from './lifecycle.js';
import { formatSummary, summarizeProfile } from './profile-top.js';
import { isSeeded, makeSeed } from './seeding.js';
import { writeConfig } from './config.js';
import {
  churnCounts,
  churnMix,
  churnRoster,
  DEFAULT_CHURN,
  dropUsers,
  makeRoster,
  rosterCsv,
} from './roster.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const defaultCli = join(root, 'bin/rostersync.js');

/** Every rostersync run uses a fixed now; the purge runs 44 days later, past the 30-day grace. */
const NOW = '2026-09-01T06:00:00+02:00';
const PURGE_NOW = '2026-10-15T06:00:00+02:00';
const PURGE_NOW_GENERALIZED = '20261015040000Z';

/** The churn of a seeded size, in % of the roster: issue 15's "2 % churn" at 1M. */
const SEEDED_CHURN = 2;
/**
 * The users due for the purge at a seeded size, in %: 1 % of 1M is the 10k of the 100k size's 10 %; 10 % of
 * 1M (200k writes on each side, after two imports that deactivate them) would take hours on a 2-core machine.
 */
const SEEDED_PURGE_DUE = 1;

function parseArgs(argv) {
  const options = {
    sizes: [1000, 10000, 100000],
    seededSizes: [],
    profile: false,
    keep: false,
    json: undefined,
    cli: defaultCli,
    only: undefined,
    ruleIndex: true,
    churn: undefined,
    purgeDue: undefined,
    purge: true,
    incremental: true,
  };
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index];
    const value = () => {
      const next = argv[++index];
      if (next === undefined) throw new Error(`${arg} needs a value`);
      return next;
    };
    if (arg === '--quick') options.sizes = [1000];
    else if (arg === '--sizes') options.sizes = value().split(',').map(Number);
    else if (arg === '--size') options.sizes = options.seededSizes = [Number(value())];
    else if (arg === '--profile') options.profile = true;
    else if (arg === '--keep') options.keep = true;
    else if (arg === '--json') options.json = value();
    else if (arg === '--concurrency') options.concurrency = Number(value());
    else if (arg === '--page-size') options.pageSize = Number(value());
    else if (arg === '--cli') options.cli = value();
    else if (arg === '--only') options.only = value();
    else if (arg === '--no-rule-index') options.ruleIndex = false;
    else if (arg === '--churn') options.churn = Number(value());
    else if (arg === '--purge-due') options.purgeDue = Number(value());
    else if (arg === '--no-purge') options.purge = false;
    else if (arg === '--no-incremental') options.incremental = false;
    else throw new Error(`unknown argument ${arg}`);
  }
  if (options.sizes.some((size) => !Number.isInteger(size) || size < 100))
    throw new Error('--sizes/--size: whole numbers ≥ 100, comma-separated');
  if (options.only !== undefined && !['import', 'lifecycle', 'console', 'seed'].includes(options.only))
    throw new Error('--only: import, lifecycle, console or seed');
  if (options.churn !== undefined && !(options.churn > 0 && options.churn <= 50))
    throw new Error('--churn: a percentage above 0 and up to 50');
  if (options.purgeDue !== undefined && !(options.purgeDue > 0 && options.purgeDue <= 50))
    throw new Error('--purge-due: a percentage above 0 and up to 50');
  return options;
}

const log = (message) => process.stderr.write(`[bench] ${message}\n`);
const fmt = (value, digits = 2) => (value === undefined || Number.isNaN(value) ? '–' : value.toFixed(digits));
const seconds = (value) => value.toFixed(1);
/** The machine is shared: each size's log says how busy it was. */
const loadAverage = () =>
  `load average ${loadavg()
    .map((load) => load.toFixed(2))
    .join(' ')}`;

/** The whole subtree, every user attribute, paged: what the no-op import is compared with. */
const dumpArgs = (server) => [
  ...bind(server),
  '-b',
  server.suffix,
  '-E',
  'pr=1000/noprompt',
  '-LLL',
  '(objectClass=*)',
  '*',
];

const countDue = (server) =>
  countEntries(
    server,
    `(&(objectClass=inetOrgPerson)(rostersyncSourceUid=bench)(rostersyncPurgeTimestamp<=${PURGE_NOW_GENERALIZED}))`,
  );

/** The summary line a run logs last (JSON log format): its message and its counts of actions done. */
async function runSummary(logFile) {
  const lines = (await readFile(logFile, 'utf8')).split('\n').filter((line) => line.includes('"counts"'));
  try {
    const { message, counts } = JSON.parse(lines.at(-1) ?? '');
    return { message: String(message), counts: counts ?? {} };
  } catch {
    return { message: '', counts: { unreadable: 1 } };
  }
}

/** A rostersync run that failed: the size's remaining steps depend on it, so they are left out. */
class StepFailed extends Error {
  constructor(row, detail) {
    super(`${row.scenario} ${row.size}: ${row.work}\n${detail}`);
    this.row = row;
  }
}

class SizeRun {
  constructor(size, options, work) {
    this.size = size;
    this.options = options;
    this.work = join(work, String(size));
    this.rows = [];
    this.seeded = isSeeded(size, options);
    const churn = options.churn ?? (this.seeded ? SEEDED_CHURN : undefined);
    this.churnLabel = churn === undefined ? '9 % churn (5/2/2)' : `${churn} % churn`;
    this.mix = churn === undefined ? DEFAULT_CHURN : churnMix(churn);
    this.purgeDue = options.purgeDue ?? (this.seeded ? SEEDED_PURGE_DUE : 10);
  }

  /**
   * A rostersync run, timed; a failure ends this size's steps (it is recorded as a row). It runs with the
   * Node flags of the installed command's `#!` line, as `rostersync` on a PATH runs (bench/read-users.js,
   * the read alone, with those of the CLI it stands for).
   */
  async rostersync(label, side, args, script = this.options.cli) {
    const dir = join(this.work, side);
    const profileDir = join(this.work, 'profiles', label);
    const profiling =
      this.options.profile && side === 'A' ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [];
    const nodeArgs = [...(await launcherFlags(this.options.cli)), ...profiling];
    const server = side === 'A' ? this.a : this.b;
    const result = await timed(process.execPath, [...nodeArgs, script, ...args], {
      stdout: join(dir, `${label}.out`),
      stderr: join(dir, `${label}.log`),
      env: cliEnv(),
      serverPid: server.pid,
    });
    if (result.exitCode !== 0) {
      const tail = (await readFile(join(dir, `${label}.log`), 'utf8').catch(() => '')).slice(-3000);
      const last = tail.trim().split('\n').at(-1)?.slice(0, 300) ?? '';
      throw new StepFailed(
        {
          scenario: label,
          size: this.size,
          tool: `rostersync ${args[0]}`,
          work: `FAILED: exit ${result.exitCode} after ${seconds(result.seconds)} s (${last})`,
          rostersyncSeconds: result.seconds,
          rssMb: result.rssMb,
          cpuSeconds: result.cpuSeconds,
          slapdCpuRostersync: result.serverCpuSeconds,
          same: false,
        },
        tail,
      );
    }
    if (profiling.length > 0) {
      const [file] = await readdir(profileDir);
      if (file) {
        const summary = formatSummary(await summarizeProfile(join(profileDir, file), 12));
        await writeFile(join(this.work, 'profiles', `${label}.txt`), `${summary}\n`);
        log(`${label} ${this.size}: ${summary.replaceAll('\n', '\n[bench]   ')}`);
      }
    }
    return result;
  }

  /** A native tool run against server B, timed. */
  async tool(label, command, args) {
    const result = await timed(command, args, {
      stdout: '/dev/null',
      stderr: join(this.work, 'B', `${label}.tool.log`),
      serverPid: this.b.pid,
    });
    if (result.exitCode !== 0) {
      const tail = (await readFile(join(this.work, 'B', `${label}.tool.log`), 'utf8')).slice(-2000);
      throw new Error(`${command} exited ${result.exitCode} in ${label}\n${tail}`);
    }
    return result;
  }

  /** The plan's LDIF from a dry run of the same step against server B, passwords added for new users. */
  async planLdif(label, args) {
    const file = join(this.work, 'B', `${label}.ldif`);
    await this.rostersync(`${label}.dry-run`, 'B', [...args, '--dry-run', '--format', 'ldif']);
    const raw = await readFile(join(this.work, 'B', `${label}.dry-run.out`), 'utf8');
    const { ldif } = addPasswords(raw);
    await writeFile(file, ldif);
    return { file, counts: countChanges(ldif) };
  }

  makeSeed(configPath) {
    const { size, work, options } = this;
    return makeSeed({ size, work, configPath, roster: this.files.initial, now: NOW, cli: options.cli });
  }

  async compare(label) {
    const result = await compareDirectories(this.a, this.b);
    if (!result.same) {
      log(`${label} ${this.size}: the directories differ after this step`);
      log(`  only on A (rostersync): ${JSON.stringify(result.onlyLeft).slice(0, 1500)}`);
      log(`  only on B (tool): ${JSON.stringify(result.onlyRight).slice(0, 1500)}`);
    }
    return result;
  }

  /**
   * A no-op import on one side, checked to write nothing: every user of the roster unchanged, no action
   * done, and the server's entry count and newest entryCSN the same before and after.
   */
  async noop(label, side, configPath) {
    const server = side === 'A' ? this.a : this.b;
    const before = await directoryState(server);
    const ours = await this.rostersync(label, side, this.importArgs(configPath, this.files.initial));
    const after = await directoryState(server);
    const { message, counts } = await runSummary(join(this.work, side, `${label}.log`));
    const unchanged = Number(/(\d+) unchanged/.exec(message)?.[1] ?? Number.NaN);
    const untouched = before.entries === after.entries && before.newestCsn === after.newestCsn;
    const same = Object.keys(counts).length === 0 && unchanged === this.size && untouched;
    if (!same) {
      log(
        `${label} ${this.size}: the no-op did something: ${JSON.stringify({ message, counts, before, after })}`,
      );
    }
    const work = `${unchanged} of ${this.size} users unchanged, actions done ${JSON.stringify(counts)}; ${after.entries} entries and newest entryCSN ${untouched ? 'as before' : `NOT as before (${before.entries} entries, ${before.newestCsn})`}`;
    const settled = /(\d+) of \d+ users settled/.exec(
      await readFile(join(this.work, side, `${label}.log`), 'utf8'),
    )?.[1];
    return { ours, check: { same }, work, settled };
  }

  record(scenario, tool, ours, theirs, check, work) {
    this.rows.push({
      scenario,
      size: this.size,
      tool,
      work,
      rostersyncSeconds: ours?.seconds,
      toolSeconds: theirs?.seconds,
      ratio: ours?.seconds / theirs?.seconds,
      rssMb: ours?.rssMb,
      cpuSeconds: ours?.cpuSeconds,
      slapdCpuRostersync: ours?.serverCpuSeconds,
      slapdCpuTool: theirs?.serverCpuSeconds,
      same: check?.same,
    });
    const row = this.rows.at(-1);
    log(
      `${scenario} ${this.size}: rostersync ${fmt(row.rostersyncSeconds)} s, ${tool} ${fmt(row.toolSeconds)} s, ratio ${fmt(row.ratio)}, RSS ${fmt(row.rssMb, 0)} MB, CPU ${fmt(row.cpuSeconds)} s${check && !check.same ? ' (CHECK FAILED)' : ''}`,
    );
  }

  importArgs(configPath, input) {
    return ['import', '--config', configPath, '--input', input, '--now', NOW];
  }

  async run() {
    const { startSlapd } = await import(join(root, 'build/testkit/slapd.js'));
    // Their own directories, so that a server stopped for slapadd keeps its files.
    const start = (side) =>
      startSlapd({ dir: join(this.work, `slapd-${side}`), maxSizeBytes: mdbMaxSize(this.size) });
    await mkdir(join(this.work, 'A'), { recursive: true });
    await mkdir(join(this.work, 'B'), { recursive: true });
    log(`size ${this.size}: ${loadAverage()}`);
    try {
      this.a = await start('A');
      this.b = await start('B');
      await (this.options.only === 'seed' ? this.seedCheck() : this.steps());
    } catch (error) {
      if (!(error instanceof StepFailed)) throw error;
      this.rows.push(error.row);
      log(`${error.message.slice(0, 4000)}\n[bench] the remaining steps of size ${this.size} are left out`);
    } finally {
      await this.b?.stop();
      await this.a?.stop();
      if (!this.options.keep) {
        for (const side of ['A', 'B'])
          await rm(join(this.work, `slapd-${side}`), { recursive: true, force: true });
      }
      log(`size ${this.size}: ${loadAverage()}`);
    }
    return this.rows;
  }

  /** The three rosters: initial, churned, and with the purge's extra users dropped. */
  async writeRosters() {
    const { size, work } = this;
    const roster = makeRoster(size, 1);
    const churned = churnRoster(roster, 2, this.mix);
    this.churnCounts = churnCounts(size, this.mix);
    // The purge finds `purgeDue` %: the churn's missing users plus more dropped by an (untimed) import.
    const extra = Math.max(0, Math.round((size * this.purgeDue) / 100) - this.churnCounts.missing);
    const beforePurge = dropUsers(churned, extra, 3);
    this.files = {
      initial: join(work, 'roster-initial.csv'),
      churn: join(work, 'roster-churn.csv'),
      beforePurge: join(work, 'roster-before-purge.csv'),
    };
    await writeFile(this.files.initial, rosterCsv(roster));
    await writeFile(this.files.churn, rosterCsv(churned));
    await writeFile(this.files.beforePurge, rosterCsv(beforePurge));
  }

  async steps() {
    const { size, work } = this;
    // A's imports are incremental (B's plans are made by full runs): the churn and the purge's import
    // compare its outcome with the full run's.
    const incremental = this.options.incremental ? { incremental: true } : {};
    const configA = await writeConfig(join(work, 'A'), this.a, this.options, incremental);
    const configB = await writeConfig(join(work, 'B'), this.b, this.options);
    await this.writeRosters();
    const { files } = this;
    if (this.seeded) await this.seed(configA);
    else await this.create(configA, configB);

    // no-op
    const noop = await this.noop('noop', 'A', configA);
    const noopTool = await this.tool('noop', 'ldapsearch', dumpArgs(this.b));
    const first = this.options.incremental ? ' (first: every user read)' : '';
    this.record(`no-op${first}`, 'ldapsearch -E pr=1000 (dump)', noop.ours, noopTool, noop.check, noop.work);
    if (this.options.incremental) {
      const again = await this.noop('noop-incremental', 'A', configA);
      this.record(
        'no-op (incremental: settled users listed)',
        'ldapsearch -E pr=1000 (dump)',
        again.ours,
        noopTool,
        again.check,
        `${again.work}; ${again.settled ?? '?'} planned from the listing`,
      );
    }
    // The floor under the no-op: rostersync's directory read alone (bench/read-users.js), beside the dump.
    const readOnly = await this.rostersync(
      'read-users',
      'A',
      ['--config', configA],
      join(root, 'bench/read-users.js'),
    );
    this.record(
      'no-op: read only',
      'ldapsearch -E pr=1000 (dump)',
      readOnly,
      noopTool,
      undefined,
      'the users read and decoded as the import does; no roster, no plan',
    );

    // churn
    log(`churn ${size}: planning the tool's LDIF`);
    const churn = await this.planLdif('churn', this.importArgs(configB, files.churn));
    log(`churn ${size}: ${JSON.stringify(churn.counts)}`);
    const churnTool = await this.tool('churn', 'ldapmodify', [...bind(this.b), '-c', '-f', churn.file]);
    const churnOurs = await this.rostersync('churn', 'A', this.importArgs(configA, files.churn));
    const { renamed, missing, added } = this.churnCounts;
    this.record(
      'churn',
      'ldapmodify -c',
      churnOurs,
      churnTool,
      await this.compare('churn'),
      `${this.churnLabel}: ${renamed} renamed, ${missing} missing, ${added} new → ${churn.counts.add} adds, ${churn.counts.modify} modifies, ${churn.counts.delete} deletes`,
    );

    if (this.options.purge) await this.purge(configA, configB);
  }

  /** create: the import into the empty directory A, ldapadd of its plan's LDIF into B. */
  async create(configA, configB) {
    const { size, files } = this;
    log(`create ${size}: planning the tool's LDIF`);
    const create = await this.planLdif('create', this.importArgs(configB, files.initial));
    log(`create ${size}: ${JSON.stringify(create.counts)}`);
    const createTool = await this.tool('create', 'ldapmodify', [
      ...bind(this.b),
      '-a',
      '-c',
      '-f',
      create.file,
    ]);
    const createOurs = await this.rostersync('create', 'A', this.importArgs(configA, files.initial));
    this.record(
      'create',
      'ldapmodify -a -c (ldapadd)',
      createOurs,
      createTool,
      await this.compare('create'),
      `${create.counts.add} adds (${create.counts.userAdds} users)`,
    );
  }

  /** A seeded size: both servers loaded offline with slapadd from the create plan; the create is not timed. */
  async seed(configA) {
    const seed = await this.makeSeed(configA);
    const slapaddA = await loadOffline(this.a, seed.file);
    const slapaddB = await loadOffline(this.b, seed.file);
    if (!this.options.keep) await rm(seed.file, { force: true });
    this.record(
      'seed (create not timed)',
      'slapadd -q (offline)',
      undefined,
      { seconds: slapaddA },
      await this.compare('seed'),
      `${seed.counts.entries} entries (${seed.counts.users} users) of the import's create plan (bench/seed.js: ${seconds(seed.result.seconds)} s, ${seed.result.rssMb?.toFixed(0)} MB); slapadd A ${seconds(slapaddA)} s, B ${seconds(slapaddB)} s`,
    );
  }

  /**
   * `--only seed`: is the seed what the import makes? B is loaded with slapadd from the create plan made
   * against it while empty, A gets the real import; the two must hold the same entries, and a no-op on B
   * must find nothing to do.
   */
  async seedCheck() {
    const { work } = this;
    const configA = await writeConfig(join(work, 'A'), this.a, this.options);
    const configB = await writeConfig(join(work, 'B'), this.b, this.options);
    await this.writeRosters();
    const { files } = this;
    const seed = await this.makeSeed(configB);
    const slapadd = await loadOffline(this.b, seed.file);
    const createOurs = await this.rostersync('create', 'A', this.importArgs(configA, files.initial));
    this.record(
      'seed check: import create (A) vs slapadd seed (B)',
      'slapadd -q (offline) of bench/seed.js',
      createOurs,
      { seconds: slapadd },
      await this.compare('seed check'),
      `${seed.counts.entries} entries (${seed.counts.users} users); seed made in ${seconds(seed.result.seconds)} s, ${seed.result.rssMb?.toFixed(0)} MB`,
    );
    const noop = await this.noop('noop', 'B', configB);
    this.record('seed check: no-op on the seeded B', '–', noop.ours, undefined, noop.check, noop.work);
  }

  /** purge: `purgeDue` % due on both sides after the same (untimed) import, then purged 44 days later. */
  async purge(configA, configB) {
    const { size, files } = this;
    log(`purge ${size}: setting up ${this.purgeDue} % due users`);
    await this.rostersync('before-purge', 'A', this.importArgs(configA, files.beforePurge));
    await this.rostersync('before-purge', 'B', this.importArgs(configB, files.beforePurge));
    const due = await countDue(this.b);
    const purgeArgs = (config) => ['purge', '--config', config, '--now', PURGE_NOW];
    const purge = await this.planLdif('purge', purgeArgs(configB));
    log(`purge ${size}: ${due} due on the server; ${JSON.stringify(purge.counts)}`);
    if (purge.counts.delete !== due)
      log(`purge ${size}: the plan deletes ${purge.counts.delete}, not ${due}`);
    const purgeTool = await this.tool('purge', 'ldapmodify', [...bind(this.b), '-c', '-f', purge.file]);
    const purgeOurs = await this.rostersync('purge', 'A', purgeArgs(configA));
    this.record(
      'purge',
      'ldapmodify -c (member deletes + adds + ldapdelete-equivalent deletes)',
      purgeOurs,
      purgeTool,
      await this.compare('purge'),
      `${due} due (${this.purgeDue} %): ${purge.counts.modify} group modifies, ${purge.counts.add} reservation adds, ${purge.counts.delete} deletes`,
    );
  }
}

function table(rows) {
  const lines = [
    '| scenario | size | rostersync s | tool s | ratio | rostersync peak RSS MB | rostersync CPU s | slapd CPU s (rostersync / tool) | same result | tool | work |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---|---|---|',
  ];
  for (const row of rows) {
    lines.push(
      `| ${row.scenario} | ${row.size} | ${fmt(row.rostersyncSeconds)} | ${fmt(row.toolSeconds)} | ${fmt(row.ratio)} | ${fmt(row.rssMb, 0)} | ${fmt(row.cpuSeconds)} | ${fmt(row.slapdCpuRostersync)} / ${fmt(row.slapdCpuTool)} | ${row.same === undefined ? 'n/a' : row.same ? 'yes' : 'NO'} | ${row.tool} | ${row.work} |`,
    );
  }
  return lines.join('\n');
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const work = await mkdtemp(join(tmpdir(), 'rostersync-bench-'));
  log(
    `${cpus().length} cores, ${(totalmem() / 1024 ** 3).toFixed(0)} GiB, node ${process.version}, sizes ${options.sizes.join(', ')}; work dir ${work}`,
  );
  if (!HAVE_GNU_TIME) log('/usr/bin/time not found: peak RSS and CPU time are not measured');
  const rows = [];
  let failed = false;
  try {
    for (const size of options.sizes) {
      const started = Date.now();
      const runs = (name) => options.only === undefined || options.only === name;
      const jobs = [
        ...(runs('import') || options.only === 'seed' ? [new SizeRun(size, options, work)] : []),
        ...(runs('lifecycle') ? [new LifecycleRun(size, options, work)] : []),
        ...(runs('console') && (options.only === 'console' || !isSeeded(size, options))
          ? [new ConsoleRun(size, options, work)]
          : []),
      ];
      if (runs('console') && options.only !== 'console' && isSeeded(size, options))
        log(`console plan ${size}: left out at a seeded size; --only console runs it (loaded with slapadd)`);
      for (const job of jobs) {
        try {
          rows.push(...(await job.run()));
        } catch (error) {
          // What was measured before the failure is still shown.
          rows.push(...(job.rows ?? []));
          log(`size ${size}: ${error.stack ?? error}`);
          failed = true;
        }
      }
      log(`size ${size} done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
      if (options.json) await writeFile(options.json, `${JSON.stringify(rows, null, 2)}\n`);
    }
  } finally {
    if (options.keep) log(`kept ${work}`);
    else await rm(work, { recursive: true, force: true });
  }
  process.stdout.write(`${table(rows)}\n`);
  if (failed) process.exitCode = 1;
  if (rows.some((row) => row.same === false)) {
    log('some steps failed or left the two directories different: see the log above');
    process.exitCode = 1;
  }
  if (rows.some((row) => row.done === false)) {
    log('a lifecycle run did not send or record what was due: see the log above');
    process.exitCode = 1;
  }
}

await main();
