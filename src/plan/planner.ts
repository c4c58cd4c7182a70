/**
 * The planner: (roster, directory snapshot, config, now) → plan. It writes nothing, and reads only through
 * the snapshot: the directory's users are folded in one at a time as they are read, so a run never holds
 * the whole directory, and the names a new user may get are looked up through the snapshot's `names` —
 * so a dry run shows exactly what the real run will do, and every rule of SPEC §4 can be tested without a
 * server. Deletion semantics follow the UCS@school import (seed 002) to the letter.
 */
import type { Config, MaxDeletions } from '../config/index.js';
import { leafRdn, lowerCase, type Modification, normalizeDn, parentDn } from '../directory/index.js';
import { homeDirectory, NameError, usedNamesOf } from '../naming/index.js';
import { formatProblem, type Roster, type RosterRecord } from '../roster/index.js';
import type {
  DirectoryUser,
  LeavingUser,
  NameLookup,
  Snapshot,
  SnapshotRest,
  TakenNames,
} from '../snapshot/types.js';
import type { OwnershipSnapshot } from '../snapshot/ownership.js';
import type { ListedUser } from '../snapshot/user-entry.js';
import { archiveOf } from './archive.js';
import { deleteMode, isMarkedMissing, reactivation } from './deactivation.js';
import { pseudonymSettings } from './retirement.js';
import { graceDecision } from './grace.js';
import { type Placement, planGroups, wantedGroups } from './groups.js';
import { configDigest, heldBasis } from './basis.js';
import { missingContainers } from './containers.js';
import { NameBook, NameGiver, reservationEntry, settleNames, type UsernameMaker } from './names.js';
import { DirectoryLayout } from '../directory/layout.js';
import { NumberAllocator } from './numbers.js';
import { ownershipInput, planReferencesAndOwners } from './ownership.js';
import { safetyCheck } from './safety.js';
import { RecordSlots } from './record-slots.js';
import { settledKey, type SettledKeys, SettledKeysBuilder } from './settled.js';
import type { Scope } from './scope.js';
import {
  type CreateUserAction,
  type DeleteUserAction,
  type ImportPlan,
  PHASES,
  PLAN_VERSION,
  type PlanAction,
  type PlanProblem,
} from './types.js';
import {
  desiredUser,
  diffUser,
  holdsRecord,
  placementSchool,
  schoolOfRole,
  schoolsOfRecord,
} from './user-state.js';
import { appendAll, sameList } from '../arrays.js';

/** Everything the planner needs before the first directory user arrives. */
export interface PlanSetup {
  config: Config;
  roster: Roster;
  now: Date;
  scope: Scope;
  /** `--no-delete` or `no_delete: true`: compute no deactivations or deletions. */
  noDelete: boolean;
  maxDeletions: MaxDeletions;
  /** Usernames with a reservation entry (lower-cased): deleting such a user adds no second one. */
  reservations: readonly string[];
  /** `retirement.salts_file`'s salts, when set: retired names (by their hashes) stay taken. */
  retirementSalts?: readonly string[];
  /**
   * Whether the plan records what it was computed from for a later `rostersync apply` (the users' CSNs
   * were read). Default true. Without it the plan holds only the config digest, and apply refuses it.
   */
  heldBasis?: boolean;
  /** An incremental import's saved keys: the listed users they match are planned without their entries. */
  settled?: SettledKeys;
  /** Whether the keys of the users found settled are collected (`settledKeys`) for the next run. */
  collectSettled?: boolean;
  /** An integrator's `makeUsername` (`classes.user_import`); without it, the `username` column or the scheme. */
  makeUsername?: UsernameMaker;
}

export interface PlanInput extends Omit<PlanSetup, 'reservations'> {
  snapshot: Snapshot;
}

const byRecordUid = (a: { recordUid: string }, b: { recordUid: string }): number =>
  a.recordUid.localeCompare(b.recordUid);

/**
 * What one directory user contributes to the plan. Users are planned as they are read (the snapshot is
 * streamed, not held); an outcome keeps only what assembling the plan needs, and outcomes are folded in
 * record-uid order so the plan does not depend on the order the server returned the entries in.
 */
/** What few users have: kept apart, so that the outcome of each of a million unchanged users stays small. */
interface RareOutcome {
  problems?: PlanProblem[];
  movedTo?: string;
  freedUsername?: string;
  freedEmail?: string;
  entryCSN?: string;
}

