#!/usr/bin/env node
// The LDIF that loads a directory offline (slapadd) with a roster's users exactly as `rostersync import`
// makes them: containers, users, class groups with their members. It is the import's own create plan,
// made by the import's own path (`importJob` as a dry run, against an empty server), written out as
// plain entries with one precomputed `{SSHA}` userPassword per user, as the tool side of the bench sends
// them. The CLI's `--dry-run --format ldif` prints the same records, but as one string, which a million
// users make longer than V8 allows; here the plan is rendered a slice of actions at a time.
//
//   node bench/seed.js --config rostersync.yaml --input roster.csv --out seed.ldif [--now ISO] [--dist DIR]
//
// --dist: the build whose planning to use (default: this checkout's dist/), as the bench's --cli.
// Prints { users, entries } as JSON. Exits 1 if the plan is anything but adds into an empty directory.
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { addPasswords } from './ldif.js';

const arg = (name, fallback) => {
  const index = process.argv.indexOf(name);
  const value = index < 0 ? fallback : process.argv[index + 1];
  if (value === undefined) throw new Error(`${name} is required`);
  return value;
};
const distDir = resolve(arg('--dist', fileURLToPath(new URL('../dist', import.meta.url))));
const dist = (path) => join(distDir, path);
const [configPath, input, out] = ['--config', '--input', '--out'].map((name) => arg(name));
const now = process.argv.includes('--now') ? arg('--now') : undefined;

const { loadRuntime } = await import(dist('app/runtime.js'));
const { importJob } = await import(dist('jobs/jobs.js'));
const { renderPlanLdif } = await import(dist('plan/render-ldif.js'));

/** The dry run's printed table is not needed: the plan comes back as a value. */
const discard = new Writable({ write: (_chunk, _encoding, done) => done() });
const io = { stdout: discard, stderr: process.stderr, env: process.env, cwd: process.cwd() };
const runtime = await loadRuntime({ config: configPath, now }, io);
const outcome = await importJob(
  { ...runtime, env: process.env, stdout: discard },
  {
    input,
    schools: [],
    dryRun: true,
    noDelete: false,
    maxDeletions: undefined,
    planOut: undefined,
    format: undefined,
    summaryJson: undefined,
  },
);
await runtime.logger.flush();
const { plan } = outcome;
if (outcome.exitCode !== 0 || plan === undefined) throw new Error(`the dry run exited ${outcome.exitCode}`);
if (plan.problems.length > 0) throw new Error(`the plan has problems: ${JSON.stringify(plan.problems[0])}`);
const ADDS = new Set(['create-container', 'create', 'create-group']);
const other = plan.actions.find((action) => !ADDS.has(action.kind));
if (other) throw new Error(`not an empty directory: the plan has a ${other.kind} of ${other.dn}`);

// As slapadd wants them: entries without `changetype`, no comments, no `version` line.
const entry = (record) =>
  record
    .split('\n')
    .filter((line) => line !== 'changetype: add' && !line.startsWith('#') && line !== 'version: 1')
    .join('\n');
const file = createWriteStream(out);
let users = 0;
let entries = 0;
const SLICE = 5000;
for (let start = 0; start < plan.actions.length; start += SLICE) {
  const ldif = renderPlanLdif({ ...plan, actions: plan.actions.slice(start, start + SLICE) });
  const withPasswords = addPasswords(ldif);
  users += withPasswords.users;
  const records = withPasswords.ldif
    .split('\n\n')
    .map(entry)
    .filter((record) => record.startsWith('dn:'));
  entries += records.length;
  if (!file.write(`${records.join('\n\n')}\n\n`)) await once(file, 'drain');
}
file.end();
await once(file, 'finish');
process.stdout.write(`${JSON.stringify({ users, entries, actions: plan.actions.length })}\n`);
