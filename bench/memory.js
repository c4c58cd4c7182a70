#!/usr/bin/env node
// Where a no-op import's memory goes: loads N synthetic users with the real import, then repeats the
// no-op's steps in this process (roster, snapshot, plan) and prints the heap after each, with a full GC
// between steps so only what the step keeps alive is counted.
//
//   node --expose-gc bench/memory.js [--size 100000]
//   node --expose-gc bench/memory.js --config FILE --input ROSTER   (an existing directory and its roster, e.g. a
//                                                                     bench run's kept with --keep)
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatSummary, summarizeProfile } from './profile-top.js';
import { writeConfig } from './config.js';
import { makeRoster, rosterCsv } from './roster.js';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const dist = (path) => join(root, 'dist', path);
const option = (name) => {
  const index = process.argv.indexOf(name);
  return index > 0 ? process.argv[index + 1] : undefined;
};
const size = Number(option('--size') ?? 100_000);
const existing =
  option('--config') && option('--input')
    ? { config: option('--config'), input: option('--input') }
    : undefined;
if (typeof globalThis.gc !== 'function') {
  process.stderr.write('run with: node --expose-gc bench/memory.js\n');
  process.exit(2);
}

const { startSlapd } = await import(join(root, 'build/testkit/slapd.js'));
const { loadConfig } = await import(dist('config/index.js'));
const { readRoster } = await import(dist('roster/index.js'));
const { connectDirectory } = await import(dist('directory/index.js'));
const { DirectoryLayout } = await import(dist('directory/layout.js'));
const { Scope } = await import(dist('plan/scope.js'));
const { ImportPlanner } = await import(dist('plan/planner.js'));
const { readReservations, readSnapshot } = await import(dist('snapshot/read.js'));

const mb = (bytes) => (bytes / 1024 / 1024).toFixed(0);
const rows = [];
function measure(step) {
  globalThis.gc();
  const { heapUsed, rss } = process.memoryUsage();
  const previous = rows.at(-1);
  rows.push({ step, heapUsed, rss, delta: previous ? heapUsed - previous.heapUsed : 0 });
}

const work = await mkdtemp(join(tmpdir(), 'rostersync-memory-'));
const server = existing
  ? undefined
  : await startSlapd({ dir: join(work, 'slapd'), maxSizeBytes: 8 * 1024 ** 3 });
try {
  const now = '2026-09-01T06:00:00+02:00';
  const rosterPath = existing?.input ?? join(work, 'roster.csv');
  const configPath = existing?.config ?? (await writeConfig(work, server, {}));
  const importArgs = [
    join(root, 'bin/rostersync.js'),
    'import',
    '--config',
    configPath,
    '--input',
    rosterPath,
    '--now',
    now,
  ];
  if (!existing) {
    await writeFile(rosterPath, rosterCsv(makeRoster(size)));
    process.stderr.write(`[memory] importing ${size} users (untimed)…\n`);
    const created = spawnSync(process.execPath, importArgs, { stdio: ['ignore', 'ignore', 'inherit'] });
    if (created.status !== 0) throw new Error(`the import failed (exit ${created.status})`);
  }

  measure('baseline (modules loaded)');
  const { config } = await loadConfig({ configPath, env: {} });
  const roster = await readRoster(rosterPath, config);
  measure(`roster: ${roster.records.length} records`);
  const directory = await connectDirectory(config, {});
  const layout = new DirectoryLayout(config);
  const scope = new Scope([]);
  const planner = new ImportPlanner({
    config,
    roster,
    now: new Date(now),
    scope,
    noDelete: false,
    maxDeletions: config.safety.max_deletions,
    reservations: await readReservations(directory, layout),
  });
  const rest = await readSnapshot(
    directory,
    { config, layout, schools: [], containers: [], classGroups: [], mappedAttributes: [] },
    planner,
  );
  measure(`snapshot read and users planned: ${rest.groups.length} groups`);
  const plan = await planner.finish(rest);
  measure(`plan: ${plan.actions.length} actions, ${plan.unchanged} unchanged`);
  await directory.close();

  process.stdout.write(
    `\n| step (${size} users, no-op) | heap used MB | kept by the step MB | RSS MB |\n|---|---:|---:|---:|\n`,
  );
  for (const row of rows) {
    process.stdout.write(`| ${row.step} | ${mb(row.heapUsed)} | ${mb(row.delta)} | ${mb(row.rss)} |\n`);
  }

  // The same no-op through the CLI, CPU-profiled: where today's time goes.
  const profileDir = join(work, 'profile');
  const started = process.hrtime.bigint();
  const noop = spawnSync(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, ...importArgs], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (noop.status !== 0) throw new Error(`the no-op import failed (exit ${noop.status})`);
  const [file] = await readdir(profileDir);
  const summary = await summarizeProfile(join(profileDir, file));
  process.stdout.write(`\nno-op import, profiled: ${seconds.toFixed(2)} s wall\n${formatSummary(summary)}\n`);
} finally {
  await server?.stop();
  await rm(work, { recursive: true, force: true });
}