class UserOutcome {
  actions: PlanAction[] | undefined;
  /** Where the user ends up, for group membership; unset when the user leaves this run's schools. */
  record: RosterRecord | undefined;
  schools: string[] | undefined;
  deleted = false;
  /**
   * Left exactly as it is, group memberships included: its row failed validation or was skipped, or
   * `--no-delete` keeps it. Such a user is not this run's to manage in any group.
   */
  untouched = false;
  unchanged = false;
  private rare: RareOutcome | undefined;

  get problems(): PlanProblem[] | undefined {
    return this.rare?.problems;
  }

  /** The DN after this run's moves, when it differs. */
  get movedTo(): string | undefined {
    return this.rare?.movedTo;
  }

  set movedTo(dn: string | undefined) {
    (this.rare ??= {}).movedTo = dn;
  }

  get freedUsername(): string | undefined {
    return this.rare?.freedUsername;
  }

  set freedUsername(username: string | undefined) {
    (this.rare ??= {}).freedUsername = username;
  }

  get freedEmail(): string | undefined {
    return this.rare?.freedEmail;
  }

  set freedEmail(email: string | undefined) {
    (this.rare ??= {}).freedEmail = email;
  }

  /** The entry's CSN when read, kept only for a user the plan touches (a held plan records it). */
  get entryCSN(): string | undefined {
    return this.rare?.entryCSN;
  }

  set entryCSN(csn: string | undefined) {
    (this.rare ??= {}).entryCSN = csn;
  }

  constructor(
    readonly recordUid: string,
    readonly dn: string,
    readonly username: string,
  ) {}

  act(action: PlanAction): void {
    (this.actions ??= []).push(action);
  }

  report(problem: PlanProblem): void {
    ((this.rare ??= {}).problems ??= []).push(problem);
  }

  /** Not deleted after all: left exactly as it is, group memberships included. */
  keep(): void {
    this.actions = undefined;
    this.deleted = false;
    this.untouched = this.unchanged = true;
  }
}

/** An outcome whose user stays in this run's schools, with what group membership needs. */
const isPlaced = (outcome: UserOutcome): outcome is UserOutcome & Placement =>
  outcome.record !== undefined && outcome.schools !== undefined;

/**
 * Plans an import in two steps: `addUser` for every directory user of the source as it is read, then
 * `finish` with the rest of the snapshot. It writes nothing, and reads only names, through the snapshot.
 */
export class ImportPlanner {
  private readonly layout: DirectoryLayout;
  private readonly actions: PlanAction[] = [];
  private readonly problems: PlanProblem[] = [];
  private readonly placements: Placement[] = [];
  /** Normalized DNs of users this run manages (before and after), for group membership. */
  private readonly managed = new Set<string>();
  private readonly managedUsernames = new Set<string>();
  private readonly deleted = new Set<string>();
  private readonly deletedUsernames = new Set<string>();
  private readonly renamed = new Map<string, string>();
  private readonly freedEmails: string[] = [];
  private readonly freedUsernames: string[] = [];
  private unchanged = 0;
  private inScope = 0;
  private settledListed = 0;

  private records: RosterRecord[];
  private readonly badRows: ReadonlySet<string>;
  /** Record uids whose row says `D`: removed as if missing, even under `--no-delete` (SPEC §4.5). */
  private readonly rowsSayingDelete: ReadonlySet<string>;
  private readonly reservations: ReadonlySet<string>;
  /** The in-scope roster rows (not D) by record uid, and each user's outcome by its record uid. */
  private readonly outcomes: RecordSlots<UserOutcome>;
  /** The keys of the users found settled, when the run saves them (`collectSettled`). */
  private readonly collected: SettledKeysBuilder | undefined;
  /** Users whose e-mail address changes: planned in `finish`, once every address in use is known. */
  private readonly pending = new Map<string, DirectoryUser>();
  /** Record uids held by more than one entry, with the holders' DNs. */
  private readonly duplicates = new Map<string, string[]>();
  private readonly leftAlone: PlanProblem[] = [];
  private rest: SnapshotRest | undefined;
  /** The usernames and addresses in use that this run asked about: set up by `finish`. */
  private usernameBook: NameBook | undefined;
  private emailBook: NameBook | undefined;
  /** Addresses this run gives to existing users (lower-cased): taken for later users and new ones. */
  private readonly givenEmails = new Set<string>();

