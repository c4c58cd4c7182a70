/**
 * The settled users' keys an incremental import saves in `state_dir` (`src/plan/settled.ts`): one file per
 * source and `--school` partition, a JSON header line and then the sorted keys, eight bytes each. The header
 * names what the keys are facts under (config digest, rostersync version, source, scope); a file saved under
 * anything else is not used, and the run reads every user as a full run does.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { endianness } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../config/index.js';
import { errorCode, writeFileAtomic } from './atomic.js';
import { partitionFileName } from './lock.js';

/** What a saved set of keys is valid under. */
export interface SettledBasis {
  configDigest: string;
  version: string;
  sourceUid: string;
  /** The `--school` scope, as `partitionKey` spells it. */
  schools: string[];
}

interface SettledHeader extends SettledBasis {
  format: 1;
  endianness: 'BE' | 'LE';
  keys: number;
  /** Users in scope when saved: a set much smaller than that is not worth a listing. */
  inScope: number;
  savedAt: string;
}

export interface SavedSettled {
  /** Sorted. */
  keys: BigUint64Array;
  inScope: number;
}

/** Why no saved set is used: said once in the run's log. */
export type SettledUnused = 'none saved' | 'saved under another config, version or scope' | 'unreadable';

export function settledFilePath(config: Config, schools: readonly string[]): string {
  return join(config.state_dir, 'settled', `${partitionFileName(config, schools)}.keys`);
}

const sameBasis = (a: SettledBasis, b: SettledBasis): boolean =>
  a.configDigest === b.configDigest &&
  a.version === b.version &&
  a.sourceUid === b.sourceUid &&
  a.schools.join('\0') === b.schools.join('\0');

export async function loadSettled(path: string, basis: SettledBasis): Promise<SavedSettled | SettledUnused> {
  let content: Buffer;
  try {
    content = await readFile(path);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return 'none saved';
    throw error;
  }
  const newline = content.indexOf(10);
  if (newline < 0) return 'unreadable';
  let header: SettledHeader;
  try {
    header = JSON.parse(content.subarray(0, newline).toString('utf8')) as SettledHeader;
  } catch {
    return 'unreadable';
  }
  const body = content.subarray(newline + 1);
  if (
    typeof header !== 'object' ||
    header === null ||
    header.format !== 1 ||
    !Array.isArray(header.schools) ||
    header.endianness !== endianness() ||
    !Number.isSafeInteger(header.keys) ||
    body.length !== header.keys * 8
  )
    return 'unreadable';
  if (!sameBasis(header, basis)) return 'saved under another config, version or scope';
  const keys = new BigUint64Array(header.keys);
  new Uint8Array(keys.buffer).set(body);
  return { keys, inScope: header.inScope };
}

export async function saveSettled(
  path: string,
  basis: SettledBasis,
  /** Sorted. */
  keys: BigUint64Array,
  inScope: number,
  now: Date,
): Promise<void> {
  const header: SettledHeader = {
    format: 1,
    ...basis,
    endianness: endianness(),
    keys: keys.length,
    inScope,
    savedAt: now.toISOString(),
  };
  const bytes = new Uint8Array(keys.buffer, keys.byteOffset, keys.byteLength);
  await mkdir(join(path, '..'), { recursive: true, mode: 0o700 });
  await writeFileAtomic(path, Buffer.concat([Buffer.from(`${JSON.stringify(header)}\n`), bytes]), 0o600);
}
