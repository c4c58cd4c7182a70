/**
 * The directory goes away in the middle of an import: killed (connections refused) or hung (SIGSTOP, no
 * answers). The run stops at the first sign of it instead of trying every remaining action, exits 1 within
 * a few timeouts saying how many actions it left, and once the server is back the next run completes it.
 * Each case has a server of its own: the tests kill and stop it.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from 'ldapts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { type SlapdServer, startSlapd } from '../../testkit/slapd.js';
import { runCli } from '../support/cli.js';
import { canBind } from '../support/ldap.js';
import { type RosterRow, rosterCsv, testConfig } from '../support/import.js';

const TIMEOUT_MS = 2000;
const CONCURRENCY = 2;
const SLOW_POST_CREATE = resolve('test/fixtures/daemon/slow-post-create-hook.js');

const rows: RosterRow[] = Array.from({ length: 300 }, (_, index) => ({
  id: `G-${index}`,
  first: 'Kim',
  last: `Muster${index}`,
  schools: 'gym1',
  role: 'student',
  classes: `${5 + (index % 5)}a`,
}));

let server: SlapdServer;
let dir: string;
let configPath: string;
let rosterPath: string;

beforeEach(async () => {
  server = await startSlapd();
  dir = await mkdtemp(join(tmpdir(), 'rostersync-gone-'));
  configPath = join(dir, 'rostersync.yaml');
  rosterPath = join(dir, 'roster.csv');
  const config = testConfig(
    {
      url: server.url,
      bindDn: server.adminDn,
      passwordFile: server.adminPasswordFile,
      baseDn: server.suffix,
    },
    join(dir, 'state'),
    {
      source_uid: 'sis-gone',
      schools: ['gym1'],
      ldap: { concurrency: CONCURRENCY, timeout_ms: TIMEOUT_MS },
      hooks: [SLOW_POST_CREATE],
    },
  );
  await writeFile(configPath, stringify(config));
  await writeFile(rosterPath, rosterCsv(rows));
});
afterEach(async () => {
  await server.stop();
  await rm(dir, { recursive: true, force: true });
});

/** The users in the directory, with their DNs and record uids. */
async function users(): Promise<{ dn: string; recordUid: string }[]> {
  const client = new Client({ url: server.url, timeout: 5000 });
  try {
    await client.bind(server.adminDn, server.adminPassword);
    const { searchEntries } = await client.search(server.suffix, {
      scope: 'sub',
      filter: '(objectClass=rostersyncUser)',
      attributes: ['rostersyncRecordUid'],
      paged: { pageSize: 500 },
    });
    return searchEntries.map((entry) => ({ dn: entry.dn, recordUid: String(entry.rostersyncRecordUid) }));
  } finally {
    await client.unbind().catch(() => {});
  }
}

interface LogLine {
  level: string;
  message: string;
}

interface StoppedRun {
  code: number | null;
  /** From the signal to slapd until the run had exited. */
  msAfterSignal: number;
  lines: LogLine[];
  stderr: string;
}

/**
 * Runs the import as its own process, sends `signal` to slapd once the first users exist, and waits for
 * the run to end; one that is still going after `giveUpMs` is killed (and reported as such).
 */
async function importAndSignalSlapd(signal: NodeJS.Signals, giveUpMs: number): Promise<StoppedRun> {
  const child = spawn(
    process.execPath,
    ['bin/rostersync.js', 'import', '--config', configPath, '--input', rosterPath, '--now', '2026-11-23'],
    { env: { PATH: process.env.PATH, SLOW_HOOK_MS: '30' }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  for (let waited = 0; waited < 20_000 && child.exitCode === null; waited += 20) {
    if ((await users()).length > 0) break;
    await new Promise((done) => setTimeout(done, 20));
  }
  expect(child.exitCode, `the import ended before the signal:\n${stderr.slice(-2000)}`).toBeNull();
  process.kill(server.pid, signal);
  const signalled = Date.now();
  const giveUp = setTimeout(() => child.kill('SIGKILL'), giveUpMs);
  const code = await exited;
  clearTimeout(giveUp);
  const lines = stderr
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);
  return { code, msAfterSignal: Date.now() - signalled, lines, stderr };
}

/** Directory failures logged by the run: one per action that was sent to a directory that was gone. */
const directoryErrors = (run: StoppedRun): LogLine[] =>
  run.lines.filter(
    (line) =>
      line.level === 'error' &&
      /cannot reach LDAP server|lost the connection|did not answer within/.test(line.message) &&
      !line.message.startsWith('the directory is unavailable'),
  );

function expectStoppedEarly(run: StoppedRun): void {
  const context = run.stderr.slice(-3000);
  expect(run.code, context).toBe(1);
  expect(run.lines.map((line) => line.message)).toContainEqual(
    expect.stringMatching(/^the directory is unavailable, not sending the remaining actions: /),
  );
  // At most one per user that was being written when the server went: not one per remaining action.
  expect(directoryErrors(run).length, context).toBeLessThanOrEqual(2 * CONCURRENCY);
  const stopped = run.lines.find((line) => /^stopped before \d+ actions/.test(line.message));
  expect(stopped?.message, context).toMatch(/; the next run completes them$/);
  expect(Number(/^stopped before (\d+)/.exec(stopped?.message ?? '')?.[1])).toBeGreaterThan(100);
}

async function expectRerunCompletes(): Promise<void> {
  const rerun = await runCli([
    'import',
    '--config',
    configPath,
    '--input',
    rosterPath,
    '--now',
    '2026-11-23',
  ]);
  expect(rerun.code, rerun.stderr.slice(-3000)).toBe(0);
  const present = await users();
  expect(present).toHaveLength(rows.length);
  expect(new Set(present.map((user) => user.recordUid)).size).toBe(rows.length);
  // The last password listed for a user is the one the directory holds (users of both runs).
  const text = await readFile(join(dir, 'state', 'passwords.csv'), 'utf8');
  const latest = new Map<string, string>();
  for (const line of text.split('\n').slice(1)) {
    const [, recordUid, password] = line.split(',');
    if (recordUid && password) latest.set(recordUid, password);
  }
  for (const user of present.filter((_, index) => index % 30 === 0)) {
    expect(await canBind(server.url, user.dn, latest.get(user.recordUid) ?? ''), user.dn).toBe(true);
  }
}

describe('the directory goes away during an import', () => {
  it('killed: the run stops at once, exits 1 saying what is left, and the rerun completes it', async () => {
    const run = await importAndSignalSlapd('SIGKILL', 30_000);
    expectStoppedEarly(run);
    expect(run.msAfterSignal).toBeLessThan(TIMEOUT_MS + 3000);

    await server.restart();
    await expectRerunCompletes();
  }, 90_000);

  it('hung (SIGSTOP): the run stops within a few timeouts, and the rerun completes it', async () => {
    const run = await importAndSignalSlapd('SIGSTOP', 3 * TIMEOUT_MS + 5000);
    expect(run.msAfterSignal, run.stderr.slice(-3000)).toBeLessThan(3 * TIMEOUT_MS);
    expectStoppedEarly(run);

    process.kill(server.pid, 'SIGCONT');
    await expectRerunCompletes();
  }, 90_000);
});
