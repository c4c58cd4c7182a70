/** Per-test isolation on the shared server: every test file gets its own subtree under the suffix. */
import { randomBytes } from 'node:crypto';
import { Client, InvalidCredentialsError } from 'ldapts';
import { inject } from 'vitest';

export interface TestSubtree {
  url: string;
  /** The subtree this test owns; use it as `ldap.base_dn`. */
  baseDn: string;
  adminDn: string;
  adminPassword: string;
  adminPasswordFile: string;
  /** An admin connection for asserting on the directory itself. */
  client: Client;
  /** Removes the subtree and closes the connection. */
  dispose(): Promise<void>;
}

export function sharedSlapd() {
  return inject('slapd');
}

/** A server to make subtrees on: the shared one, or a test's own (testkit `startSlapd`). */
export interface TestServer {
  url: string;
  suffix: string;
  adminDn: string;
  adminPassword: string;
  adminPasswordFile: string;
}

export async function createTestSubtree(
  name: string,
  server: TestServer = sharedSlapd(),
): Promise<TestSubtree> {
  const ou = `${name}-${randomBytes(4).toString('hex')}`;
  const baseDn = `ou=${ou},${server.suffix}`;
  const client = new Client({ url: server.url });
  await client.bind(server.adminDn, server.adminPassword);
  await client.add(baseDn, { objectClass: 'organizationalUnit', ou });
  return {
    url: server.url,
    baseDn,
    adminDn: server.adminDn,
    adminPassword: server.adminPassword,
    adminPasswordFile: server.adminPasswordFile,
    client,
    dispose: async () => {
      await deleteSubtree(client, baseDn);
      await client.unbind();
    },
  };
}

/** Deletes an entry and everything below it, deepest entries first. */
export async function deleteSubtree(client: Client, baseDn: string): Promise<void> {
  const { searchEntries } = await client.search(baseDn, { scope: 'sub', attributes: ['1.1'] });
  const dns = searchEntries
    .map((entry) => entry.dn)
    .sort((a, b) => b.split(',').length - a.split(',').length);
  for (const dn of dns) await client.del(dn);
}

/** Whether the server lets `dn` log in with `password` (false on invalid credentials, e.g. a locked user). */
export async function canBind(url: string, dn: string, password: string): Promise<boolean> {
  const client = new Client({ url });
  try {
    await client.bind(dn, password);
    return true;
  } catch (error) {
    if (error instanceof InvalidCredentialsError) return false;
    throw error;
  } finally {
    await client.unbind().catch(() => {});
  }
}
