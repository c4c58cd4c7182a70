/** Connecting: TLS (ldaps:// and StartTLS) with certificate verification, bad credentials, unreachable servers. */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Directory, DirectoryError, type DirectoryOptions } from '../../src/directory/index.js';
import { freePort, type SlapdServer, startSlapd } from '../../testkit/slapd.js';

const run = promisify(execFile);

let server: SlapdServer;
let ldapsUrl: string;
let caFile: string;
let scratch: string;
let otherCaFile: string;

function optionsFor(overrides: Partial<DirectoryOptions> = {}): DirectoryOptions {
  return {
    url: server.url,
    bindDn: server.adminDn,
    bindPassword: server.adminPassword,
    starttls: false,
    tls: { rejectUnauthorized: true },
    timeoutMs: 10_000,
    pageSize: 100,
    ...overrides,
  };
}

async function failureOf(operation: Promise<unknown>): Promise<DirectoryError> {
  try {
    const result = await operation;
    if (result instanceof Directory) await result.close();
  } catch (error) {
    if (error instanceof DirectoryError) return error;
    throw error;
  }
  throw new Error('expected the operation to fail');
}

/** Connects, proves the session works by reading the suffix entry, and closes. */
async function connectAndRead(options: DirectoryOptions): Promise<void> {
  const directory = await Directory.connect(options);
  try {
    expect(await directory.exists(server.suffix)).toBe(true);
    expect(await directory.bindAs(server.adminDn, server.adminPassword)).toBe(true);
    expect(await directory.bindAs(server.adminDn, 'wrong')).toBe(false);
  } finally {
    await directory.close();
  }
}

beforeAll(async () => {
  server = await startSlapd({ tls: true });
  if (server.ldapsUrl === undefined || server.caFile === undefined)
    throw new Error('slapd started without TLS');
  ldapsUrl = server.ldapsUrl;
  caFile = server.caFile;
  // A CA that did not sign the server certificate.
  scratch = await mkdtemp(join(tmpdir(), 'rostersync-other-ca-'));
  otherCaFile = join(scratch, 'other-ca.pem');
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    join(scratch, 'other-ca.key'),
    '-out',
    otherCaFile,
    '-days',
    '1',
    '-subj',
    '/CN=some other CA',
  ]);
});

afterAll(async () => {
  await server?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe('TLS', () => {
  it('ldaps:// with the right CA works', async () => {
    await connectAndRead(optionsFor({ url: ldapsUrl, tls: { caFile, rejectUnauthorized: true } }));
  });

  it('ldap:// with StartTLS and the right CA works', async () => {
    await connectAndRead(optionsFor({ starttls: true, tls: { caFile, rejectUnauthorized: true } }));
  });

  it('rejectUnauthorized false without a CA works', async () => {
    await connectAndRead(optionsFor({ url: ldapsUrl, tls: { rejectUnauthorized: false } }));
    await connectAndRead(optionsFor({ starttls: true, tls: { rejectUnauthorized: false } }));
  });

  it.each([
    ['ldaps://', true],
    ['StartTLS', false],
  ])('%s with a CA that did not sign the server certificate → tls', async (_label, ldaps) => {
    const url = ldaps ? ldapsUrl : server.url;
    const error = await failureOf(
      Directory.connect(
        optionsFor({ url, starttls: !ldaps, tls: { caFile: otherCaFile, rejectUnauthorized: true } }),
      ),
    );
    expect(error.kind).toBe('tls');
    expect(error.exitCode).toBe(1);
    expect(error.message).toMatch(
      new RegExp(
        `^TLS certificate verification failed for ${url.replace(/[.]/g, '\\.')}: .+ \\(set ldap\\.tls\\.ca_file`,
      ),
    );
    expect(error.message).toContain('ldap.tls.reject_unauthorized: false');
    expect(error.message).not.toContain(server.adminPassword);
    expect(error.cause).toBeInstanceOf(Error);
  });

  it('without a CA file the private CA is not trusted → tls', async () => {
    const error = await failureOf(Directory.connect(optionsFor({ url: ldapsUrl })));
    expect(error.kind).toBe('tls');
  });

  it('an unreadable CA file → tls naming the file', async () => {
    const missing = join(scratch, 'missing.pem');
    const error = await failureOf(
      Directory.connect(optionsFor({ url: ldapsUrl, tls: { caFile: missing, rejectUnauthorized: true } })),
    );
    expect(error.kind).toBe('tls');
    expect(error.message).toContain(missing);
  });
});

describe('connection errors', () => {
  it('a wrong password → invalid-credentials naming the bind DN, not the password', async () => {
    const password = 'Not-The-Admin-Password-42';
    const error = await failureOf(Directory.connect(optionsFor({ bindPassword: password })));
    expect(error.kind).toBe('invalid-credentials');
    expect(error.exitCode).toBe(1);
    expect(error.message).toBe(`invalid credentials for ${server.adminDn}`);
    expect(error.message).not.toContain(password);
    expect(String(error.cause)).not.toContain(password);
  });

  it('a bind DN under a missing parent → no-such-object naming it', async () => {
    const bindDn = `cn=admin,ou=missing,${server.suffix}`;
    const error = await failureOf(Directory.connect(optionsFor({ bindDn })));
    expect(error.kind).toBe('no-such-object');
    expect(error.message).toBe(`no such entry: ${bindDn}`);
  });

  it('a missing bind DN under an existing parent stays invalid-credentials (like a rootdn without entry)', async () => {
    const bindDn = `cn=nobody,${server.suffix}`;
    const error = await failureOf(Directory.connect(optionsFor({ bindDn })));
    expect(error.kind).toBe('invalid-credentials');
    expect(error.message).toBe(`invalid credentials for ${bindDn}`);
  });

  it('a port nobody listens on → unreachable with the URL', async () => {
    const url = `ldap://127.0.0.1:${await freePort()}`;
    const error = await failureOf(Directory.connect(optionsFor({ url })));
    expect(error.kind).toBe('unreachable');
    expect(error.message).toBe(`cannot reach LDAP server ${url}: connection refused`);
  });

  it('a server that accepts but never answers → timeout', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const address = silent.address();
    const url = `ldap://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    try {
      const error = await failureOf(Directory.connect(optionsFor({ url, timeoutMs: 300 })));
      expect(error.kind).toBe('timeout');
      expect(error.message).toBe(
        `LDAP server ${url} did not answer within 300 ms (bind as ${server.adminDn})`,
      );
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('StartTLS on an ldaps:// URL is a configuration error', async () => {
    const error = await failureOf(Directory.connect(optionsFor({ url: ldapsUrl, starttls: true })));
    expect(error.kind).toBe('other');
    expect(error.message).toContain('ldap.starttls');
  });

  it('reconnects and binds again after the server dropped the connection', async () => {
    const directory = await Directory.connect(
      optionsFor({ starttls: true, tls: { caFile, rejectUnauthorized: true } }),
    );
    try {
      // Simulate an idle timeout on the server side by closing our socket underneath the client.
      const client = (directory as unknown as { client: { unbind(): Promise<void> } }).client;
      await client.unbind();
      expect(await directory.exists(server.suffix)).toBe(true);
      // Only a bound admin may write here: anonymous access is read-only.
      const ouDn = `ou=after-reconnect,${server.suffix}`;
      await directory.add(ouDn, { objectClass: 'organizationalUnit', ou: 'after-reconnect' });
      await directory.delete(ouDn);
    } finally {
      await directory.close();
    }
  });
});
