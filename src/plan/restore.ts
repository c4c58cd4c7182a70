/**
 * The plan of `rostersync archive restore` (SPEC §8): a deleted user back from its archive as a new entry
 * (same DN and attributes; the server makes a new entryUUID), put back in the groups that still exist,
 * locked and marked missing so that the next import with the user in its roster reactivates it through
 * the usual path (SPEC §4.5) — or an admin unlocks it. Refused, with nothing written, when its username or
 * record uid is taken since or its DN is in use. Pure: what the directory holds now comes in as plain values.
 */
import type { ArchivedMembership, ArchivedUser } from '../archive/index.js';
import { type AttributeNames, attributeNames, type Config } from '../config/index.js';
import { toGeneralizedTime } from '../dates.js';
import { dnEquals, type Modification, parentDn } from '../directory/index.js';
import { ExitCode, RostersyncError } from '../errors.js';
import { configDigest } from './basis.js';
import { lockNowChanges } from './deactivation.js';
import { type ModifyGroupAction, PLAN_VERSION, type RestorePlan, type RestoreUserAction } from './types.js';

/** Who the archive is of, as the directory knows users. */
export interface RestoredIdentity {
  username: string;
  recordUid: string;
  sourceUid: string;
  schools: string[];
}

/** A group's members now. */
export interface GroupNow {
  member: string[];
  uniqueMember: string[];
  memberUid: string[];
}

/** What the directory holds now, as far as the restore is concerned. */
export interface RestoreFacts {
  /** An entry at the archive's DN. */
  entryExists: boolean;
  /** The container the entry goes back into. */
  parentExists: boolean;
  /** Entries with the username, the reservation that kept it for the user left out. */
  usernameTakenBy: string[];
  /** Retired entries whose pseudonym is the username's (SPEC §8: retired names stay taken). */
  retiredAs: string[];
  /** Entries with the same source and record uid (a user moved away by `purge.mode: move` among them). */
  recordUidTakenBy: string[];
  /** The reservation entry of the username (`scheme.reserve_deleted`), when there is one. */
  reservation: string | undefined;
  /** Each group of the archive by its DN as the archive spells it: its members now, or undefined when gone. */
  groups: ReadonlyMap<string, GroupNow | undefined>;
}

export interface RestoreInput {
  config: Config;
  now: Date;
  /** The archive file, as given. */
  file: string;
  archive: ArchivedUser;
  facts: RestoreFacts;
}

/** The restore is refused: nothing is written (exit 1). */
export class RestoreRefused extends RostersyncError {}

/** The values of `name` whatever the case of the archive's attribute names. */
function valuesOf(attributes: Record<string, string[]>, name: string): string[] {
  const wanted = name.toLowerCase();
  return Object.entries(attributes)
    .filter(([key]) => key.toLowerCase() === wanted)
    .flatMap(([, values]) => values);
}

/**
 * The user of the archive: its username, record uid and source. An archive of another source is not this
 * config's to restore (exit 2), as a plan of another source is not its to apply.
 */
export function restoredIdentity(archive: ArchivedUser, config: Config, file: string): RestoredIdentity {
  const names = attributeNames(config);
  const [username] = valuesOf(archive.attributes, 'uid');
  const [recordUid] = valuesOf(archive.attributes, names.recordUid);
  const [sourceUid] = valuesOf(archive.attributes, names.sourceUid);
  const missing = [
    ...(username === undefined ? ['uid'] : []),
    ...(recordUid === undefined ? [names.recordUid] : []),
    ...(sourceUid === undefined ? [names.sourceUid] : []),
  ];
  if (username === undefined || recordUid === undefined || sourceUid === undefined)
    throw new RostersyncError(
      `${file}: not the archive of a rostersync user (no ${missing.join(', ')})`,
      ExitCode.usage,
    );
  if (sourceUid !== config.source_uid)
    throw new RostersyncError(
      `${file}: the archive is of source ${sourceUid}, the config's source_uid is ${config.source_uid}`,
      ExitCode.usage,
    );
  return { username, recordUid, sourceUid, schools: valuesOf(archive.attributes, names.school) };
}

/** Made by the server, or rostersync's marks of the user's past: a restored entry starts without them. */
function leftOut(names: AttributeNames): Set<string> {
  return new Set(
    [
      'entryUUID',
      'createTimestamp',
      'pwdLastSuccess',
      'userPassword',
      'pwdAccountLockedTime',
      'shadowExpire',
      names.purgeTimestamp,
      names.missingSince,
      names.deactivatedTimestamp,
      names.priorEndTime,
      names.lockFound,
      names.removedTimestamp,
      names.warningTimestamp,
      names.warningRule,
      names.keptTimestamp,
      names.ruleMail,
      names.retirementState,
    ].map((name) => name.toLowerCase()),
  );
}

