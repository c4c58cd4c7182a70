/** `rostersync serve` checks its settings before it listens: each problem is exit 2 naming the key. */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { get as httpsGet } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { PassThrough } from 'node:stream';
import { parseConfig } from '../../src/config/index.js';
import { startConsole } from '../../src/console/server.js';
import { createLogger } from '../../src/logging/index.js';
import { makeCertificates } from '../../testkit/slapd.js';
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

describe('console.tls', () => {
  it('serves HTTPS directly, and its cookies are Secure', async () => {
    const certs = await makeCertificates(join(dir, 'tls'));
    const settings = parseConfig(
      {
        source_uid: 'district',
        state_dir: join(dir, 'state'),
        ldap: { base_dn: 'dc=example,dc=org' },
        console: {
          admin_group: 'cn=admins,dc=example,dc=org',
          tls: { cert_file: certs.certFile, key_file: certs.keyFile },
        },
      },
      'test',
    );
    const app = await startConsole(
      {
        config: settings,
        env: {},
        logger: createLogger({ level: 'error', format: 'json', stream: new PassThrough() }),
        sessionSecret: 'a-tls-test-session-secret-of-32-characters',
      },
      '127.0.0.1:0',
    );
    try {
      expect(app.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const ca = await readFile(certs.caFile);
      const response = await new Promise<{ status: number; cookies: string[] }>((done, fail) => {
        const request = httpsGet(`${app.url}/sign-in`, { ca }, (res) => {
          res.resume();
          res.on('end', () =>
            done({ status: res.statusCode ?? 0, cookies: res.headers['set-cookie'] ?? [] }),
          );
        });
        request.on('error', fail);
      });
      expect(response.status).toBe(200);
      expect(response.cookies.length).toBeGreaterThan(0);
      for (const cookie of response.cookies) expect(cookie).toMatch(/;\s*Secure/i);
    } finally {
      await app.close();
    }
  });
});
