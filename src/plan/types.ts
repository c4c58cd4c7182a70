/**
 * The plan: everything an import would change, as a plain JSON-serialisable value. The planner makes it
 * without side effects; the apply step is the only code that writes it to the directory. `--dry-run`
 * prints it, `--plan-out` saves it, `--format ldif` renders it as the LDIF change records it stands for.
 */
import type { Modification } from '../directory/index.js';
import type { RetirementPseudonyms } from './retirement.js';

/** Apply order. Deletions come before creations so that a freed e-mail address can be reused at once. */
export const PHASES = ['containers', 'removals', 'updates', 'creates', 'groups'] as const;
export type Phase = (typeof PHASES)[number];

interface UserActionBase {
  /** The user's entry as it is before this action. */
  dn: string;
  recordUid: string;
  username: string;
  /** The school the action is reported under (the primary school). */
  school: string;
}

export interface CreateContainerAction {
  kind: 'create-container';
  phase: 'containers';
  dn: string;
  attributes: Record<string, string[]>;
}

export interface CreateUserAction extends UserActionBase {
  kind: 'create';
  phase: 'creates';
  /** Roster line the user comes from. */
  line: number;
  /** Without the password: apply generates it and hashes it into the add, so a plan never holds one. */
  attributes: Record<string, string[]>;
  /** Taken from the roster's `password` column rather than generated. */
  passwordFromRoster: boolean;
}

export interface ModifyUserAction extends UserActionBase {
  kind: 'modify';
  phase: 'updates';
  /** The roster fields that changed, for people reading the plan. */
  fields: string[];
  changes: Modification[];
}

export interface MoveUserAction extends UserActionBase {
  kind: 'move';
  phase: 'updates';
  newDn: string;
}

export interface RemoveSchoolAction extends UserActionBase {
  kind: 'remove-school';
  phase: 'updates';
  /** The schools taken away; the user stays in the others. */
  removedSchools: string[];
  changes: Modification[];
}

export interface ReactivateAction extends UserActionBase {
  kind: 'reactivate';
  phase: 'updates';
  changes: Modification[];
  /** Locks or expiry dates an admin set by hand: reactivation leaves them in place. */
  keptByAdmin: string[];
}

export interface DeactivateAction extends UserActionBase {
  kind: 'deactivate';
  phase: 'updates';
  /** `now`: locked at once; `later`: the server refuses logins from `deactivateAt` on. */
  when: 'now' | 'later';
  deactivateAt: string;
  /** When the purge deletes the user; a lifecycle rule's deactivation schedules no purge. */
  purgeAt?: string;
  /** The lifecycle rule that deactivates the user (SPEC §7); absent for the import's grace period. */
  rule?: string;
  changes: Modification[];
}

export interface ScheduleDeletionAction extends UserActionBase {
  kind: 'schedule-deletion';
  phase: 'updates';
  purgeAt: string;
  changes: Modification[];
}

export interface DeleteUserAction extends UserActionBase {
  kind: 'delete';
  phase: 'removals';
  /** Keeps the username taken after the entry is gone (`scheme.reserve_deleted`). */
  reservation?: { dn: string; attributes: Record<string, string[]> };
  /**
   * Whether doDelete must still look for groups naming the user. The import and the purge plan every
   * group that names it (phase `removals`, before the delete), so they set this to false.
   */
  sweepReferences?: boolean;
  /**
   * What doDelete does with the entry, from `purge.mode`: `delete` removes it (also when absent), `move`
   * locks it (`pwdAccountLockedTime`) and moves it under `moveTo` (`purge.move_to_dn`), keeping its RDN,
   * `retire` pseudonymises it in place, step by step (SPEC §8).
   */
  mode?: 'delete' | 'move' | 'retire';
  /**
   * With `mode: 'retire'`: the names it will have (hashed with the newest salt) and the attributes wiped, as
   * the entry is when planned; the DIRECTORY step computes them again from the entry it finds.
   */
  retirement?: { pseudonyms: RetirementPseudonyms; wipe: string[] };
  /** With `mode: 'move'`: the DN of the container the entry is moved into. */
  moveTo?: string;
  /** With `mode: 'move'`: the lock and the removed-from-source mark written just before the move. */
  moveChanges?: Modification[];
  /** The lifecycle rule that deletes the user (SPEC §7); absent for the import and the purge. */
  rule?: string;
  /** With `archive.dir`: the file the user's entry and memberships are written to before it goes (SPEC §8). */
  archive?: string;
}

