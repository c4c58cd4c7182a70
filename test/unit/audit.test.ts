import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditLog, NullAuditLog, newRunId, registerSecret } from '../../src/logging/index.js';
import { clearRegisteredSecrets, MemoryAuditLog } from '../support/logging.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rostersync-audit-'));
});

afterEach(async () => {
  clearRegisteredSecrets();
  await rm(dir, { recursive: true, force: true });
});

async function readLines(path: string): Promise<Record<string, unknown>[]> {
  const text = await readFile(path, 'utf8');
  return text
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('AuditLog', () => {
  it('writes one JSON line per record with time, run id, action, DN, attributes and result', async () => {
    const path = join(dir, 'audit.jsonl');
    const clock = () => new Date('2026-11-23T01:02:03.000Z');
    const audit = await AuditLog.open(path, 'run-1', { clock });
    audit.record({ action: 'add', dn: 'uid=anna,ou=people,dc=example', attributes: { cn: ['Anna'] } });
    audit.record({ action: 'modify', dn: 'uid=ben,ou=people,dc=example', attributes: { mail: null } });
    audit.record({
      action: 'delete',
      dn: 'uid=cem,ou=people,dc=example',
      result: 'error',
      error: 'no such object',
    });
    await audit.close();

    expect(await readLines(path)).toEqual([
      {
        time: '2026-11-23T01:02:03.000Z',
        runId: 'run-1',
        action: 'add',
        dn: 'uid=anna,ou=people,dc=example',
        attributes: { cn: ['Anna'] },
        result: 'ok',
      },
      {
        time: '2026-11-23T01:02:03.000Z',
        runId: 'run-1',
        action: 'modify',
        dn: 'uid=ben,ou=people,dc=example',
        attributes: { mail: null },
        result: 'ok',
      },
      {
        time: '2026-11-23T01:02:03.000Z',
        runId: 'run-1',
        action: 'delete',
        dn: 'uid=cem,ou=people,dc=example',
        result: 'error',
        error: 'no such object',
      },
    ]);
  });

  it('appends across opens instead of truncating', async () => {
    const path = join(dir, 'audit.jsonl');
    const first = await AuditLog.open(path, 'run-1');
    first.record({ action: 'add', dn: 'uid=a' });
    await first.close();
    const second = await AuditLog.open(path, 'run-2');
    second.record({ action: 'delete', dn: 'uid=a' });
    await second.close();

    expect((await readLines(path)).map((line) => [line.runId, line.action])).toEqual([
      ['run-1', 'add'],
      ['run-2', 'delete'],
    ]);
  });

  it('creates the file 0600 and a missing parent directory 0700', async () => {
    const path = join(dir, 'nested', 'deeper', 'audit.jsonl');
    const audit = await AuditLog.open(path, 'run-1');
    await audit.close();
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'nested', 'deeper'))).mode & 0o777).toBe(0o700);
  });

  it('never writes password values, but names the changed attribute', async () => {
    const path = join(dir, 'audit.jsonl');
    registerSecret('bind-secret-value');
    const audit = await AuditLog.open(path, 'run-1');
    audit.record({
      action: 'modify',
      dn: 'uid=anna,ou=people,dc=example',
      user: 'anna',
      attributes: {
        userPassword: ['{SSHA}very-secret-hash'],
        sambaNTPassword: ['ABCDEF0123'],
        sn: ['Meyer'],
      },
    });
    audit.record({
      action: 'bind',
      dn: 'cn=admin',
      result: 'error',
      error: 'bad password bind-secret-value',
    });
    await audit.close();

    const text = await readFile(path, 'utf8');
    for (const secret of ['very-secret-hash', 'ABCDEF0123', 'bind-secret-value'])
      expect(text).not.toContain(secret);
    const [modify, bind] = await readLines(path);
    expect(modify).toMatchObject({
      user: 'anna',
      attributes: { userPassword: ['[redacted]'], sambaNTPassword: ['[redacted]'], sn: ['Meyer'] },
    });
    expect(bind).toMatchObject({ error: 'bad password [redacted]' });
  });

  it('keeps every line of a large burst once closed', async () => {
    const path = join(dir, 'audit.jsonl');
    const audit = await AuditLog.open(path, 'run-1');
    for (let i = 0; i < 5000; i++) audit.record({ action: 'add', dn: `uid=user${i},ou=people` });
    await audit.close();
    const lines = await readLines(path);
    expect(lines).toHaveLength(5000);
    expect(lines.at(-1)).toMatchObject({ dn: 'uid=user4999,ou=people' });
  });

  it('refuses records after close', async () => {
    const audit = await AuditLog.open(join(dir, 'audit.jsonl'), 'run-1');
    await audit.close();
    expect(() => audit.record({ action: 'add', dn: 'uid=a' })).toThrow(/closed/);
    await expect(audit.close()).resolves.toBeUndefined();
  });

  it('fails to open when the path is not a writable file', async () => {
    await expect(AuditLog.open(dir, 'run-1')).rejects.toThrow();
  });
});

describe('other audit sinks', () => {
  it('NullAuditLog discards entries', async () => {
    const audit = new NullAuditLog();
    audit.record({ action: 'add', dn: 'uid=a' });
    await expect(audit.close()).resolves.toBeUndefined();
  });

  it('MemoryAuditLog keeps entries', async () => {
    const audit = new MemoryAuditLog();
    audit.record({ action: 'add', dn: 'uid=a' });
    await audit.close();
    expect(audit.entries).toEqual([{ action: 'add', dn: 'uid=a' }]);
  });
});

describe('newRunId', () => {
  it('starts with the UTC time and ends with a random suffix', () => {
    const id = newRunId(new Date('2026-11-23T01:02:03.456Z'));
    expect(id).toMatch(/^20261123T010203Z-[0-9a-f]{6}$/);
    expect(newRunId(new Date('2026-11-23T01:02:03Z'))).not.toBe(newRunId(new Date('2026-11-23T01:02:03Z')));
  });

  it('sorts by time', () => {
    const ids = ['2026-11-23T10:00:00Z', '2026-01-01T00:00:00Z', '2026-11-23T09:59:59Z'].map((t) =>
      newRunId(new Date(t)),
    );
    expect([...ids].sort().map((id) => id.slice(0, 16))).toEqual([
      '20260101T000000Z',
      '20261123T095959Z',
      '20261123T100000Z',
    ]);
  });
});