  constructor(private readonly input: PlanSetup) {
    this.layout = new DirectoryLayout(input.config);
    this.reservations = new Set(input.reservations);
    // Rows of other schools are not this run's business when --school narrows it.
    this.records = input.roster.records.filter((record) => input.scope.touches(record.schools));
    this.outcomes = new RecordSlots(this.records.filter((record) => record.action !== 'D'));
    this.badRows = new Set(input.roster.invalidRecordUids);
    this.rowsSayingDelete = new Set(
      this.records.flatMap((record) => (record.action === 'D' ? [record.recordUid] : [])),
    );
    if (input.collectSettled === true) this.collected = new SettledKeysBuilder(this.outcomes.recordCount);
  }

  /**
   * One of this source's users, as read from the directory (in any order). `joining`: a user outside the
   * `--school` scope whose record the scoped roster has, so it joins one of this run's schools.
   */
  addUser(user: DirectoryUser, joining = false): void {
    const { scope } = this.input;
    if (!(joining || scope.all || scope.touches(user.schools))) return;
    const { recordUid } = user;
    if (recordUid === '') {
      this.leftAlone.push({ where: user.dn, message: 'entry of this source has no record uid; left alone' });
      return;
    }
    const position = this.outcomes.position(recordUid);
    if (!this.firstHolder(recordUid, user.dn, position)) return;
    const record = position === undefined ? undefined : this.outcomes.recordAt(position);
    if (record?.email !== undefined && record.email.toLowerCase() !== (user.email ?? '').toLowerCase()) {
      this.pending.set(recordUid, user);
      return;
    }
    const outcome = this.planUser(user, record);
    if (position === undefined) this.outcomes.set(recordUid, outcome);
    else this.outcomes.setAt(position, outcome);
  }

  /**
   * A user of an incremental import's listing (`src/plan/settled.ts`). When the saved keys say that this
   * very version of the entry held this very row, the user is planned as unchanged without reading its
   * entry, and the schools it is placed in are returned; undefined when it must be read and planned in full.
   */
  addListedUser(listed: ListedUser): readonly string[] | undefined {
    const { settled } = this.input;
    const position = this.outcomes.position(listed.recordUid);
    if (settled === undefined || position === undefined) return undefined;
    const record = this.outcomes.recordAt(position);
    const key = settledKey(record, listed);
    if (key === undefined || !settled.has(key)) return undefined;
    this.settledListed += 1;
    const schools = schoolsOfRecord(record, this.input.scope);
    if (this.firstHolder(record.recordUid, listed.dn, position)) {
      const out = new UserOutcome(record.recordUid, listed.dn, listed.username);
      out.record = record;
      out.schools = schools;
      out.unchanged = true;
      this.outcomes.setAt(position, out);
      this.collected?.add(key);
    }
    return schools;
  }

  /** Whether `dn` is the first entry with `recordUid`: a record uid held by two is reported, both left alone. */
  private firstHolder(recordUid: string, dn: string, position: number | undefined): boolean {
    const holders = this.duplicates.get(recordUid);
    if (holders) {
      holders.push(dn);
      return false;
    }
    const earlier =
      (position === undefined ? this.outcomes.get(recordUid) : this.outcomes.valueAt(position))?.dn ??
      this.pending.get(recordUid)?.dn;
    if (earlier !== undefined) {
      this.duplicates.set(recordUid, [earlier, dn]);
      this.outcomes.delete(recordUid);
      this.pending.delete(recordUid);
      return false;
    }
    return true;
  }

  /**
   * The keys of the users this run found settled, for the next incremental run; undefined unless asked
   * for (`collectSettled`).
   */
  settledKeys(): SettledKeys | undefined {
    return this.collected?.build();
  }

  /** How many listed users were planned from their keys alone. */
  get listedAsSettled(): number {
    return this.settledListed;
  }

  /** This source's users in the run's scope, once `finish` has counted them. */
  get usersInScope(): number {
    return this.inScope;
  }

  /**
   * Roster records of a `--school` run that no user in scope holds: before they are created, the directory
   * is asked whether this source has them in another school (they join this one instead).
   */
  unmatchedRecordUids(): string[] {
    if (this.input.scope.all) return [];
    return this.outcomes.recordUids().filter((recordUid) => !this.isExisting(recordUid));
  }

