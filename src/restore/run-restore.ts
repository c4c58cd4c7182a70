/**
 * One `rostersync archive restore` run (SPEC §8): read what the directory holds now of the archive's user
 * (its DN, username, record uid, groups), plan the restore, and apply it on the planned-run path like every
 * job, so `--dry-run`, `--format` and the audit log work as they do for the others.
 */
import type { ArchivedUser } from '../archive/index.js';
import type { RunContext } from '../apply/run-context.js';
import { attributeNames, type Config, readSalts } from '../config/index.js';
import { and, anyOf, type Directory, eq, normalizeDn, parentDn } from '../directory/index.js';
import { DirectoryLayout } from '../directory/layout.js';
import { retiredUsernameCandidates } from '../naming/index.js';
import { type GroupNow, planRestore, type RestoreFacts, restoredIdentity } from '../plan/restore.js';
import type { RestorePlan } from '../plan/types.js';
import { PlannedRun, type PlannedRunOptions, type RunOutcome } from '../run/planned-run.js';

export interface RestoreOptions extends PlannedRunOptions {
  /** The archive file, as given, and what it holds. */
  file: string;
  archive: ArchivedUser;
}

export type RestoreOutcome = RunOutcome<RestorePlan>;

const dnsOf = (entries: readonly { dn: string }[]): string[] => entries.map((entry) => entry.dn);

/** Retired entries named as `username` would be under any of the salts (only with retirement salts set). */
async function retiredAs(directory: Directory, config: Config, username: string): Promise<string[]> {
  if (config.retirement.salts_file === undefined) return [];
  const candidates = retiredUsernameCandidates(username, await readSalts(config), config.retirement);
  return dnsOf(
    await directory.searchAll(config.ldap.base_dn, {
      scope: 'sub',
      filter: anyOf('uid', candidates),
      attributes: [],
    }),
  );
}

async function readFacts(
  directory: Directory,
  config: Config,
  archive: ArchivedUser,
  identity: { username: string; recordUid: string; sourceUid: string },
): Promise<RestoreFacts> {
  const names = attributeNames(config);
  const layout = new DirectoryLayout(config);
  const base = config.ldap.base_dn;
  const reservationDn = normalizeDn(layout.reservationDn(identity.username));
  const parent = parentDn(archive.dn);
  const [entryExists, parentExists, withUsername, withRecordUid, retired] = await Promise.all([
    directory.exists(archive.dn),
    parent === undefined ? false : directory.exists(parent),
    directory.searchAll(base, { scope: 'sub', filter: eq('uid', identity.username), attributes: [] }),
    directory.searchAll(base, {
      scope: 'sub',
      filter: and(eq(names.sourceUid, identity.sourceUid), eq(names.recordUid, identity.recordUid)),
      attributes: [],
    }),
    retiredAs(directory, config, identity.username),
  ]);
  // The reservation kept the name for this user (seed 004): it goes once the user holds the name again.
  const isReservation = (dn: string): boolean => normalizeDn(dn) === reservationDn;
  const groups = new Map<string, GroupNow | undefined>();
  for (const dn of new Set(archive.memberships.map((membership) => membership.group))) {
    const group = await directory.searchOne(dn, ['member', 'uniqueMember', 'memberUid']);
    groups.set(
      dn,
      group && {
        member: group.attributes.member ?? [],
        uniqueMember: group.attributes.uniqueMember ?? [],
        memberUid: group.attributes.memberUid ?? [],
      },
    );
  }
  return {
    entryExists,
    parentExists,
    usernameTakenBy: dnsOf(withUsername.filter((entry) => !isReservation(entry.dn))),
    retiredAs: retired,
    recordUidTakenBy: dnsOf(withRecordUid),
    reservation: withUsername.find((entry) => isReservation(entry.dn))?.dn,
    groups,
  };
}

export async function runRestore(runtime: RunContext, options: RestoreOptions): Promise<RestoreOutcome> {
  const { config, logger, now } = runtime;
  const { archive, file } = options;
  const identity = restoredIdentity(archive, config, file);
  const run = new PlannedRun<RestorePlan>(runtime, 'restore', options, { input: file, schools: [] });
  return run.run({
    problemsStopTheRun: true,
    plan: async (directory) =>
      planRestore({
        config,
        now,
        file,
        archive,
        facts: await readFacts(directory, config, archive, identity),
      }),
    report: (plan) => {
      for (const group of plan.missingGroups) {
        logger.warn(`group ${group} no longer exists; ${identity.username} is not put back in it`, {
          dn: group,
        });
      }
    },
  });
}
