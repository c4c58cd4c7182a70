/**
 * A retirement of a few hundred users killed (SIGKILL) at several points, then run again (SPEC §8): every
 * user ends COMPLETE, and the directory equals that of a twin run never interrupted — compared entry by
 * entry, the subtrees' own base DNs and the server's bookkeeping aside.
 */
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dumpSubtree } from '../support/dump.js';
import { type ImportFixture, importFixture, type RosterRow } from '../support/import.js';
import { plusDays, today } from '../support/real-clock.js';
import { childEnv } from '../support/child-env.js';
import { startWriteGate } from '../support/write-gate.js';

const USERS = 240;
const rows: RosterRow[] = Array.from({ length: USERS + 1 }, (_, index) => ({
  id: `S-${String(index).padStart(4, '0')}`,
  first: `First${index}`,
  last: `Last${index}`,
  schools: index % 2 === 0 ? 'gym1' : 'rs2',
  role: 'student',
  classes: index % 3 === 0 ? '5a' : '6b',
  email: `pupil${index}@school.example`,
}));

async function setUp(name: string, now: string): Promise<ImportFixture> {
  const fx = await importFixture(name, { config: { purge: { mode: 'retire' }, ldap: { concurrency: 8 } } });
  await writeFile(join(fx.dir, 'salts'), 'first salt\nSalt-2024!\n');
  await fx.editConfig({ retirement: { salts_file: join(fx.dir, 'salts') } });
  await fx.writeRoster(rows);
  expect((await fx.runImport(['--now', now])).code).toBe(0);
  await fx.writeRoster(rows.slice(0, 1));
  expect((await fx.runImport(['--now', now])).code).toBe(0);
  return fx;
}

const dump = (fx: ImportFixture): Promise<string> => dumpSubtree(fx.tree);

function purgeProcess(fx: ImportFixture, now: string) {
  const child = spawn(
    process.execPath,
    ['bin/rostersync.js', 'purge', '--config', fx.configPath, '--now', now],
    {
      env: childEnv(),
      stdio: ['ignore', 'ignore', 'ignore'],
    },
  );
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  return { child, exited };
}

async function auditCount(fx: ImportFixture): Promise<number> {
  const text = await readFile(join(fx.stateDir, 'audit.jsonl'), 'utf8').catch(() => '');
  return text.split('\n').filter(Boolean).length;
}

describe('a retirement killed and resumed', () => {
  let killed: ImportFixture;
  let twin: ImportFixture;
  const importDay = today();
  const purgeDay = plusDays(importDay, 31);
  beforeAll(async () => {
    [killed, twin] = await Promise.all([setUp('retire-killed', importDay), setUp('retire-twin', importDay)]);
  }, 120_000);
  afterAll(async () => {
    await killed?.dispose();
    await twin?.dispose();
  });

  it('ends with every user COMPLETE and the directory equal to an uninterrupted run', async () => {
    const straight = await twin.run(['purge', '--config', twin.configPath, '--now', purgeDay]);
    expect(straight.code, straight.stderr).toBe(0);

    // Killed once the audit log has grown by these many writes: early, in the middle, late. The killed side
    // talks to its server through a gate that stops each run at its target write, however loaded the machine
    // (polling the audit log could let a run go on to the end).
    const gate = await startWriteGate(killed.tree.url);
    try {
      await killed.editConfig({ ldap: { url: gate.url } });
      const start = await auditCount(killed);
      for (const after of [40, 700, 1800]) {
        const written = (await auditCount(killed)) - start;
        const { child, exited } = purgeProcess(killed, purgeDay);
        gate.arm(Math.max(1, after - written), () => child.kill('SIGKILL'));
        await exited;
        gate.open();
      }
    } finally {
      await killed.editConfig({ ldap: { url: killed.tree.url } });
      await gate.close();
    }
    const states = (await killed.users()).map((user) => user.rostersyncRetirementState ?? 'none');
    // Some were interrupted: the reruns below must finish them.
    expect(states.filter((state) => state === 'COMPLETE').length).toBeLessThan(USERS);

    const rerun = await killed.run(['purge', '--config', killed.configPath, '--now', purgeDay]);
    expect(rerun.code, rerun.stderr).toBe(0);
    const after = await killed.users();
    expect(after.filter((user) => user.rostersyncRetirementState === 'COMPLETE')).toHaveLength(USERS);
    for (const user of after.filter((entry) => entry.rostersyncRetirementState !== undefined)) {
      // No entry half-pseudonymised: every name is a pseudonym.
      expect(String(user.uid)).toMatch(/^retired__user_[0-9a-f]{40}$/);
      expect(String(user.mail)).toMatch(/^retired__user_[0-9a-f]{40}@retired\.invalid$/);
      expect(String(user.rostersyncRecordUid)).toMatch(/^retired__[0-9a-f]{40}$/);
    }
    expect(await dump(killed)).toEqual(await dump(twin));
  }, 240_000);
});