  /** The users planned for deletion: the groups that name them are read before `finish`. */
  deletedUsers(): LeavingUser[] {
    return this.outcomes
      .values()
      .filter((outcome) => outcome.deleted)
      .map(({ dn, username }) => ({ dn, username }));
  }

  private isExisting(recordUid: string): boolean {
    return this.outcomes.has(recordUid) || this.pending.has(recordUid) || this.duplicates.has(recordUid);
  }

  /** `ownership`: the entries the deleted users own (SPEC §8), read once `deletedUsers` is known. */
  async finish(rest: SnapshotRest, ownership?: OwnershipSnapshot): Promise<ImportPlan> {
    this.rest = rest;
    const lookup = rest.names ?? lookupIn(rest.taken);
    this.usernameBook = new NameBook((names) => lookup.usernames(names));
    this.emailBook = new NameBook((addresses) => lookup.emails(addresses));
    const { roster, config, scope, now } = this.input;
    for (const problem of roster.problems) {
      this.problems.push({
        where: [problem.file, problem.line, problem.column].filter((part) => part !== undefined).join(':'),
        ...(problem.recordUid !== undefined ? { recordUid: problem.recordUid } : {}),
        message: formatProblem(problem),
      });
    }
    appendAll(this.problems, this.leftAlone);
    for (const [recordUid, holders] of this.duplicates) {
      this.problems.push({
        where: holders.join(' and '),
        recordUid,
        message: `record uid '${recordUid}' is held by ${holders.length} entries of this source; all left alone`,
      });
    }
    await this.books().emails.learn(
      [...this.pending.values()].flatMap((user) => this.outcomes.record(user.recordUid)?.email ?? []),
    );
    // In record-uid order, so which of two rows asking for the same address gets it does not depend on
    // the order the server returned the entries in.
    for (const user of [...this.pending.values()].sort(byRecordUid)) {
      this.outcomes.set(user.recordUid, this.planUser(user, this.outcomes.record(user.recordUid)));
    }
    const creates = this.records.filter(
      (record) => record.action !== 'D' && !this.isExisting(record.recordUid),
    );
    // Every user has found its record: the index of a million of them goes before the plan's last steps.
    this.records = [];
    const outcomes = this.outcomes.values().sort(byRecordUid);
    this.outcomes.clear();
    const csns = entryCsns(outcomes, rest, ownership);
    this.planReferences(outcomes, ownership);
    for (const outcome of outcomes) this.fold(outcome);

    await this.lookUpNames(creates);
    this.planCreates(creates);
    // Every name asked about (two per new user) is garbage from here on, before the plan's last steps.
    this.usernameBook = this.emailBook = undefined;
    this.planGroups();
    this.planContainers();

    // Apply order; within the removals, group memberships go before the entries they point to.
    const removalRank = (action: PlanAction): number => (action.kind === 'delete' ? 1 : 0);
    const ordered = PHASES.flatMap((phase) =>
      this.actions
        .filter((action) => action.phase === phase)
        .sort((a, b) => (phase === 'removals' ? removalRank(a) - removalRank(b) : 0)),
    );
    return {
      version: PLAN_VERSION,
      job: 'import',
      sourceUid: config.source_uid,
      now: now.toISOString(),
      timezone: config.timezone,
      basedOn: {
        configDigest: configDigest(config),
        ...(this.input.heldBasis === false ? {} : heldBasis(ordered, (dn) => csns.get(dn))),
      },
      schools: [...scope.given],
      input: { file: roster.file, rows: roster.rowCount, valid: roster.records.length },
      actions: ordered,
      unchanged: this.unchanged,
      problems: this.problems,
      safety: safetyCheck(ordered, this.inScope, this.input.maxDeletions),
    };
  }

