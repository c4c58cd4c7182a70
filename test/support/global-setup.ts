/**
 * Starts one real slapd for the whole test run; test files share it but each works in its own subtree
 * (see `createTestSubtree`). Tests that need a differently configured server start their own.
 */
import type { TestProject } from 'vitest/node';
import { startSlapd } from '../../src/testing/slapd.js';

declare module 'vitest' {
  export interface ProvidedContext {
    slapd: { url: string; suffix: string; adminDn: string; adminPassword: string; adminPasswordFile: string };
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await startSlapd();
  project.provide('slapd', {
    url: server.url,
    suffix: server.suffix,
    adminDn: server.adminDn,
    adminPassword: server.adminPassword,
    adminPasswordFile: server.adminPasswordFile,
  });
  return () => server.stop();
}
