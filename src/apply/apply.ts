/**
 * Apply: the only place an import writes. Phases run in plan order (containers, removals, updates,
 * creates, groups); within a phase, users go out concurrently up to `ldap.concurrency`, each user's own
 * actions in order. A failure stops that user's remaining actions, is reported, and counts against
 * `tolerate_errors`; everyone else goes on. Two things stop the whole run the same way (`interrupted`):
 * SIGTERM, and a directory that is gone or hung (refused, reset, no answer in time), where every further
 * action would only fail or wait out its own timeout. What was not sent is left for the next run.
 */
import pLimit from 'p-limit';
import { attributeNames, type Config } from '../config/index.js';
import {
  and,
  type Directory,
  type DirectoryError,
  eq,
  isDirectoryError,
  type Modification,
  normalizeDn,
  unavailableCause,
} from '../directory/index.js';
import { memberAttributes } from '../plan/groups.js';
import { type Logger, NullAuditLog } from '../logging/index.js';
import { generatePassword, hashPassword, type PasswordsFile } from '../passwords/index.js';
import { parseGeneralizedTime } from '../dates.js';
import type {
  CreateUserAction,
  DeleteUserAction,
  Plan,
  PlanAction,
  UserAction,
  WarnAction,
} from '../plan/types.js';
import { PHASES, REMOVAL_KINDS } from '../plan/types.js';
import { sourceUsersFilter } from '../snapshot/read.js';
import { currentUser, plannedUser } from './managed-user.js';
import { type ManagedUser, UserImport, type UserImportContext } from './user-import.js';
import { removedMark } from '../plan/deactivation.js';
import { AuditedWriter } from './writer.js';
import { keepingOwners } from './ownership.js';
import { DRY_RUN_NOTICES, type Mailer, type RunNotices } from '../mail/index.js';
import type { RetirementRuntime } from './user-context.js';
import type { ArchiveWriter } from '../archive/index.js';
import { archiveUser } from './archive.js';
import { appendAll } from '../arrays.js';

/** The events hook modules can attach to (SPEC §6): `pre<Event>` and `post<Event>`. */
export type HookEvent = 'Create' | 'Modify' | 'Deactivate' | 'Reactivate' | 'Delete';

/** Integrators' hook modules around each user action; a throwing `pre` vetoes that user's action. */
export interface ActionHooks {
  pre(event: HookEvent, user: ManagedUser, ctx: UserImportContext): Promise<void>;
  /** Runs every post hook; returns the failures (the write stands). */
  post(event: HookEvent, user: ManagedUser, ctx: UserImportContext): Promise<string[]>;
}

/**
 * The lifecycle rules' warnings and bookkeeping marks, an admin's retirement state, are rostersync's own: no
 * hook sees them. A restored user comes back locked; the hooks see it when an import reactivates it.
 */
type UnhookedKind = 'warn' | 'lifecycle-mark' | 'set-retirement-state' | 'restore';
type HookedAction = Exclude<UserAction, { kind: UnhookedKind }>;
const isHooked = (action: UserAction): action is HookedAction =>
  action.kind !== 'warn' &&
  action.kind !== 'lifecycle-mark' &&
  action.kind !== 'set-retirement-state' &&
  action.kind !== 'restore';

export const EVENT_OF: Record<HookedAction['kind'], HookEvent> = {
  create: 'Create',
  modify: 'Modify',
  move: 'Modify',
  'remove-school': 'Modify',
  'schedule-deletion': 'Modify',
  deactivate: 'Deactivate',
  reactivate: 'Reactivate',
  delete: 'Delete',
  keep: 'Modify',
};

