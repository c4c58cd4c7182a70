/**
 * What comparing two directories leaves out, shared by the tests' canonical dump (test/support/dump.ts) and
 * the benchmark's fingerprints (bench/directory.js), so that "the same result" means one thing in both.
 */

/** Operational attributes that differ per server or per run, and `userPassword` (random per side); lower case. */
export const COMPARISON_EXCLUDED_ATTRIBUTES: readonly string[] = [
  'entryUUID',
  'entryCSN',
  'entryDN',
  'createTimestamp',
  'modifyTimestamp',
  'creatorsName',
  'modifiersName',
  'structuralObjectClass',
  'subschemaSubentry',
  'hasSubordinates',
  'numSubordinates',
  'pwdChangedTime',
  'pwdLastSuccess',
  'pwdFailureTime',
  'contextCSN',
  // When a retirement step last wrote its state: the time of that run.
  'rostersyncRetirementUpdated',
  'userPassword',
].map((name) => name.toLowerCase());

const RUN_LOCK_ENTRY = /^(?:ou=rostersync,|(?:.+,)?ou=leases,ou=rostersync,)/;

/**
 * The run lock's leases and their containers (SPEC §5: run state under `ou=rostersync`): a run takes and
 * releases its lease whatever its plan says, so the containers are there after any run and the lease of a
 * killed one until the next run. The retirement state list is data and stays in. `dn` in any letter case.
 */
export function isRunLockEntry(dn: string): boolean {
  return RUN_LOCK_ENTRY.test(dn.toLowerCase());
}
