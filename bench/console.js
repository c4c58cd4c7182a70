/**
 * The console-plan row of `npm run bench` (SPEC §10, §11): planning an uploaded roster through the console's
 * service function (bench/console-plan.js: `ConsoleService.planImport`, the new-import page's path) beside
 * the CLI's dry run of the same roster (`rostersync import --dry-run --plan-out`), each in a process of its
 * own against the same slapd. The directory holds the roster's users (an untimed import, or slapadd of
 * the create plan at a seeded size, bench/seeding.js); the planned
 * roster is the churn scenario's (5 % renamed, 2 % missing, 2 % new), so both plan real work.
 * Target: the console within 1.2× the CLI. Checked: both plans hold the same actions (kind and DN).
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeConfig } from './config.js';
import { loadOffline, mdbMaxSize } from './directory.js';
import { cliEnv, launcherFlags, timed } from './measure.js';
import { isSeeded, makeSeed } from './seeding.js';
import { churnRoster, makeRoster, rosterCsv } from './roster.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const log = (message) => process.stderr.write(`[bench] ${message}\n`);

const actionKeys = (plan) => plan.actions.map((action) => `${action.kind} ${action.dn}`).sort();

export class ConsoleRun {
  constructor(size, options, work) {
    this.size = size;
    this.options = options;
    this.work = join(work, `console-${size}`);
  }

  async run() {
    const { startSlapd } = await import(join(root, 'build/testkit/slapd.js'));
    await mkdir(this.work, { recursive: true });
    // A directory of its own, so that a server stopped for slapadd keeps its files.
    const dir = join(this.work, 'slapd');
    const server = await startSlapd({ dir, maxSizeBytes: mdbMaxSize(this.size) });
    try {
      return await this.steps(server);
    } finally {
      await server.stop();
      if (!this.options.keep) await rm(dir, { recursive: true, force: true });
    }
  }

  async process(label, script, args, server) {
    // Both sides with the installed command's Node flags.
    const flags = await launcherFlags(this.options.cli);
    const result = await timed(process.execPath, [...flags, script, ...args], {
      stdout: join(this.work, `${label}.out`),
      stderr: join(this.work, `${label}.log`),
      env: cliEnv(),
      serverPid: server.pid,
    });
    if (result.exitCode !== 0) {
      const tail = (await readFile(join(this.work, `${label}.log`), 'utf8').catch(() => '')).slice(-3000);
      throw new Error(`${label} exited ${result.exitCode}\n${tail}`);
    }
    return result;
  }

  async steps(server) {
    const { size, work } = this;
    const config = await writeConfig(work, server, this.options);
    const roster = makeRoster(size, 1);
    const initial = join(work, 'roster-initial.csv');
    const churn = join(work, 'roster-churn.csv');
    await writeFile(initial, rosterCsv(roster));
    await writeFile(churn, rosterCsv(churnRoster(roster, 2)));
    const cli = this.options.cli;
    if (isSeeded(size, this.options)) {
      log(`console-plan ${size}: loading the directory offline (slapadd of the create plan)`);
      const seed = await makeSeed({ size, work, configPath: config, roster: initial, cli });
      await loadOffline(server, seed.file);
      if (!this.options.keep) await rm(seed.file, { force: true });
    } else {
      log(`console-plan ${size}: loading the directory (untimed import)`);
      await this.process('load', cli, ['import', '--config', config, '--input', initial], server);
    }

    const cliPlan = join(work, 'cli-plan.json');
    const ours = await this.process(
      'cli-dry-run',
      cli,
      ['import', '--config', config, '--input', churn, '--dry-run', '--plan-out', cliPlan],
      server,
    );
    const consoleSide = await this.process(
      'console-plan',
      join(root, 'bench/console-plan.js'),
      ['--config', config, '--input', churn],
      server,
    );
    const consolePlanFile = (await readFile(join(work, 'console-plan.out'), 'utf8'))
      .trim()
      .split('\n')
      .at(-1);
    const [a, b] = [
      JSON.parse(await readFile(consolePlanFile, 'utf8')),
      JSON.parse(await readFile(cliPlan, 'utf8')),
    ];
    const same = JSON.stringify(actionKeys(a)) === JSON.stringify(actionKeys(b));
    if (!same) log(`console-plan ${size}: the console's plan and the CLI's differ`);
    const row = {
      scenario: 'console plan (upload → held plan)',
      size,
      tool: 'rostersync import --dry-run --plan-out (CLI)',
      work: `${a.actions.length} actions planned; target ratio ≤ 1.2`,
      rostersyncSeconds: consoleSide.seconds,
      toolSeconds: ours.seconds,
      ratio: consoleSide.seconds / ours.seconds,
      rssMb: consoleSide.rssMb,
      cpuSeconds: consoleSide.cpuSeconds,
      slapdCpuRostersync: consoleSide.serverCpuSeconds,
      slapdCpuTool: ours.serverCpuSeconds,
      same,
    };
    log(
      `console-plan ${size}: console ${row.rostersyncSeconds.toFixed(2)} s, CLI ${row.toolSeconds.toFixed(2)} s, ratio ${row.ratio.toFixed(2)}${same ? '' : ' (plans differ!)'}`,
    );
    return [row];
  }
}
