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
 *   churn   rostersync import (5 % renamed,      vs  ldapmodify -c -f of the churn plan's LDIF
 *           2 % missing → deactivated, grace 0/30, 2 % new)
 *   purge   rostersync purge (10 % due)          vs  ldapmodify -c -f: member deletes in the groups, the
 *                                                    reserved-username adds, then the entry deletes
 *   lifecycle  rostersync lifecycle (1 % due for  vs  ldapsearch of the run's two searches + ldapmodify -c
 *           a warning mail; an SMTP server in        of its warning marks (bench/lifecycle.js: its own two
 *           this process counts mails/s)             servers, loaded with slapadd)
 *
 * After each step both directories are compared (all user attributes of every user and group except the
 * password); a mismatch is printed and marked in the table.
 *
 *   node bench/run.js [--quick] [--sizes 1000,10000] [--only import|lifecycle|console] [--profile] [--concurrency N]
 *                     [--page-size N] [--json FILE] [--keep] [--cli PATH] [--no-rule-index]
 *
 * --profile writes a V8 CPU profile of every rostersync run on server A and prints its top frames;
 * --concurrency/--page-size set ldap.concurrency/ldap.page_size (default: the product's defaults);
 * --cli runs another build's bin/rostersync.js (to measure a change before and after);
 *   console plan  the console's planning of an uploaded roster (ConsoleService.planImport)  vs  the CLI's
 *           import --dry-run --plan-out of the same roster (bench/console.js; target ≤ 1.2×)
 *
 * --only runs the import scenarios (create … purge), the lifecycle or the console plan alone; --no-rule-index leaves out the
 * rostersyncWarningRule index on the lifecycle's servers (to see what it is worth).
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir, cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bind, countEntries, directoryFingerprint } from './directory.js';
import { addPasswords, countChanges, firstDifferences } from './ldif.js';
import { cliEnv, HAVE_GNU_TIME, timed } from './measure.js';
import { ConsoleRun } from './console.js';
import { LifecycleRun } from './lifecycle.js';
import { formatSummary, summarizeProfile } from './profile-top.js';
import { writeConfig } from './config.js';
import { churnRoster, dropUsers, makeRoster, rosterCsv } from './roster.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const defaultCli = join(root, 'bin/rostersync.js');

/** Every rostersync run uses a fixed now; the purge runs 44 days later, past the 30-day grace. */
const NOW = '2026-09-01T06:00:00+02:00';
const PURGE_NOW = '2026-10-15T06:00:00+02:00';
const PURGE_NOW_GENERALIZED = '20261015040000Z';

function parseArgs(argv) {
  const options = {
    sizes: [1000, 10000, 100000],
    profile: false,
    keep: false,
    json: undefined,
    cli: defaultCli,
    only: undefined,
    ruleIndex: true,
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
    else if (arg === '--profile') options.profile = true;
    else if (arg === '--keep') options.keep = true;
    else if (arg === '--json') options.json = value();
    else if (arg === '--concurrency') options.concurrency = Number(value());
    else if (arg === '--page-size') options.pageSize = Number(value());
    else if (arg === '--cli') options.cli = value();
    else if (arg === '--only') options.only = value();
    else if (arg === '--no-rule-index') options.ruleIndex = false;
    else throw new Error(`unknown argument ${arg}`);
  }
  if (options.sizes.some((size) => !Number.isInteger(size) || size < 100))
    throw new Error('--sizes: whole numbers ≥ 100, comma-separated');
  if (options.only !== undefined && !['import', 'lifecycle', 'console'].includes(options.only))
    throw new Error('--only: import, lifecycle or console');
  return options;
}

const log = (message) => process.stderr.write(`[bench] ${message}\n`);

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

class SizeRun {
  constructor(size, options, work) {
    this.size = size;
    this.options = options;
    this.work = join(work, String(size));
    this.rows = [];
  }