  private fold(outcome: UserOutcome): void {
    this.inScope += 1;
    if (outcome.actions) this.actions.push(...outcome.actions);
    if (outcome.problems) this.problems.push(...outcome.problems);
    if (outcome.unchanged) this.unchanged += 1;
    // Nothing of an untouched user is this run's business, its group memberships included.
    if (outcome.untouched) return;
    const dn = normalizeDn(outcome.dn);
    const username = lowerCase(outcome.username);
    this.managed.add(dn);
    this.managedUsernames.add(username);
    if (outcome.movedTo !== undefined) {
      this.renamed.set(dn, outcome.movedTo);
      this.managed.add(normalizeDn(outcome.movedTo));
    }
    if (isPlaced(outcome)) {
      // An unmoved user's outcome is its own placement: one object less for each user of a large source.
      const { movedTo } = outcome;
      this.placements.push(
        movedTo === undefined
          ? outcome
          : { dn: movedTo, username: outcome.username, record: outcome.record, schools: outcome.schools },
      );
    }
    if (outcome.deleted) {
      this.deleted.add(dn);
      this.deletedUsernames.add(username);
    }
    if (outcome.freedUsername !== undefined) this.freedUsernames.push(outcome.freedUsername);
    if (outcome.freedEmail !== undefined) this.freedEmails.push(outcome.freedEmail);
  }

  private planUser(user: DirectoryUser, record: RosterRecord | undefined): UserOutcome {
    const out = new UserOutcome(record?.recordUid ?? user.recordUid, user.dn, user.username);
    if (record) this.planPresentUser(out, user, record);
    // A row that failed validation still counts as present: never deactivate a user for a bad row, nor
    // take it out of a group.
    else if (this.badRows.has(user.recordUid)) out.untouched = out.unchanged = true;
    else this.planMissingUser(out, user);
    if (out.actions) out.entryCSN = user.entryCSN;
    return out;
  }

  private base(user: DirectoryUser) {
    return {
      dn: user.dn,
      recordUid: user.recordUid,
      username: user.username,
      school: user.schools[0] ?? '',
    };
  }

  private planPresentUser(out: UserOutcome, user: DirectoryUser, record: RosterRecord): void {
    const { scope } = this.input;
    const names = this.layout.attributes;
    if (record.action === 'A') {
      out.report({
        where: `${this.input.roster.file}:${record.line}`,
        recordUid: record.recordUid,
        message: `action A (add) for record uid '${record.recordUid}', but ${user.dn} already exists; row skipped`,
      });
      out.untouched = out.unchanged = true;
      return;
    }
    if (!isMarkedMissing(user) && holdsRecord(user, record, scope, names)) {
      // The usual re-import: the entry holds what the record says; only where it lives is left to check.
      this.placeAt(out, user, placementSchool(record), record.schools[0] ?? '');
      out.record = record;
      out.schools = record.schools;
      if (out.movedTo === undefined) {
        out.unchanged = true;
        this.settle(record, user);
      }
      return;
    }
    const desired = desiredUser(record, user, scope, names);
    const base = { ...this.base(user), school: desired.primarySchool };
    let changed = false;

    if (isMarkedMissing(user)) {
      const { changes, keptByAdmin } = reactivation(user, names);
      if (changes.length > 0) {
        out.act({ kind: 'reactivate', phase: 'updates', ...base, changes, keptByAdmin });
        changed = true;
      }
    }

    const diff = diffUser(user, desired, names);
    if (
      record.email !== undefined &&
      diff.fields.includes('email') &&
      this.emailTakenByOther(record.email, user)
    ) {
      out.report({
        where: `${this.input.roster.file}:${record.line}`,
        recordUid: record.recordUid,
        message: `e-mail ${record.email} is already used by another entry; not changed`,
      });
      diff.changes = diff.changes.filter((change) => change.attribute !== 'mail');
      diff.fields = diff.fields.filter((field) => field !== 'email');
    } else if (record.email !== undefined && diff.fields.includes('email')) {
      this.givenEmails.add(record.email.toLowerCase());
    }
    if (diff.changes.length > 0) {
      out.act({
        kind: 'modify',
        phase: 'updates',
        ...base,
        fields: diff.fields,
        changes: diff.changes,
      });
      changed = true;
    }

    if (this.placeAt(out, user, desired.placementSchool, desired.primarySchool)) changed = true;
    out.record = record;
    out.schools = desired.schools;
    if (!changed) {
      out.unchanged = true;
      // Placed as `addListedUser` places it only when its schools are the record's alone (a `--school` run
      // may keep others), and settled only without a problem to report again.
      if (out.problems === undefined && sameList(desired.schools, schoolsOfRecord(record, scope)))
        this.settle(record, user);
    }
  }

  /** The user holds its record and stays as it is: `addListedUser` plans it so next time from its key alone. */
  private settle(record: RosterRecord, user: DirectoryUser): void {
    if (this.collected === undefined) return;
    const key = settledKey(record, user);
    if (key !== undefined) this.collected.add(key);
  }