/** The entry to add: the archive's attributes, locked by rostersync now and marked missing since now. */
function restoredAttributes(archive: ArchivedUser, config: Config, now: Date): Record<string, string[]> {
  const names = attributeNames(config);
  const skip = leftOut(names);
  const attributes: Record<string, string[]> = {};
  for (const [name, values] of Object.entries(archive.attributes)) {
    // The retirement's own attributes too, whatever state the archive caught it in.
    if (skip.has(name.toLowerCase()) || /^rostersyncretirement/i.test(name)) continue;
    attributes[name] = values;
  }
  const objectClasses = valuesOf(archive.attributes, 'objectClass');
  const lock = lockNowChanges({ lockedTime: undefined, lockFound: false, objectClasses }, now, names);
  for (const change of lock) attributes[change.attribute] = change.values;
  // Marked missing, as the grace period marks a user it locks: the import that finds it in the roster again
  // lifts the lock (SPEC §4.5).
  attributes[names.missingSince] = [toGeneralizedTime(now)];
  return attributes;
}

const holds = (group: GroupNow, membership: ArchivedMembership): boolean => {
  const attribute = membership.attribute.toLowerCase();
  if (attribute === 'memberuid') return group.memberUid.includes(membership.value);
  const values = attribute === 'member' ? group.member : group.uniqueMember;
  return values.some((value) => dnEquals(value, membership.value));
};

/** One `modify-group` per group that still exists and lacks the user, adding back the values it had. */
function groupActions(
  memberships: readonly ArchivedMembership[],
  groups: RestoreFacts['groups'],
): { actions: ModifyGroupAction[]; missing: string[] } {
  const byGroup = new Map<string, ArchivedMembership[]>();
  for (const membership of memberships)
    byGroup.set(membership.group, [...(byGroup.get(membership.group) ?? []), membership]);
  const actions: ModifyGroupAction[] = [];
  const missing: string[] = [];
  for (const [dn, wanted] of byGroup) {
    const group = groups.get(dn);
    if (group === undefined) {
      missing.push(dn);
      continue;
    }
    const changes: Modification[] = [];
    for (const membership of wanted.filter((membership) => !holds(group, membership))) {
      const change = changes.find((current) => current.attribute === membership.attribute);
      if (change) change.values.push(membership.value);
      else changes.push({ operation: 'add', attribute: membership.attribute, values: [membership.value] });
    }
    if (changes.length === 0) continue;
    actions.push({
      kind: 'modify-group',
      phase: 'groups',
      dn,
      school: '',
      className: '',
      added: changes.flatMap((change) => change.values),
      removed: [],
      changes,
    });
  }
  return { actions, missing };
}

/** Why the restore cannot go ahead; empty when it can. */
function refusals(archive: ArchivedUser, identity: RestoredIdentity, facts: RestoreFacts): string[] {
  const reasons: string[] = [];
  if (facts.entryExists) reasons.push(`an entry ${archive.dn} exists`);
  if (facts.usernameTakenBy.length > 0)
    reasons.push(`the username ${identity.username} is taken since by ${facts.usernameTakenBy.join(', ')}`);
  if (facts.retiredAs.length > 0)
    reasons.push(`the username ${identity.username} is retired (${facts.retiredAs.join(', ')})`);
  if (facts.recordUidTakenBy.length > 0)
    reasons.push(
      `the record uid ${identity.recordUid} of source ${identity.sourceUid} is taken since by ${facts.recordUidTakenBy.join(', ')}`,
    );
  if (!facts.entryExists && !facts.parentExists)
    reasons.push(`its container ${parentDn(archive.dn) ?? '(none)'} does not exist`);
  return reasons;
}

export function planRestore(input: RestoreInput): RestorePlan {
  const { config, now, file, archive, facts } = input;
  const identity = restoredIdentity(archive, config, file);
  const reasons = refusals(archive, identity, facts);
  if (reasons.length > 0)
    throw new RestoreRefused(
      `cannot restore ${identity.username} from ${file}: ${reasons.join('; ')}. Nothing is written.`,
    );
  const restore: RestoreUserAction = {
    kind: 'restore',
    phase: 'creates',
    dn: archive.dn,
    recordUid: identity.recordUid,
    username: identity.username,
    school: identity.schools[0] ?? '',
    attributes: restoredAttributes(archive, config, now),
    ...(facts.reservation !== undefined ? { reservation: facts.reservation } : {}),
  };
  const groups = groupActions(archive.memberships, facts.groups);
  return {
    version: PLAN_VERSION,
    job: 'restore',
    sourceUid: config.source_uid,
    now: now.toISOString(),
    timezone: config.timezone,
    basedOn: { configDigest: configDigest(config) },
    problems: [],
    actions: [restore, ...groups.actions],
    archive: file,
    missingGroups: groups.missing,
  };
}