  /** A rostersync run, timed; exits the benchmark when it fails. */
  async rostersync(label, side, args, script = this.options.cli) {
    const dir = join(this.work, side);
    const profileDir = join(this.work, 'profiles', label);
    const nodeArgs = this.options.profile && side === 'A' ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [];
    const server = side === 'A' ? this.a : this.b;
    const result = await timed(process.execPath, [...nodeArgs, script, ...args], {
      stdout: join(dir, `${label}.out`),
      stderr: join(dir, `${label}.log`),
      env: cliEnv(),
      serverPid: server.pid,
    });
    if (result.exitCode !== 0) {
      const tail = (await readFile(join(dir, `${label}.log`), 'utf8').catch(() => '')).slice(-3000);
      throw new Error(`rostersync ${args.join(' ')} exited ${result.exitCode}\n${tail}`);
    }
    if (nodeArgs.length > 0) {
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

  async compare(label) {
    const [left, right] = await Promise.all([directoryFingerprint(this.a), directoryFingerprint(this.b)]);
    const same = left.hash === right.hash;
    if (!same) {
      const diff = firstDifferences(left, right);
      log(`${label} ${this.size}: the directories differ after this step`);
      log(`  only on A (rostersync): ${JSON.stringify(diff.onlyLeft).slice(0, 1500)}`);
      log(`  only on B (tool): ${JSON.stringify(diff.onlyRight).slice(0, 1500)}`);
    }
    return { same, users: left.users, groups: left.groups, members: left.members };
  }

  record(scenario, tool, ours, theirs, check, work) {
    this.rows.push({
      scenario,
      size: this.size,
      tool,
      work,
      rostersyncSeconds: ours.seconds,
      toolSeconds: theirs.seconds,
      ratio: ours.seconds / theirs.seconds,
      rssMb: ours.rssMb,
      cpuSeconds: ours.cpuSeconds,
      slapdCpuRostersync: ours.serverCpuSeconds,
      slapdCpuTool: theirs.serverCpuSeconds,
      same: check?.same,
    });
    const row = this.rows.at(-1);
    log(
      `${scenario} ${this.size}: rostersync ${row.rostersyncSeconds.toFixed(2)} s, ${tool} ${row.toolSeconds.toFixed(2)} s, ratio ${row.ratio.toFixed(2)}, RSS ${row.rssMb?.toFixed(0)} MB, CPU ${row.cpuSeconds?.toFixed(2)} s${check && !check.same ? ' (results differ!)' : ''}`,
    );
  }

  async run() {
    const { size } = this;
    const maxSizeBytes = Math.max(1, Math.ceil(size / 50_000)) * 4 * 1024 ** 3;
    const { startSlapd } = await import(join(root, 'build/testkit/slapd.js'));
    await mkdir(join(this.work, 'A'), { recursive: true });
    await mkdir(join(this.work, 'B'), { recursive: true });
    this.a = await startSlapd({ maxSizeBytes });
    try {
      this.b = await startSlapd({ maxSizeBytes });
      try {
        await this.steps();
      } finally {
        await this.b.stop();
      }
    } finally {
      await this.a.stop();
    }
    return this.rows;
  }

  async steps() {
    const { size, work } = this;
    const configA = await writeConfig(join(work, 'A'), this.a, this.options);
    const configB = await writeConfig(join(work, 'B'), this.b, this.options);
    const roster = makeRoster(size, 1);
    const churned = churnRoster(roster, 2);
    // The purge finds 10 %: the churn's 2 % missing plus 8 % more dropped by an (untimed) import before it.
    const beforePurge = dropUsers(churned, Math.round(size * 0.08), 3);
    const files = {
      initial: join(work, 'roster-initial.csv'),
      churn: join(work, 'roster-churn.csv'),
      beforePurge: join(work, 'roster-before-purge.csv'),
    };
    await writeFile(files.initial, rosterCsv(roster));
    await writeFile(files.churn, rosterCsv(churned));
    await writeFile(files.beforePurge, rosterCsv(beforePurge));
    const importArgs = (config, input) => ['import', '--config', config, '--input', input, '--now', NOW];

    // create
    log(`create ${size}: planning the tool's LDIF`);
    const create = await this.planLdif('create', importArgs(configB, files.initial));
    log(`create ${size}: ${JSON.stringify(create.counts)}`);
    const createTool = await this.tool('create', 'ldapmodify', [
      ...bind(this.b),
      '-a',
      '-c',
      '-f',
      create.file,
    ]);
    const createOurs = await this.rostersync('create', 'A', importArgs(configA, files.initial));
    this.record(
      'create',
      'ldapmodify -a -c (ldapadd)',
      createOurs,
      createTool,
      await this.compare('create'),
      `${create.counts.add} adds (${create.counts.userAdds} users)`,
    );

    // no-op
    const noopOurs = await this.rostersync('noop', 'A', importArgs(configA, files.initial));
    const noopTool = await this.tool('noop', 'ldapsearch', dumpArgs(this.b));
    const noopSummary = await readFile(join(work, 'A', 'noop.log'), 'utf8');
    const wrote = /"counts":(\{[^}]*\})/.exec(noopSummary)?.[1] ?? '?';
    this.record('no-op', 'ldapsearch -E pr=1000 (dump)', noopOurs, noopTool, undefined, `0 writes; ${wrote}`);
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
    const churn = await this.planLdif('churn', importArgs(configB, files.churn));
    log(`churn ${size}: ${JSON.stringify(churn.counts)}`);
    const churnTool = await this.tool('churn', 'ldapmodify', [...bind(this.b), '-c', '-f', churn.file]);
    const churnOurs = await this.rostersync('churn', 'A', importArgs(configA, files.churn));
    this.record(
      'churn',
      'ldapmodify -c',
      churnOurs,
      churnTool,
      await this.compare('churn'),
      `${churn.counts.add} adds, ${churn.counts.modify} modifies, ${churn.counts.delete} deletes`,
    );

    // purge: set up 10 % due on both sides with the same (untimed) import, then purge 44 days later.
    log(`purge ${size}: setting up 10 % due users`);
    await this.rostersync('before-purge', 'A', importArgs(configA, files.beforePurge));
    await this.rostersync('before-purge', 'B', importArgs(configB, files.beforePurge));
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
      `${due} due: ${purge.counts.modify} group modifies, ${purge.counts.add} reservation adds, ${purge.counts.delete} deletes`,
    );
  }
}

const fmt = (value, digits = 2) => (value === undefined || Number.isNaN(value) ? '–' : value.toFixed(digits));

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
  try {
    for (const size of options.sizes) {
      const started = Date.now();
      const runs = (name) => options.only === undefined || options.only === name;
      if (runs('import')) rows.push(...(await new SizeRun(size, options, work).run()));
      if (runs('lifecycle')) rows.push(...(await new LifecycleRun(size, options, work).run()));
      if (runs('console')) rows.push(...(await new ConsoleRun(size, options, work).run()));
      log(`size ${size} done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
      if (options.json) await writeFile(options.json, `${JSON.stringify(rows, null, 2)}\n`);
    }
  } finally {
    if (options.keep) log(`kept ${work}`);
    else await rm(work, { recursive: true, force: true });
  }
  process.stdout.write(`${table(rows)}\n`);
  if (rows.some((row) => row.same === false)) {
    log('some steps left the two directories different: see the log above');
    process.exitCode = 1;
  }
  if (rows.some((row) => row.done === false)) {
    log('a lifecycle run did not send or record what was due: see the log above');
    process.exitCode = 1;
  }
}

await main();