  /**
   * The entry lives in the record's first school (`placement`); moves it there if it is elsewhere, and says
   * whether it did. A `--school` run that does not manage that school leaves the entry where it is, so a
   * scoped and a full run never move a user back and forth.
   */
  private placeAt(out: UserOutcome, user: DirectoryUser, placement: string, reportedSchool: string): boolean {
    if (!this.layout.usersDnDependsOnSchool || !this.input.scope.includes(placement)) return false;
    const container = this.layout.usersDn(placement);
    const parent = parentDn(user.dn) ?? '';
    // Spelled alike (the usual case) is the same DN; otherwise compare their normal forms.
    if (parent === container || normalizeDn(parent) === normalizeDn(container)) return false;
    out.movedTo = `${leafRdn(user.dn)},${container}`;
    out.act({
      kind: 'move',
      phase: 'updates',
      ...this.base(user),
      school: reportedSchool,
      newDn: out.movedTo,
    });
    return true;
  }

  /** A user who left the school whose container holds the entry moves to the school it stays in. */
  private moveToRemainingSchool(out: UserOutcome, user: DirectoryUser, school: string): void {
    if (!this.layout.usersDnDependsOnSchool || school === '') return;
    const container = this.layout.usersDn(school);
    if (normalizeDn(parentDn(user.dn) ?? '') === normalizeDn(container)) return;
    out.movedTo = `${leafRdn(user.dn)},${container}`;
    out.act({ kind: 'move', phase: 'updates', ...this.base(user), school, newDn: out.movedTo });
  }

  /** The user is in scope but not in the roster: SPEC §4.5. */
  private planMissingUser(out: UserOutcome, user: DirectoryUser): void {
    const { scope, config, now, noDelete } = this.input;
    const names = this.layout.attributes;
    const base = this.base(user);

    // Still a member of schools outside this run: only this run's schools are taken away.
    const otherSchools = user.schools.filter((school) => !scope.includes(school));
    if (otherSchools.length > 0) {
      const otherRoles = user.roles.filter((value) => {
        const school = schoolOfRole(value);
        return school !== undefined && !scope.includes(school);
      });
      const removedSchools = user.schools.filter((school) => scope.includes(school));
      const changes: Modification[] = [
        { operation: 'replace', attribute: names.school, values: otherSchools },
        { operation: 'replace', attribute: names.role, values: otherRoles },
      ];
      out.act({
        kind: 'remove-school',
        phase: 'updates',
        ...base,
        school: removedSchools[0] ?? base.school,
        removedSchools,
        changes,
      });
      this.moveToRemainingSchool(out, user, otherSchools[0] ?? '');
      return;
    }

    // `--no-delete` leaves users missing from the roster alone; a row's own `D` is still carried out.
    if (noDelete && !this.rowsSayingDelete.has(user.recordUid)) {
      // Left exactly as it is: no grace dates, and its class groups keep it.
      out.untouched = out.unchanged = true;
      return;
    }

    const decision = graceDecision(user, config.deletion_grace_period, config.timezone, now, names);
    switch (decision.kind) {
      case 'delete':
        this.planDelete(out, user);
        return;
      case 'unchanged':
        out.unchanged = true;
        return;
      case 'schedule-deletion':
        out.act({ phase: 'updates', ...base, ...decision });
        return;
      case 'deactivate':
        out.act({ phase: 'updates', ...base, ...decision });
        return;
    }
  }

  private planDelete(out: UserOutcome, user: DirectoryUser): void {
    const { config } = this.input;
    const action: DeleteUserAction = {
      kind: 'delete',
      phase: 'removals',
      ...this.base(user),
      // `finish` plans every group that names the user: nothing is left for doDelete to look for.
      sweepReferences: false,
      ...deleteMode(config, this.input.now),
      ...archiveOf(config, this.input.now, user.username),
    };
    const username = lowerCase(user.username);
    if (config.scheme.reserve_deleted && username !== '') {
      if (!this.reservations.has(username)) {
        action.reservation = reservationEntry(this.layout, user, config.source_uid, 'deleted');
      }
    } else if (username !== '') out.freedUsername = username;
    if (user.email) out.freedEmail = user.email.toLowerCase();
    out.deleted = true;
    out.act(action);
  }