export interface ApplyContext {
  config: Config;
  directory: Directory;
  writer: AuditedWriter;
  hooks?: ActionHooks;
  /** Stops the run between users (SIGTERM): users already started finish, the rest are left for next time. */
  signal?: AbortSignal;
  userImport: UserImport;
  logger: Logger;
  now: Date;
  /** Where initial passwords are listed; needed when the plan creates users. */
  passwords?: PasswordsFile;
  /** Initial passwords given in the roster's `password` column, by record uid (an import's creates). */
  rosterPasswords?: ReadonlyMap<string, string>;
  /** Sends the lifecycle rules' warnings; needed when the plan warns. */
  mailer?: Mailer;
  /** Mail of hooks and `UserImport` subclasses (`ctx.mail`), when `mail.*` is configured. */
  notices?: RunNotices;
  /** With `purge.mode: retire`: the salts and steps of a retirement; needed when the plan deletes. */
  retirement?: RetirementRuntime;
  /** Writes the archives of deleted users (`archive.dir`); needed when the plan's deletes name one. */
  archive?: ArchiveWriter;
  /** Told before an action is sent and once it is done: a held plan's apply keeps its journal (SPEC §11). */
  progress?: ApplyProgress;
}

export interface ApplyProgress {
  begin(action: PlanAction): void;
  done(action: PlanAction): void;
}

export interface ApplyFailure {
  kind: PlanAction['kind'];
  dn: string;
  recordUid?: string;
  error: string;
}

export interface ApplyResult {
  applied: PlanAction[];
  failed: ApplyFailure[];
  /** Actions not sent because an earlier action of the same user failed, or the run was stopped. */
  skipped: PlanAction[];
  /** Post hooks that failed; their writes stand. */
  hookFailures: ApplyFailure[];
  /** The run was stopped (SIGTERM, or the directory became unavailable) before every action was sent. */
  interrupted: boolean;
}

/** Creates whose passwords are written (and synced) to the passwords file before their adds go out. */
const CREATE_BATCH = 256;

const isUserAction = (action: PlanAction): action is UserAction =>
  action.kind !== 'create-container' &&
  action.kind !== 'create-group' &&
  action.kind !== 'modify-group' &&
  action.kind !== 'delete-group' &&
  action.kind !== 'write-retirement-states' &&
  action.kind !== 'change-owner';

function subjectOf(action: PlanAction): string {
  return isUserAction(action) ? `user:${action.recordUid}` : `dn:${normalizeDn(action.dn)}`;
}

/** A delete whose user is archived first (`archive.dir`). */
const isArchived = (action: PlanAction): action is DeleteUserAction & { archive: string } =>
  action.kind === 'delete' && action.archive !== undefined;

const MEMBER_ATTRIBUTES: ReadonlySet<string> = new Set(['member', 'uniquemember', 'memberuid']);

class Applier {
  private readonly result: ApplyResult = {
    applied: [],
    failed: [],
    skipped: [],
    hookFailures: [],
    interrupted: false,
  };
  private readonly failedSubjects = new Set<string>();
  /**
   * Users whose removal was vetoed or failed (normalized DN → username): they stay exactly as they were,
   * so no group loses them in this run either.
   */
  private readonly keptMembers = new Map<string, string>();
  /**
   * Deletes whose `pre` hooks already ran (before the group memberships they would end), with the user
   * those hooks saw: the delete hands its hooks the same one, read once.
   */
  private readonly preChecked = new Map<PlanAction, ManagedUser>();
  /** Hooks or a subclass are there to see the user: hand them the entry as it is (SPEC §6). */
  private readonly describeEntries: boolean;
  /** `doDelete` is an integrator's: whatever it leaves in place must still leave the source's scope. */
  private readonly customDelete: boolean;
  /** The first failure that showed the directory gone or hung; from then on nothing more is sent. */
  private directoryGone: DirectoryError | undefined;
  /** Users that could not be created or moved: they must not be written into groups. */
  private readonly missingDns = new Set<string>();
  /** The usernames of users that could not be restored: no memberUid for them either. */
  private readonly missingUids = new Set<string>();
  private readonly limit: ReturnType<typeof pLimit>;

  constructor(private readonly ctx: ApplyContext) {
    this.limit = pLimit(ctx.config.ldap.concurrency);
    const subclassed = Object.getPrototypeOf(ctx.userImport) !== UserImport.prototype;
    this.describeEntries = ctx.hooks !== undefined || subclassed;
    this.customDelete = ctx.userImport.doDelete !== UserImport.prototype.doDelete;
  }

