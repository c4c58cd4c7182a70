/**
 * SIGTERM during a one-shot import (systemd stopping the service): the users already started are finished,
 * the run exits 1 saying what is left, and the next run completes it.
 */
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { importFixture, type RosterRow } from '../support/import.js';
import { childEnv } from '../support/child-env.js';

const rows: RosterRow[] = Array.from({ length: 300 }, (_, index) => ({
  id: `S-${index}`,
  first: 'Kim',
  last: `Muster${index}`,
  schools: 'gym1',
  role: 'student',
  classes: `${5 + (index % 5)}a`,
}));

describe('SIGTERM during an import', () => {
  it('finishes what it started, exits 1, and the next run completes the rest', async () => {
    const fx = await importFixture('sigterm');
    try {
      const config = parse(await readFile(fx.configPath, 'utf8')) as Record<string, unknown>;
      await writeFile(
        fx.configPath,
        stringify({ ...config, hooks: [resolve('test/fixtures/daemon/slow-create-hook.js')] }),
      );
      await fx.writeRoster(rows);
      const child = spawn(
        process.execPath,
        [
          'bin/rostersync.js',
          'import',
          '--config',
          fx.configPath,
          '--input',
          fx.rosterPath,
          '--now',
          '2026-11-23',
        ],
        { env: childEnv({ SLOW_HOOK_MS: '100' }), stdio: ['ignore', 'ignore', 'pipe'] },
      );
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
      // The creations are held up by the slow hook (300 users, 16 at a time, 100 ms each): signal once the
      // first users are in the directory, so the run is certainly in the middle of its creations.
      for (let waited = 0; waited < 10_000; waited += 20) {
        if ((await fx.users()).length > 0) break;
        await new Promise((done) => setTimeout(done, 20));
      }
      child.kill('SIGTERM');
      expect(await exited).toBe(1);
      expect(stderr).toMatch(/stopped before \d+ actions; the next run completes them/);
      const partial = (await fx.users()).length;
      expect(partial).toBeGreaterThan(0);
      expect(partial).toBeLessThan(rows.length);
      // Every user that was created has its password in the file: nothing half-done.
      const passwords = await fx.passwords();
      for (const user of await fx.users()) expect(passwords.has(String(user.uid))).toBe(true);

      const rerun = await fx.runImport(['--now', '2026-11-23'], { SLOW_HOOK_MS: '0' });
      expect(rerun.code).toBe(0);
      expect(await fx.users()).toHaveLength(rows.length);
      const groups = await fx.groups();
      expect(groups.map((group) => group.cn).sort()).toEqual([
        'gym1-5a',
        'gym1-6a',
        'gym1-7a',
        'gym1-8a',
        'gym1-9a',
      ]);
      for (const group of groups) expect(group.member).toHaveLength(60);
    } finally {
      await fx.dispose();
    }
  });
});
