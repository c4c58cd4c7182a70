/** What the planner knows of the directory: a plain value, read once per run. */

export interface DirectoryUser {
  dn: string;
  entryUUID: string;
  objectClasses: string[];
  username: string;
  recordUid: string;
  firstname: string;
  lastname: string;
  commonName: string;
  displayName: string;
  email: string | undefined;
  schools: string[];
  /** Raw `ROLE:school:SCHOOL` values. */
  roles: string[];
  /** Current values of the roster's `attr:<name>` fields. */
  mapped: Record<string, string[]>;
  purgeTimestamp: string | undefined;
  missingSince: string | undefined;
  deactivatedTimestamp: string | undefined;
  /**
   * `rostersyncLockFound`: the lock was there before rostersync stamped it (SPEC §7), so it is not
   * rostersync's to lift; `deactivatedTimestamp` then only dates it.
   */
  lockFound: boolean;
  /** ppolicy `pwdAccountLockedTime`. */
  lockedTime: string | undefined;
  /** ppolicy `pwdEndTime`. */
  endTime: string | undefined;
  /** An admin's end time that rostersync's earlier one replaced. */
  priorEndTime: string | undefined;
  shadowExpire: string | undefined;
  /** The lifecycle's marks (SPEC §7): a warning sent, for which rule, and a keep. */
  warnedAt?: string | undefined;
  warningRule?: string | undefined;
  keptAt?: string | undefined;
  /** The entry's change sequence number when read: a held plan records it for the users it touches. */
  entryCSN?: string | undefined;
}

export interface DirectoryGroup {
  dn: string;
  school: string;
  className: string;
  /** Lower-cased; a class group made by hand lacks `rostersyncgroup` until an import takes it up. */
  objectClasses: string[];
  members: string[];
  memberUids: string[];
  entryCSN?: string | undefined;
}

/** A user a job removes. */
export interface LeavingUser {
  dn: string;
  username: string;
}

/**
 * A group anywhere under the base DN that names at least one user a job removes, whoever manages it: the
 * user leaves it before its entry goes, so no member value is left pointing at nothing.
 */
export interface ReferencingGroup {
  dn: string;
  member: string[];
  uniqueMember: string[];
  memberUid: string[];
  /** A class group (any source's: they are shared): rostersync may delete it when it loses its last member. */
  ours: boolean;
  entryCSN?: string | undefined;
}

/** Names in use, read whole: a small snapshot's or a test's. A run looks its names up instead (`NameLookup`). */
export interface TakenNames {
  /** Every `uid` under the base DN (all sources, reservations), lower-cased. */
  usernames: string[];
  /** Every `mail` under the base DN, lower-cased. */
  emails: string[];
  /** Every `uidNumber` and `gidNumber` under the base DN (read with `ldap.posix`). */
  uidNumbers: number[];
  gidNumbers: number[];
}

export interface Snapshot {
  /** This source's users (within the `--school` scope when given). */
  users: DirectoryUser[];
  /**
   * Class groups: this source's, every source's in the schools in play (a class group is shared), and the
   * ones the roster asks for that an admin made by hand.
   */
  groups: DirectoryGroup[];
  /**
   * Every group naming a user the plan deletes, whoever manages it (read only when the plan deletes
   * anyone); the class groups among them are planned with `groups`.
   */
  referencingGroups?: ReferencingGroup[];
  /** Group member DNs that are not this source's users and do not exist any more (normalized). */
  danglingMembers: string[];
  /** Containers that exist (normalized DNs), of those the plan may need. */
  existingContainers: string[];
  /** Usernames with a reservation entry (lower-cased). */
  reservations: string[];
  /** Read with `ldap.posix` (the numbers; the names only in small snapshots); else absent. */
  taken: TakenNames | undefined;
  /** Answers for usernames and addresses in place of `taken`'s lists: a run asks for the few it may give out. */
  names?: NameLookup;
}

/**
 * Which of some names are in use anywhere under the base DN (every source's, reservations included):
 * each answer lists the lower-cased names asked about that some entry has.
 */
export interface NameLookup {
  usernames(names: readonly string[]): Promise<readonly string[]>;
  emails(addresses: readonly string[]): Promise<readonly string[]>;
}

/** The snapshot without the users (which are streamed to the planner) and the reservations (read first). */
export type SnapshotRest = Omit<Snapshot, 'users' | 'reservations'>;