  async run(plan: Plan): Promise<ApplyResult> {
    for (const phase of PHASES) {
      const actions = plan.actions.filter((action) => action.phase === phase);
      if (actions.length === 0) continue;
      if (phase === 'containers') {
        // Parents before children: one at a time, in plan order.
        for (const action of actions) await this.runSubject([action]);
      } else if (phase === 'removals') {
        // A delete a pre hook refuses must leave the user untouched, group memberships included: the hooks
        // run first, then the memberships go, then the entries they pointed to.
        // Once a user's pre hooks ran, it has started: a stop request lets its removal finish.
        // Likewise the archive: it is written before the memberships it records go.
        const deletes = actions.filter(isUserAction);
        const allowed = await this.vetDeletes(deletes);
        const started = this.ctx.hooks !== undefined || deletes.some(isArchived);
        // Group memberships and owner values alike.
        await this.runConcurrently(
          actions.filter((action) => !isUserAction(action)),
          started,
        );
        await this.runConcurrently(allowed, started);
      } else if (phase === 'creates') {
        const creates = actions.filter((action): action is CreateUserAction => action.kind === 'create');
        if (creates.length > 0) await this.runCreates(creates);
        // Users back from their archive: no password to make, one add each.
        await this.runConcurrently(actions.filter((action) => action.kind !== 'create'));
      } else {
        await this.runConcurrently(actions);
      }
    }
    return this.result;
  }

  /** `started`: the users' actions have begun, so a stop request does not hold them back. */
  private async runConcurrently(actions: PlanAction[], started = false): Promise<void> {
    const bySubject = new Map<string, PlanAction[]>();
    for (const action of actions) {
      const subject = subjectOf(action);
      bySubject.set(subject, [...(bySubject.get(subject) ?? []), action]);
    }
    await Promise.all(
      [...bySubject.values()].map((group) => this.limit(() => this.runSubject(group, started))),
    );
  }

  private get stopping(): boolean {
    if (this.ctx.signal?.aborted) this.result.interrupted = true;
    return this.result.interrupted;
  }

  private async runSubject(actions: PlanAction[], started = false): Promise<void> {
    if (!started && this.stopping) {
      appendAll(this.result.skipped, actions);
      return;
    }
    for (const action of actions) {
      const subject = subjectOf(action);
      // A user already started finishes on SIGTERM, but not against a directory that is gone: it could only fail.
      if (this.failedSubjects.has(subject) || this.directoryGone) {
        this.result.skipped.push(action);
        continue;
      }
      try {
        // What went out, when it is less than the action (an owner change that keeps a refused user).
        this.ctx.progress?.begin(action);
        const done = await this.execute(action);
        this.result.applied.push(done ?? action);
        this.ctx.progress?.done(action);
      } catch (error) {
        this.fail(action, error);
      }
    }
  }

  private fail(action: PlanAction, error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    this.failedSubjects.add(subjectOf(action));
    if (REMOVAL_KINDS.has(action.kind) || action.kind === 'remove-school') {
      const user = action as UserAction;
      this.keptMembers.set(normalizeDn(user.dn), user.username.toLowerCase());
    }
    if (action.kind === 'create' || action.kind === 'restore') this.missingDns.add(normalizeDn(action.dn));
    if (action.kind === 'restore') this.missingUids.add(action.username);
    if (action.kind === 'move') this.missingDns.add(normalizeDn(action.newDn));
    this.result.failed.push({
      kind: action.kind,
      dn: action.dn,
      ...(isUserAction(action) ? { recordUid: action.recordUid } : {}),
      error: message,
    });
    this.ctx.logger.error(`${action.kind} failed: ${message}`, {
      dn: action.dn,
      ...(isUserAction(action) ? { recordUid: action.recordUid } : {}),
    });
    const gone = unavailableCause(error);
    if (gone && !this.directoryGone) {
      this.directoryGone = gone;
      this.result.interrupted = true;
      this.ctx.logger.error(
        `the directory is unavailable, not sending the remaining actions: ${gone.message}`,
      );
    }
  }

