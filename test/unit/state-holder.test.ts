/**
 * The short-lived state files (status mutex, lock takeover guard) are judged stale by their holder's
 * process and by system uptime, never by file mtime against the wall clock: a stepped clock (NTP after
 * boot, a resumed VM, faketime) must not make a live holder's file look abandoned.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Config, parseConfig } from '../../src/config/index.js';
import {
  currentBootId,
  holderStamp,
  parseHolderStamp,
  stampIsStale,
  uptimeMs,
} from '../../src/state/holder.js';
import { readStatus, recordRun, statusFilePath } from '../../src/state/status.js';

let dir: string;
const children: ChildProcess[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rostersync-holder-'));
});
afterEach(async () => {
  for (const child of children.splice(0)) child.kill();
  await rm(dir, { recursive: true, force: true });
});

function configFor(): Config {
  return parseConfig(
    { source_uid: 'sis', state_dir: join(dir, 'state'), ldap: { url: 'ldap://x', base_dn: 'dc=x' } },
    'test.yaml',
  );
}

async function livePid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)']);
  children.push(child);
  await once(child, 'spawn');
  return child.pid ?? -1;
}

async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await once(child, 'exit');
  return child.pid ?? -1;
}

const record = {
  job: 'import',
  sourceUid: 'sis',
  startedAt: '2026-11-23T06:00:00.000Z',
  finishedAt: '2026-11-23T06:00:02.000Z',
  durationMs: 2000,
  exitCode: 0,
  result: 'ok' as const,
  counts: {},
};

describe('holder stamps', () => {
  it('round-trip, and say stale only for a gone holder, an earlier boot, or too great an age', async () => {
    const own = holderStamp();
    expect(parseHolderStamp(JSON.stringify(own))).toEqual(own);
    expect(parseHolderStamp('')).toBeUndefined();
    expect(parseHolderStamp('{"pid": 12}')).toBeUndefined();

    const live = { ...own, pid: await livePid() };
    expect(stampIsStale(live, 60_000)).toBe(false);
    expect(stampIsStale({ ...own, pid: await deadPid() }, 60_000)).toBe(true);
    expect(stampIsStale({ ...live, uptimeMs: uptimeMs() - 120_000 }, 60_000)).toBe(true);
    // Written "after now" on the uptime clock: the machine has rebooted since.
    expect(stampIsStale({ ...live, uptimeMs: uptimeMs() + 600_000 }, 60_000)).toBe(true);
    if (currentBootId() !== undefined) {
      expect(stampIsStale({ ...live, bootId: 'another-boot' }, 60_000)).toBe(true);
    }
  });
});

describe('the status mutex', () => {
  it('is respected while its holder lives, however old the file looks by its mtime', async () => {
    const config = configFor();
    await mkdir(config.state_dir, { recursive: true });
    const mutex = `${statusFilePath(config)}.lock`;
    const held = JSON.stringify({ ...holderStamp(), pid: await livePid() });
    await writeFile(mutex, held);
    const yearAgo = new Date(Date.now() - 365 * 24 * 3600 * 1000);
    await utimes(mutex, yearAgo, yearAgo);

    let recorded = false;
    const writing = recordRun(config, record).then(() => (recorded = true));
    await sleep(300);
    expect(recorded).toBe(false);
    expect(await readFile(mutex, 'utf8')).toBe(held);

    await rm(mutex);
    await writing;
    expect((await readStatus(config)).import?.result).toBe('ok');
  });

  it('left by a process that died, is removed and the record written', async () => {
    const config = configFor();
    await mkdir(config.state_dir, { recursive: true });
    const mutex = `${statusFilePath(config)}.lock`;
    await writeFile(mutex, JSON.stringify({ ...holderStamp(), pid: await deadPid() }));
    await recordRun(config, record);
    expect((await readStatus(config)).import?.result).toBe('ok');
  });
});