  /**
   * Groups other than this run's class groups (another tool's, made by hand) that name a user it deletes:
   * as in the purge, the user leaves them before its entry goes, and the last member of a group
   * rostersync must not delete is kept, untouched, and the group reported.
   */
  private planReferences(outcomes: readonly UserOutcome[], ownership: OwnershipSnapshot | undefined): void {
    const { scope, config } = this.input;
    const rest = this.snapshotRest();
    const deleted = outcomes.filter((outcome) => outcome.deleted);
    if (deleted.length === 0 || !(rest.referencingGroups?.length || ownership?.owned.length)) return;
    const classGroups = new Set(
      rest.groups.filter((group) => scope.includes(group.school)).map((group) => normalizeDn(group.dn)),
    );
    const { actions, problems, kept } = planReferencesAndOwners(
      (rest.referencingGroups ?? []).filter((group) => !classGroups.has(normalizeDn(group.dn))),
      deleted,
      ownership && ownershipInput(config, ownership),
    );
    appendAll(this.actions, actions);
    appendAll(this.problems, problems);
    for (const outcome of deleted) if (kept.has(normalizeDn(outcome.dn))) outcome.keep();
  }

  private snapshotRest(): SnapshotRest {
    if (!this.rest) throw new Error('ImportPlanner: finish() has not been called');
    return this.rest;
  }

  private emailTakenByOther(email: string, user: DirectoryUser): boolean {
    const wanted = email.toLowerCase();
    if ((user.email ?? '').toLowerCase() === wanted) return false;
    if (this.givenEmails.has(wanted)) return true;
    return this.books().emails.isUsed(wanted);
  }

  private books(): { usernames: NameBook; emails: NameBook } {
    if (!this.usernameBook || !this.emailBook) throw new Error('ImportPlanner: finish() has not been called');
    return { usernames: this.usernameBook, emails: this.emailBook };
  }

  /**
   * Every name the creations may ask about is looked up first: then they are planned as if the books held
   * every name in the directory.
   */
  private async lookUpNames(creates: readonly RosterRecord[]): Promise<void> {
    const { usernames, emails } = this.books();
    await settleNames([usernames, emails], () => {
      const names = this.nameGiver();
      for (const record of creates) {
        if (record.action === 'M') continue;
        try {
          names.give(record, placementSchool(record));
        } catch (error) {
          if (!(error instanceof NameError)) throw error;
        }
      }
    });
  }

  /** Hands out names to new users from the books, after this run's deletions and address changes. */
  private nameGiver(): NameGiver {
    const { config } = this.input;
    const { usernames, emails } = this.books();
    return new NameGiver(
      config.scheme,
      {
        usernames,
        emails,
        freedUsernames: this.freedUsernames,
        freedEmails: this.freedEmails,
        givenEmails: this.givenEmails,
        ...(this.input.retirementSalts !== undefined && this.input.retirementSalts.length > 0
          ? { retired: { salts: this.input.retirementSalts, settings: pseudonymSettings(config) } }
          : {}),
      },
      this.input.makeUsername,
    );
  }
  private planCreates(records: RosterRecord[]): void {
    if (records.length === 0) return;
    const { config, scope } = this.input;
    const names = this.layout.attributes;
    const uidNumbers = config.ldap.posix
      ? new NumberAllocator(config.posix.uid_number_min, this.rest?.taken?.uidNumbers ?? [])
      : undefined;
    const nameGiver = this.nameGiver();
    // Values every new user has: one frozen list each, as the roster's shared lists (100k adds, 100k fewer).
    const shared = (...values: string[]): string[] => Object.freeze(values) as string[];
    const same = {
      objectClass: config.ldap.posix
        ? shared('inetOrgPerson', 'posixAccount', 'shadowAccount', 'rostersyncUser')
        : shared('inetOrgPerson', 'rostersyncUser'),
      sourceUid: shared(config.source_uid),
      pwdReset: shared('TRUE'),
      gidNumber: shared(String(config.posix.primary_gid_number)),
      loginShell: shared(config.posix.login_shell),
    };

    for (const record of records) {
      const where = `${this.input.roster.file}:${record.line}`;
      if (record.action === 'M') {
        this.problems.push({
          where,
          recordUid: record.recordUid,
          message: `action M (modify) for record uid '${record.recordUid}', but no such user exists; row skipped`,
        });
        continue;
      }
      const desired = desiredUser(record, undefined, scope, names);
      // Where a full run puts it too, so it never moves once the other schools are imported.
      const school = desired.placementSchool;
      let username: string;
      let email: string | undefined;
      try {
        ({ username, email } = nameGiver.give(record, school));
      } catch (error) {
        if (!(error instanceof NameError)) throw error;
        this.problems.push({
          where,
          recordUid: record.recordUid,
          message: `${error.message}; user not created`,
        });
        continue;
      }

      const attributes: Record<string, string[]> = {
        objectClass: same.objectClass,
        uid: [username],
        [names.sourceUid]: same.sourceUid,
        [names.recordUid]: [record.recordUid],
      };
      for (const [attribute, values] of Object.entries(desired.attributes)) {
        if (values.length > 0) attributes[attribute] = values;
      }
      if (email !== undefined) attributes.mail = [email];
      if (config.password.must_change) attributes.pwdReset = same.pwdReset;
      if (uidNumbers) {
        attributes.uidNumber = [String(uidNumbers.next())];
        attributes.gidNumber = same.gidNumber;
        attributes.homeDirectory = [homeDirectory(config.posix.home_directory, username, school)];
        attributes.loginShell = same.loginShell;
      }
      const dn = this.layout.userDn(username, school);
      const action: CreateUserAction = {
        kind: 'create',
        phase: 'creates',
        dn,
        recordUid: record.recordUid,
        username,
        school,
        line: record.line,
        attributes,
        passwordFromRoster: record.password !== undefined,
      };
      this.actions.push(action);
      this.managed.add(normalizeDn(dn));
      this.managedUsernames.add(lowerCase(username));
      this.placements.push({ dn, username, record, schools: desired.schools });
    }
  }