  private context<A extends UserAction>(action: A): UserImportContext<A> {
    const { config, directory, writer, logger, now, retirement, notices } = this.ctx;
    return {
      action,
      config,
      directory,
      writer,
      logger,
      now,
      dryRun: false,
      ...(notices ? { mail: notices.about(action) } : {}),
      ...(retirement ? { retirement } : {}),
    };
  }

  /** pre hooks, the action itself, post hooks. A throwing pre hook vetoes the action (an error). */
  private async hooked<A extends HookedAction>(
    action: A,
    run: (user: ManagedUser, ctx: UserImportContext<A>) => Promise<void>,
  ): Promise<void> {
    const checked = this.preChecked.get(action);
    const user = checked ?? (await this.userFor(action));
    const ctx = this.context(action);
    const { hooks } = this.ctx;
    const event = EVENT_OF[action.kind];
    if (!checked) await hooks?.pre(event, user, ctx);
    await run(user, ctx);
    for (const error of (await hooks?.post(event, user, ctx)) ?? []) {
      this.result.hookFailures.push({ kind: action.kind, dn: action.dn, recordUid: action.recordUid, error });
      this.ctx.logger.error(`post${event} hook failed (the change stands): ${error}`, { dn: action.dn });
    }
  }

  private userFor(action: UserAction): Promise<ManagedUser> {
    const { config, directory } = this.ctx;
    return this.describeEntries
      ? currentUser(action, config, directory)
      : Promise.resolve(plannedUser(action, config));
  }

  /**
   * Runs the `pre` hooks of the deletes, then writes their archives; the refused ones, and those whose archive
   * could not be written, fail here and are returned no more.
   */
  private async vetDeletes(actions: PlanAction[]): Promise<PlanAction[]> {
    const { hooks } = this.ctx;
    if (!hooks && !actions.some(isArchived)) return actions;
    const allowed = new Set<PlanAction>();
    await Promise.all(
      actions.map((action) =>
        this.limit(async () => {
          if (action.kind !== 'delete') {
            allowed.add(action);
            return;
          }
          if (this.stopping) {
            // Not started: left as it is for the next run, group memberships included.
            this.result.skipped.push(action);
            this.keptMembers.set(normalizeDn(action.dn), action.username.toLowerCase());
            return;
          }
          try {
            if (hooks) {
              const user = await this.userFor(action);
              await hooks.pre('Delete', user, this.context(action));
              this.preChecked.set(action, user);
            }
            if (isArchived(action) && !(await archiveUser(action, this.ctx)))
              this.ctx.logger.warn(`${action.dn} is gone already: nothing to archive`, { dn: action.dn });
            allowed.add(action);
          } catch (error) {
            this.fail(action, error);
          }
        }),
      ),
    );
    // Back in plan order, as the phase would have run them.
    return actions.filter((action) => allowed.has(action));
  }

  /**
   * An integrator's `doDelete` may keep the entry (move it, say). Whatever it left of this source's user
   * is marked removed, so no later run plans its removal again (SPEC §5).
   */
  private async markKeptEntryRemoved(action: UserAction): Promise<void> {
    const { config, directory, writer, now } = this.ctx;
    const names = attributeNames(config);
    const left = await directory.searchAll(config.ldap.base_dn, {
      scope: 'sub',
      filter: and(sourceUsersFilter(names, config.source_uid), eq(names.recordUid, action.recordUid)),
      attributes: [],
    });
    for (const entry of left) await writer.modify(entry.dn, [removedMark(now, names)]);
  }

  /** Takes the values of users kept in this run (vetoed or failed removals) out of a group's deletions. */
  private keepingMembers(changes: Modification[]): Modification[] {
    if (this.keptMembers.size === 0) return changes;
    const keptUids = new Set(this.keptMembers.values());
    return changes
      .map((change) => {
        if (change.operation !== 'delete' || !MEMBER_ATTRIBUTES.has(change.attribute.toLowerCase()))
          return change;
        const kept =
          change.attribute.toLowerCase() === 'memberuid'
            ? (value: string) => keptUids.has(value.toLowerCase())
            : (value: string) => this.keptMembers.has(normalizeDn(value));
        return { ...change, values: change.values.filter((value) => !kept(value)) };
      })
      .filter((change) => change.values.length > 0);
  }

