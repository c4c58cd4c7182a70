import { randomBytes } from 'node:crypto';

/**
 * An id for one run, e.g. `20261123T010203Z-3f9a1c`: the UTC start time first so ids sort by time,
 * then a random suffix so two runs in the same second differ.
 */
export function newRunId(now: Date = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/[-:]/g, '');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}