  private planGroups(): void {
    const { scope, config } = this.input;
    const snapshot = this.snapshotRest();
    // Dangling members count as managed: they are cleaned up. (Added in place: a copy of a set of every
    // user would double it at the end of the run.)
    const managed = this.managed;
    for (const member of snapshot.danglingMembers) managed.add(member);
    const gidNumbers = config.ldap.posix
      ? new NumberAllocator(config.posix.gid_number_min, snapshot.taken?.gidNumbers ?? [])
      : undefined;
    appendAll(
      this.actions,
      planGroups({
        layout: this.layout,
        scope,
        sourceUid: config.source_uid,
        current: snapshot.groups,
        wanted: wantedGroups(this.placements, scope),
        managed,
        managedUsernames: this.managedUsernames,
        deleted: this.deleted,
        deletedUsernames: this.deletedUsernames,
        renamed: this.renamed,
        nextGidNumber: gidNumbers ? () => gidNumbers.next() : undefined,
      }),
    );
  }

  /** Missing containers on the way to every entry this plan adds, parents first. */
  private planContainers(): void {
    const { actions, problems } = missingContainers(
      this.actions,
      this.snapshotRest().existingContainers,
      this.layout,
    );
    this.actions.push(...actions);
    this.problems.push(...problems);
  }
}

/** The CSNs of the entries a plan may write, as read: touched users, class groups, referencing and owned entries. */
function entryCsns(
  outcomes: readonly UserOutcome[],
  rest: SnapshotRest,
  ownership: OwnershipSnapshot | undefined,
): Map<string, string> {
  const csns = new Map<string, string>();
  const entries = [
    ...outcomes,
    ...rest.groups,
    ...(rest.referencingGroups ?? []),
    ...(ownership?.owned ?? []),
  ];
  for (const { dn, entryCSN } of entries) if (entryCSN !== undefined) csns.set(normalizeDn(dn), entryCSN);
  return csns;
}

/** The whole plan at once, from a snapshot held in memory. */
export async function planImport(input: PlanInput): Promise<ImportPlan> {
  const { snapshot, ...setup } = input;
  const planner = new ImportPlanner({ ...setup, reservations: snapshot.reservations });
  for (const user of snapshot.users) planner.addUser(user);
  return planner.finish(snapshot);
}

/** Names read whole (a snapshot held in memory), asked like a directory. */
function lookupIn(taken: TakenNames | undefined): NameLookup {
  const usernames = usedNamesOf(taken?.usernames ?? []);
  const emails = usedNamesOf(taken?.emails ?? []);
  return {
    usernames: (names) => Promise.resolve(names.filter((name) => usernames.isUsed(name))),
    emails: (addresses) => Promise.resolve(addresses.filter((address) => emails.isUsed(address))),
  };
}