  private async execute(action: PlanAction): Promise<PlanAction | void> {
    const { userImport, writer } = this.ctx;
    switch (action.kind) {
      case 'create-container':
        try {
          await writer.add(action.dn, action.attributes);
        } catch (error) {
          // Made meanwhile (another run, an admin) or outside what the snapshot looked at: what counts is
          // that it is there.
          if (!isDirectoryError(error, 'already-exists')) throw error;
        }
        return;
      case 'create':
        throw new Error('creates are applied in batches');
      case 'restore':
        await writer.add(action.dn, action.attributes);
        if (action.reservation) {
          try {
            await writer.delete(action.reservation);
          } catch (error) {
            // Gone meanwhile: the username is free for the user all the same.
            if (!isDirectoryError(error, 'no-such-object')) throw error;
          }
        }
        return;
      case 'modify':
        return this.hooked(action, (user, ctx) => userImport.modify(user, ctx));
      case 'move':
        return this.hooked(action, (user, ctx) => userImport.move(user, ctx));
      case 'remove-school':
        return this.hooked(action, (user, ctx) => userImport.removeSchool(user, ctx));
      case 'keep':
        return this.hooked(action, (user, ctx) => userImport.keep(user, ctx));
      case 'warn':
        return this.warn(action);
      case 'lifecycle-mark':
      case 'set-retirement-state':
        await writer.modify(action.dn, action.changes);
        return;
      case 'write-retirement-states':
        if (action.add) await writer.add(action.dn, action.add);
        if (action.replace) await writer.modify(action.dn, action.replace);
        if (action.removeOld !== undefined) await writer.delete(action.removeOld);
        return;
      case 'reactivate':
        await this.hooked(action, (user, ctx) => userImport.reactivate(user, ctx));
        if (action.keptByAdmin.length > 0) {
          // SPEC §4.5: a lock or expiry an admin set by hand stays, and is reported.
          const kept = action.keptByAdmin.join(', ');
          this.ctx.logger.warn(`reactivated ${action.username}, but kept what an admin set: ${kept}`, {
            dn: action.dn,
            recordUid: action.recordUid,
          });
        }
        return;
      case 'deactivate':
        return this.hooked(action, (user, ctx) =>
          action.when === 'now'
            ? userImport.deactivateNow(user, ctx)
            : userImport.setDeactivationGrace(user, parseGeneralizedTime(action.deactivateAt), ctx),
        );
      case 'schedule-deletion':
        return this.hooked(action, (user, ctx) =>
          userImport.setDeletionGrace(user, parseGeneralizedTime(action.purgeAt), ctx),
        );
      case 'delete':
        return this.hooked(action, async (user, ctx) => {
          await userImport.doDelete(user, ctx);
          if (this.customDelete) await this.markKeptEntryRemoved(action);
        });
      case 'create-group': {
        const members =
          action.attributes.member?.filter((member) => !this.missingDns.has(normalizeDn(member))) ?? [];
        if (members.length === 0) return; // its only members could not be created
        try {
          await writer.add(action.dn, { ...action.attributes, member: members });
        } catch (error) {
          if (!isDirectoryError(error, 'already-exists')) throw error;
          // Made meanwhile by another source's run or an admin: a class group is shared, so this source
          // only adds its own members to it.
          await this.addMembers(action.dn, members, action.attributes.memberUid ?? []);
        }
        return;
      }
      case 'modify-group': {
        const changes = this.keepingMembers(action.changes)
          .map((change) =>
            change.operation !== 'add'
              ? change
              : change.attribute === 'member' || change.attribute === 'uniqueMember'
                ? {
                    ...change,
                    values: change.values.filter((member) => !this.missingDns.has(normalizeDn(member))),
                  }
                : change.attribute === 'memberUid'
                  ? { ...change, values: change.values.filter((uid) => !this.missingUids.has(uid)) }
                  : change,
          )
          .filter((change) => change.values.length > 0);
        if (changes.length > 0) await writer.modify(action.dn, changes);
        return;
      }
      case 'change-owner': {
        const change = keepingOwners(action, this.keptMembers);
        if (change.changes.length > 0) await writer.modify(action.dn, change.changes);
        return change;
      }
      case 'delete-group': {
        const kept = action.members.filter((member) => this.keptMembers.has(normalizeDn(member)));
        if (kept.length === 0) {
          await writer.delete(action.dn);
          return;
        }
        // A member stays (its removal was refused or failed): the group stays too, without the others.
        const changes = this.keepingMembers([
          { operation: 'delete', attribute: 'member', values: action.members },
          ...(action.memberUids.length > 0
            ? [{ operation: 'delete' as const, attribute: 'memberUid', values: action.memberUids }]
            : []),
        ]);
        if (changes.length > 0) await writer.modify(action.dn, changes);
        return;
      }
    }
  }

