/** `rostersync serve` checks its settings before it listens: each problem is exit 2 naming the key. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runCli } from '../support/cli.js';

let dir: string;
const config = (console: Record<string, unknown>) =>
  stringify({
    source_uid: 'district',
    state_dir: join(dir, 'state'),
    ldap: { base_dn: 'dc=example,dc=org' },
    console,
  });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rostersync-serve-'));
  await writeFile(join(dir, 'short-secret'), 'too short\n');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('rostersync serve', () => {
  it.each([
    [
      { admin_group: 'cn=admins,dc=example,dc=org' },
      'console.session_secret_file: required by rostersync serve',
    ],
    [
      { admin_group: 'cn=admins,dc=example,dc=org', session_secret_file: 'short-secret' },
      'short-secret must hold at least 32 characters',
    ],
    [{ listen: 'localhost' }, "console.listen: expected 'HOST:PORT'"],
  ])('refuses %j (exit 2)', async (settings, message) => {
    const path = join(dir, 'rostersync.yaml');
    await writeFile(path, config(settings));
    const result = await runCli(['serve', '--config', path]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
  });
});
