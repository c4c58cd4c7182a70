/**
 * Starts one real slapd for the whole test run; test files share it but each works in its own subtree
 * (see `createTestSubtree`). Tests that need a differently configured server start their own.
 */
import type { TestProject } from 'vitest/node';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type SlapdServer, startSlapd } from '../../testkit/slapd.js';
import { startSlapdContainer } from '../../testkit/slapd-container.js';

declare module 'vitest' {
  export interface ProvidedContext {
    slapd: { url: string; suffix: string; adminDn: string; adminPassword: string; adminPasswordFile: string };
  }
}

/**
 * `ROSTERSYNC_TEST_LDAP=testcontainers` runs the shared server in a container (where a Docker engine is
 * reachable); otherwise, and always in CI here, a local slapd.
 */
async function startSharedServer(): Promise<SlapdServer> {
  if (process.env.ROSTERSYNC_TEST_LDAP !== 'testcontainers') return startSlapd();
  const server = await startSlapdContainer();
  const dir = await mkdtemp(join(tmpdir(), 'rostersync-container-'));
  const adminPasswordFile = join(dir, 'admin.pw');
  await writeFile(adminPasswordFile, server.adminPassword, { mode: 0o600 });
  return { ...server, adminPasswordFile };
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await startSharedServer();
  project.provide('slapd', {
    url: server.url,
    suffix: server.suffix,
    adminDn: server.adminDn,
    adminPassword: server.adminPassword,
    adminPasswordFile: server.adminPasswordFile,
  });
  return () => server.stop();
}