  /**
   * One warning: the mail first, and only once the SMTP server accepted it the marks that say so (SPEC §7).
   * A crash between the two sends it once more on the next run, never zero times; a mail that was not
   * accepted writes nothing, so the user is not warned and not acted on.
   */
  private async warn(action: WarnAction): Promise<void> {
    const { mailer, writer } = this.ctx;
    if (!mailer) throw new Error('a plan that sends warnings needs a mailer');
    // A mail is sent before its marks are written: a run that may no longer write sends none either.
    writer.check();
    const result = await mailer.send({
      dn: action.dn,
      username: action.username,
      rule: action.rule,
      to: action.mail.to,
      subject: action.mail.subject,
      text: action.mail.text,
    });
    if (!result.sent) {
      // Refused for good (a 5xx answer): recorded, so that a rule with `unwarnable: act` treats the user as
      // one who cannot be warned (SPEC §7) once the action's day has come. Until then each run tries again.
      if (result.failure === 'refused' && result.permanent === true && action.refusedChanges !== undefined)
        await writer.modify(action.dn, action.refusedChanges);
      throw new Error(`warning mail to ${action.mail.to} not sent (${result.failure}): ${result.reason}`);
    }
    await writer.modify(action.dn, action.changes);
  }

  /** Adds this source's members to a class group that exists already, as far as the group can hold them. */
  private async addMembers(dn: string, members: string[], memberUids: string[]): Promise<void> {
    const group = await this.ctx.directory.searchOne(dn, ['objectClass', 'member', 'memberUid']);
    if (!group) throw new Error(`group ${dn} was there a moment ago and is gone now`);
    const holds = memberAttributes(group.attributes.objectClass ?? []);
    const current = new Set((group.attributes.member ?? []).map(normalizeDn));
    const currentUids = new Set((group.attributes.memberUid ?? []).map((uid) => uid.toLowerCase()));
    const changes: Modification[] = [];
    const newMembers = members.filter((member) => !current.has(normalizeDn(member)));
    const newUids = memberUids.filter((uid) => !currentUids.has(uid.toLowerCase()));
    if (holds.member && newMembers.length > 0)
      changes.push({ operation: 'add', attribute: 'member', values: newMembers });
    if (holds.memberUid && newUids.length > 0)
      changes.push({ operation: 'add', attribute: 'memberUid', values: newUids });
    if (changes.length > 0) await this.ctx.writer.modify(dn, changes);
  }