/**
 * `rostersync archive restore` (SPEC §8): the user comes back from its archive as a new entry, locked and
 * marked missing, so that an import with it in the roster reactivates it. No hook sees it until then.
 */
export interface RestoreUserAction extends UserActionBase {
  kind: 'restore';
  phase: 'creates';
  /** The archive's attributes, the server's own left out, with the lock. */
  attributes: Record<string, string[]>;
  /** The reservation that kept its username taken while it was gone: deleted once the user is back. */
  reservation?: string;
}

export interface CreateGroupAction {
  kind: 'create-group';
  phase: 'groups';
  dn: string;
  school: string;
  className: string;
  attributes: Record<string, string[]>;
}

export interface ModifyGroupAction {
  kind: 'modify-group';
  /** `removals` when it takes users out who are deleted in this run (before their entries go). */
  phase: 'removals' | 'groups';
  dn: string;
  school: string;
  className: string;
  added: string[];
  removed: string[];
  changes: Modification[];
}

export interface DeleteGroupAction {
  kind: 'delete-group';
  phase: 'removals' | 'groups';
  dn: string;
  school: string;
  className: string;
  /**
   * The member values it holds when it goes. Should the removal of one of them be refused or fail, the
   * group stays with that member and only the others are taken out.
   */
  members: string[];
  memberUids: string[];
}

/**
 * `rostersync keep` (SPEC §7): the user's lifecycle warning is lifted and its clock restarts from now; it is
 * a candidate again only when a trigger matches anew.
 */
export interface KeepAction extends UserActionBase {
  kind: 'keep';
  phase: 'updates';
  changes: Modification[];
}

/**
 * A lifecycle rule's warning (SPEC §7): one mail to the user, and only once the SMTP server accepted it,
 * `changes` (the warning's time and rule) are written. A refused mail writes nothing: no warning, no action.
 */
export interface WarnAction extends UserActionBase {
  kind: 'warn';
  phase: 'updates';
  rule: string;
  /** What the rule will do, on `actOn` (ISO-8601) at the earliest. */
  ruleAction: 'delete' | 'deactivate' | 'notify';
  actOn: string;
  mail: { to: string; language: string; subject: string; text: string };
  /** Written once the SMTP server accepted the mail. */
  changes: Modification[];
  /** Written when the server refused it: the rule's record that this user cannot be warned this cycle. */
  refusedChanges?: Modification[];
}

/**
 * The lifecycle rules' own bookkeeping, no mail and no hooks: `cancelled`, a login after the warning lifted
 * it and restarted the clock; `stamp`, a lock rostersync did not set gets the time it was first seen.
 */
export interface LifecycleMarkAction extends UserActionBase {
  kind: 'lifecycle-mark';
  phase: 'updates';
  rule: string;
  reason: 'cancelled' | 'stamp';
  changes: Modification[];
}

/** `rostersync retirement set USER STATE` (SPEC §8): an admin moves a user to another retirement state. */
export interface SetRetirementStateAction extends UserActionBase {
  kind: 'set-retirement-state';
  phase: 'updates';
  from: string;
  to: string;
  changes: Modification[];
}

export type UserAction =
  | SetRetirementStateAction
  | WarnAction
  | LifecycleMarkAction
  | KeepAction
  | CreateUserAction
  | ModifyUserAction
  | MoveUserAction
  | RemoveSchoolAction
  | ReactivateAction
  | DeactivateAction
  | ScheduleDeletionAction
  | DeleteUserAction
  | RestoreUserAction;

