/** Roster reader test helpers: a minimal config and a scratch directory for roster files. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Config, parseConfig } from '../../src/config/index.js';

export const MAPPING = {
  uid: 'record_uid',
  firstname: 'firstname',
  lastname: 'lastname',
  schools: 'schools',
  role: 'role',
};

export const HEADER = 'uid,firstname,lastname,schools,role';

export function rosterConfig(csv: Record<string, unknown> = {}): Config {
  return parseConfig(
    { source_uid: 'district', ldap: { base_dn: 'dc=example,dc=org' }, csv: { mapping: MAPPING, ...csv } },
    'test.yaml',
  );
}

/** A temporary directory; `write` puts a file (text as is, or bytes) into it and returns its path. */
export interface Scratch {
  write(name: string, content: string | Buffer): Promise<string>;
  dispose(): Promise<void>;
}

export async function scratchDir(prefix: string): Promise<Scratch> {
  const dir = await mkdtemp(join(tmpdir(), `${prefix}-`));
  return {
    write: async (name, content) => {
      const file = join(dir, name);
      await writeFile(file, content);
      return file;
    },
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}