  /**
   * New users in batches: passwords are generated, listed in the 0600 passwords file and synced to disk
   * before the adds that use them go out, so a crash never loses a password that is in the directory.
   */
  private async runCreates(creates: CreateUserAction[]): Promise<void> {
    const { config, passwords, rosterPasswords, userImport, hooks } = this.ctx;
    if (!passwords) throw new Error('a plan that creates users needs a passwords file');
    const viaExop = config.password.set_via === 'exop';
    for (let start = 0; start < creates.length; start += CREATE_BATCH) {
      const batch = creates.slice(start, start + CREATE_BATCH);
      if (this.stopping) {
        appendAll(this.result.skipped, creates.slice(start));
        return;
      }
      // pre hooks first, so a vetoed user never gets a password line.
      const allowed: CreateUserAction[] = [];
      await Promise.all(
        batch.map((action) =>
          this.limit(async () => {
            if (this.stopping) {
              this.result.skipped.push(action);
              return;
            }
            try {
              await hooks?.pre('Create', plannedUser(action, config), this.context(action));
              allowed.push(action);
            } catch (error) {
              this.fail(action, error);
            }
          }),
        ),
      );
      const initial = allowed.map((action) => ({
        action,
        password: rosterPasswords?.get(action.recordUid) ?? generatePassword(config.password.length),
      }));
      await passwords.append(
        initial.map(({ action, password }) => ({
          username: action.username,
          recordUid: action.recordUid,
          password,
        })),
      );
      await Promise.all(
        initial.map(({ action, password }) =>
          this.limit(async () => {
            // Its password line is already written: harmless, the next run lists a new one for it.
            if (this.stopping) {
              this.result.skipped.push(action);
              return;
            }
            const user = plannedUser(action, config);
            const ctx = this.context(action);
            try {
              this.ctx.progress?.begin(action);
              if (viaExop) {
                await userImport.create(user, ctx);
                await ctx.writer.passwordModify(action.dn, password);
                // ppolicy drops pwdReset when anyone but the user sets the password, unless the policy
                // has pwdMustChange: mark the user again, as the plan's add says.
                if (action.attributes.pwdReset !== undefined) {
                  await ctx.writer.modify(action.dn, [
                    { operation: 'replace', attribute: 'pwdReset', values: action.attributes.pwdReset },
                  ]);
                }
              } else {
                await userImport.create(user, ctx, await hashPassword(password, config.password.hash));
              }
              this.result.applied.push(action);
              this.ctx.progress?.done(action);
            } catch (error) {
              this.fail(action, error);
              return;
            }
            for (const error of (await hooks?.post('Create', user, ctx)) ?? []) {
              this.result.hookFailures.push({
                kind: action.kind,
                dn: action.dn,
                recordUid: action.recordUid,
                error,
              });
              this.ctx.logger.error(`postCreate hook failed (the change stands): ${error}`, {
                dn: action.dn,
              });
            }
          }),
        ),
      );
    }
  }
}

export function applyPlan(plan: Plan, ctx: ApplyContext): Promise<ApplyResult> {
  return new Applier(ctx).run(plan);
}

/**
 * A dry run writes nothing, but hook modules that declare `dryRun = true` still see every planned user
 * action (with `ctx.dryRun` set), so they can check or report; their vetoes show as failures.
 */
export async function runDryRunHooks(
  plan: Plan,
  ctx: Pick<ApplyContext, 'config' | 'directory' | 'logger' | 'now'> & { hooks: ActionHooks },
): Promise<ApplyFailure[]> {
  const failures: ApplyFailure[] = [];
  // Hooks get a writer as always, one that refuses every write: a dry run writes nothing, and a hook that
  // tries shows as a failure of its user's action.
  const writer = new AuditedWriter(ctx.directory, new NullAuditLog(), () => {
    throw new Error('a dry run writes nothing: the hook asked the writer to write');
  });
  for (const action of plan.actions) {
    if (!isUserAction(action) || !isHooked(action)) continue;
    const user = await currentUser(action, ctx.config, ctx.directory);
    const hookCtx: UserImportContext = {
      action,
      config: ctx.config,
      directory: ctx.directory,
      writer,
      logger: ctx.logger,
      now: ctx.now,
      dryRun: true,
      ...(ctx.config.mail !== undefined ? { mail: DRY_RUN_NOTICES } : {}),
    };
    const event = EVENT_OF[action.kind];
    try {
      await ctx.hooks.pre(event, user, hookCtx);
      for (const error of await ctx.hooks.post(event, user, hookCtx)) {
        failures.push({ kind: action.kind, dn: action.dn, recordUid: action.recordUid, error });
      }
    } catch (error) {
      failures.push({
        kind: action.kind,
        dn: action.dn,
        recordUid: action.recordUid,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }
  for (const veto of failures)
    ctx.logger.error(`a hook would refuse ${veto.kind} of ${veto.dn}: ${veto.error}`);
  return failures;
}