export type GroupAction = CreateGroupAction | ModifyGroupAction | DeleteGroupAction;

/**
 * `rostersync retirement populate-states`: the state list kept in the directory made equal to
 * `retirement.states` — the entry added, or its list replaced; and the list at its old place (directly
 * under the base DN, before run state moved under `ou=rostersync`) removed once the new one is written.
 */
export interface WriteRetirementStatesAction {
  kind: 'write-retirement-states';
  phase: 'updates';
  dn: string;
  /** The entry as added when it is not there yet. */
  add?: Record<string, string[]>;
  /** The list replaced when it is. */
  replace?: Modification[];
  /** The DN of the list at its old place, deleted after the write (one action: never before it). */
  removeOld?: string;
}

/**
 * An entry loses the `owner` values naming users this run removes, before their entries go (SPEC §8); left
 * without an owner, it gets the one `ownership.last_owner` picks. A group whose last member leaves takes
 * that owner as its member in the same modify, so it never stands empty.
 */
export interface ChangeOwnerAction {
  kind: 'change-owner';
  phase: 'removals';
  dn: string;
  /** The owner values that go, as the entry spells them. */
  removed: string[];
  /** The owner values that come (none while other owners stay, or with `ownership.last_owner: none`). */
  added: string[];
  /** The member (or uniqueMember) values the same modify takes out and puts in. */
  membersRemoved: string[];
  membersAdded: string[];
  changes: Modification[];
}

export type PlanAction =
  CreateContainerAction | UserAction | GroupAction | ChangeOwnerAction | WriteRetirementStatesAction;
export type ActionKind = PlanAction['kind'];

/** Actions that take a user out (the four rows of the grace period table); the safety limit counts them. */
export const REMOVAL_KINDS: ReadonlySet<ActionKind> = new Set(['delete', 'deactivate', 'schedule-deletion']);

export interface PlanProblem {
  /** `file:line:column` for roster problems, the DN for directory problems. */
  where: string;
  recordUid?: string;
  message: string;
  /**
   * The plan keeps a user as it is because of it (the last member of a group that is not rostersync's):
   * the run reports it and exits 1, but it stops nothing else.
   */
  userKept?: true;
}

export interface SafetyCheck {
  /** In-scope users this plan would delete, deactivate or schedule for deletion. */
  removals: number;
  /** In-scope users of this source in the directory before the run. */
  inScope: number;
  /** The most removals allowed, from `safety.max_deletions` or `--max-deletions`. */
  limit: number;
  /** How the limit was given (`10%`, `25`). */
  setting: string;
  exceeded: boolean;
}

/**
 * What a plan was computed from besides its source, so that applying it later (`rostersync apply`) can
 * refuse one that no longer matches: the effective config, as a digest (the config holds no secrets, only
 * where to read them). The directory entries it read are added with held plans (SPEC §11).
 */
export interface PlanBasis {
  /** SHA-256 of the effective config as canonical JSON, hex. */
  configDigest: string;
  /**
   * Every entry the plan writes, by DN as the actions spell it: its `entryCSN` when planned, or `null` for
   * one it creates (absent then). Only touched entries, so a plan of a few changes stays small.
   */
  entries?: Record<string, string | null>;
  /** The usernames and addresses it gives out (lower-cased): free when planned. */
  names?: { usernames: string[]; emails: string[] };
}

/** The version of the plan's JSON this program writes and reads (`rostersync apply` refuses others). */
export const PLAN_VERSION = 2;

/** What every plan has, whatever job made it. */
interface PlanEnvelope {
  version: typeof PLAN_VERSION;
  sourceUid: string;
  /** The instant the plan treats as now (`--now` or the clock), ISO-8601. */
  now: string;
  timezone: string;
  basedOn: PlanBasis;
  problems: PlanProblem[];
  /** In apply order. */
  actions: PlanAction[];
}

