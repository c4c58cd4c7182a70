/**
 * The retirement pipeline with an integrator's step (SPEC §8): a step that throws leaves that user ERRORED
 * with the message and the purge exits 1; the others complete; later purges leave it until an admin moves
 * it with `retirement set`; `retirement status`, `check` and `populate-states` say where things stand.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ImportFixture, importFixture, type RosterRow } from '../support/import.js';
import { plusDays, today } from '../support/real-clock.js';

const STATES = [
  'PENDING',
  'RETIRING_ARCHIVE',
  'ARCHIVE_COMPLETE',
  'RETIRING_LMS',
  'LMS_COMPLETE',
  'RETIRING_GROUPS',
  'GROUPS_COMPLETE',
  'RETIRING_DIRECTORY',
  'DIRECTORY_COMPLETE',
  'ERRORED',
  'ABORTED',
  'COMPLETE',
];
const row = (id: string, first: string): RosterRow => ({
  id,
  first,
  last: 'Test',
  schools: 'gym1',
  role: 'student',
  classes: '5a',
});

describe('retirement steps, status, set, check, populate-states', () => {
  let fx: ImportFixture;
  const purgeDay = plusDays(today(), 31);
  const purge = () => fx.run(['purge', '--config', fx.configPath, '--now', purgeDay]);
  const states = async () =>
    Object.fromEntries(
      (await fx.users()).map((user) => [String(user.rostersyncRecordUid), user.rostersyncRetirementState]),
    );

  beforeAll(async () => {
    fx = await importFixture('retire-steps', {
      config: { purge: { mode: 'retire' }, hooks: [resolve('test/fixtures/extensions/lms-step.js')] },
    });
    await writeFile(join(fx.dir, 'salts'), 'Salt-2024!\n');
    await fx.editConfig({ retirement: { salts_file: join(fx.dir, 'salts'), states: STATES } });
    await fx.writeRoster([row('S-0', 'Stay'), row('S-1', 'Ann'), row('S-2', 'Bob')]);
    expect((await fx.runImport()).code).toBe(0);
    await fx.writeRoster([row('S-0', 'Stay')]);
    expect((await fx.runImport()).code).toBe(0);
    await mkdir(fx.stateDir, { recursive: true });
    await writeFile(join(fx.stateDir, 'lms-refuses'), 'b.test');
  });
  afterAll(async () => {
    await fx?.dispose();
  });

  it('a throwing step leaves its user ERRORED with the message; the others complete; exit 1', async () => {
    const result = await purge();
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('retirement step LMS failed: the LMS refused b.test');
    const bob = (await fx.users()).find((user) => user.uid === 'b.test');
    expect(bob?.rostersyncRetirementState).toBe('ERRORED');
    expect(bob?.rostersyncRetirementError).toBe('the LMS refused b.test');
    expect(Object.values(await states()).filter((state) => state === 'COMPLETE')).toHaveLength(1);
    const lms = await readFile(join(fx.stateDir, 'lms.jsonl'), 'utf8');
    expect(lms).toContain('a.test');
  });

  it('a later purge leaves the ERRORED user alone', async () => {
    const before = (await fx.auditLines()).length;
    expect((await purge()).code).toBe(0);
    expect((await fx.auditLines()).length).toBe(before);
  });

  it('retirement status counts the states and names the user that is not COMPLETE', async () => {
    const status = await fx.run(['retirement', 'status', '--config', fx.configPath, '--format', 'json']);
    expect(status.code, status.stderr).toBe(0);
    const shown = JSON.parse(status.stdout) as {
      counts: Record<string, number>;
      users: { username: string; error: string }[];
    };
    expect(shown.counts).toEqual({ COMPLETE: 1, ERRORED: 1 });
    expect(shown.users).toEqual([
      expect.objectContaining({ username: 'b.test', error: 'the LMS refused b.test' }),
    ]);
    // Asked by the name it had before: the retired user is found by its hash.
    const ann = await fx.run([
      'retirement',
      'status',
      '--config',
      fx.configPath,
      'a.test',
      '--format',
      'json',
    ]);
    expect((JSON.parse(ann.stdout) as { counts: Record<string, number> }).counts).toEqual({ COMPLETE: 1 });
  });

  it('retirement set refuses an unknown state; set back to a step, the next purge completes the user', async () => {
    const bad = await fx.run(['retirement', 'set', '--config', fx.configPath, 'b.test', 'RETIRING_NOWHERE']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('not one of retirement.states');
    await rm(join(fx.stateDir, 'lms-refuses'));
    const set = await fx.run(['retirement', 'set', '--config', fx.configPath, 'b.test', 'RETIRING_LMS']);
    expect(set.code, set.stderr).toBe(0);
    const bob = (await fx.users()).find((user) => user.rostersyncRecordUid === 'S-2');
    expect(bob?.rostersyncRetirementState).toBe('RETIRING_LMS');
    expect(bob?.rostersyncRetirementError).toBeUndefined();
    expect((await purge()).code).toBe(0);
    expect(Object.values(await states()).filter((state) => state === 'COMPLETE')).toHaveLength(2);
    expect((await fx.user('S-0'))?.rostersyncRetirementState).toBeUndefined();
  });

  it('a step that no module exports is a config error before anything runs (exit 2)', async () => {
    const path = join(fx.dir, 'no-step.yaml');
    const text = await readFile(fx.configPath, 'utf8');
    await writeFile(path, text.replace(/hooks:\n(\s+- .*\n)+/, 'hooks: []\n'));
    const before = (await fx.auditLines()).length;
    const result = await fx.run(['purge', '--config', path, '--now', purgeDay]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('retirement.states: RETIRING_LMS has no step');
    expect((await fx.auditLines()).length).toBe(before);
  });

  it('retirement check says which names are retired', async () => {
    const check = await fx.run([
      'retirement',
      'check',
      '--config',
      fx.configPath,
      'a.test',
      'b.test',
      's.test',
      'x.nobody',
    ]);
    expect(check.code, check.stderr).toBe(0);
    expect(check.stdout).toBe(
      'a.test: retired\nb.test: retired\ns.test: not retired\nx.nobody: not retired\n',
    );
  });

  it('populate-states stores the list idempotently and prints the difference', async () => {
    const dry = await fx.run(['retirement', 'populate-states', '--config', fx.configPath, '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(`Added: ${STATES.join(', ')}`);
    const first = await fx.run(['retirement', 'populate-states', '--config', fx.configPath]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('Removed: -');
    expect(first.stdout).toContain(' 4 RETIRING_LMS');
    const stored = await fx.tree.client.search(`cn=retirement-states,ou=rostersync,${fx.tree.baseDn}`, {
      scope: 'base',
      attributes: ['description'],
    });
    expect(stored.searchEntries[0]?.description).toContain('4:RETIRING_LMS');
    const again = await fx.run(['retirement', 'populate-states', '--config', fx.configPath]);
    expect(again.stdout).toContain('nothing to change');
    expect(again.stdout).toContain(`Remaining: ${STATES.join(', ')}`);
    // Dropping the LMS step: its states are removed from the stored list.
    await fx.editConfig({ retirement: { states: STATES.filter((state) => !state.includes('LMS')) } });
    const fewer = await fx.run(['retirement', 'populate-states', '--config', fx.configPath]);
    expect(fewer.stdout).toContain('Added: -');
    expect(fewer.stdout).toContain('Removed: RETIRING_LMS, LMS_COMPLETE');
  });
});
