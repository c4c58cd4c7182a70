/**
 * What a run locks: its whole source, or — a run with `--school` — one lease per school, so that runs of
 * different schools of one source go on side by side while a run of the whole source excludes them all.
 */
import { dn, rdn } from '../dn.js';

/**
 * The schools a run is for, each once (ids compare case-insensitively), in one order; empty: every school.
 * One function for the lease, the lock file and the status slot, so that all three name a partition alike.
 */
export { partitionKey as partitionOf } from '../state/lock.js';

/**
 * A lease's RDN value: `SOURCE` for the whole source, `SOURCE/SCHOOL` for one school. Two names may meet
 * (source `a/b`, and school `b` of source `a`): the two then exclude each other, which is safe.
 */
export function leaseName(sourceUid: string, school: string | undefined): string {
  return school === undefined ? sourceUid : `${sourceUid}/${school.toLowerCase()}`;
}

export function leaseDn(leasesDn: string, sourceUid: string, school: string | undefined): string {
  return dn(rdn('cn', leaseName(sourceUid, school)), leasesDn);
}

/**
 * Whether a run for `own` (its schools; empty: the whole source) must not run beside a live lease of the same
 * source for `otherSchool` (undefined: the whole source). The same school is one entry, so `add` decides
 * that; across entries, the whole source excludes every school, and schools exclude the whole source.
 */
export function leasesConflict(own: readonly string[], otherSchool: string | undefined): boolean {
  if (own.length === 0) return true;
  if (otherSchool === undefined) return true;
  return own.includes(otherSchool.toLowerCase());
}