/** An import of a roster (SPEC §4). */
export interface ImportPlan extends PlanEnvelope {
  job: 'import';
  /** Schools given with `--school`; empty means every school. */
  schools: string[];
  input: { file: string; rows: number; valid: number };
  /** In-scope users the roster leaves as they are. */
  unchanged: number;
  safety: SafetyCheck;
}

/** A user due for the purge that it leaves alone, and why. */
export interface SkippedUser {
  dn: string;
  username: string;
  recordUid: string;
  roles: string[];
  reason: string;
}

/** The purge of this source's users whose purge timestamp has come (SPEC §5). */
export interface PurgePlan extends PlanEnvelope {
  job: 'purge';
  /** Users whose purge timestamp has come. */
  due: number;
  /** Due users without a role in `purge.roles`: named, never purged. */
  skipped: SkippedUser[];
}

/** `rostersync keep`: the users an admin keeps from the lifecycle rules (SPEC §7). */
export interface KeepPlan extends PlanEnvelope {
  job: 'keep';
  /** The usernames or record uids given, as given. */
  asked: string[];
}

/** The lists of SPEC §7 a rule puts its users on (OLAT's notify → ready → delete). */
export const LIFECYCLE_LISTS = ['candidates', 'warn', 'warned', 'ready', 'cancelled', 'unwarnable'] as const;
export type LifecycleListName = (typeof LIFECYCLE_LISTS)[number];

/** One user on one of a rule's lists, with the days that matter there (ISO-8601 instants). */
export interface LifecycleListed {
  dn: string;
  username: string;
  recordUid: string;
  /** The trigger's reference time (a keep or a cancelled warning restarts it). */
  reference?: string;
  /** Candidates: the day the warning goes out (without a warning: the day of the action). */
  warnOn?: string;
  /** The day the action runs (`notify`: the day the mail names). */
  actOn?: string;
  /** Warned and cancelled: when the warning was sent. */
  warnedAt?: string;
  /** Cancelled: the login after the warning. */
  loginAt?: string;
  /** Why the user is on this list when it is not the rule's own doing (another rule has it, no address…). */
  note?: string;
}

/** One rule of a lifecycle run: what it is, and its lists. */
export interface RuleLists {
  rule: string;
  trigger: string;
  action: 'delete' | 'deactivate' | 'notify';
  days: number;
  warningDays: number;
  /**
   * Whether `candidates` lists every candidate (a dry run or a printed plan reads them all) or only those
   * the run had to read anyway (a real run reads the users whose next step may have come).
   */
  allCandidates: boolean;
  /** `warn`: warned in this run; `ready`: acted on in this run. */
  lists: Record<LifecycleListName, LifecycleListed[]>;
}

/** A run of the lifecycle rules (SPEC §7): each rule's lists, and the writes and mails they lead to. */
export interface LifecyclePlan extends PlanEnvelope {
  job: 'lifecycle';
  /** The rules run, in config order (`--rule` picks some). */
  rules: RuleLists[];
  safety: SafetyCheck;
}

/** `rostersync retirement set USER STATE`. */
export interface RetirementSetPlan extends PlanEnvelope {
  job: 'retirement-set';
  asked: string;
  state: string;
}

/** `rostersync retirement populate-states`: the difference between the stored list and the config's. */
export interface RetirementStatesPlan extends PlanEnvelope {
  job: 'retirement-states';
  added: string[];
  removed: string[];
  remaining: string[];
  /** The list as it will be, in order. */
  states: string[];
  /** Users in a state the new list no longer has. */
  stranded: { dn: string; username: string; state: string }[];
}

/** `rostersync archive restore`: a deleted user back from its archive (SPEC §8). */
export interface RestorePlan extends PlanEnvelope {
  job: 'restore';
  /** The archive file it comes from. */
  archive: string;
  /** Groups of the archive that are gone since: the user is not put back in them. */
  missingGroups: string[];
}

export type Plan =
  ImportPlan | PurgePlan | KeepPlan | LifecyclePlan | RetirementSetPlan | RetirementStatesPlan | RestorePlan;
export type JobName = Plan['job'];
