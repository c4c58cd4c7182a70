/**
 * Apply: the only place an import writes. Phases run in plan order (containers, removals, updates,
 * creates, groups); within a phase, users go out concurrently up to `ldap.concurrency`, each user's own
 * actions in order. A failure stops that user's remaining actions, is reported, and counts against
 * `tolerate_errors`; everyone else goes on. Two things stop the whole run the same way (`interrupted`):
 * SIGTERM, and a directory that is gone or hung (refused, reset, no answer in time), where every further
 * action would only fail or wait out its own timeout. What was not sent is left for the next run.
 */
import pLimit from 'p-limit';
import type { Config } from '../config/index.js';
import {
  type Directory,
  type DirectoryError,
  isDirectoryError,
  normalizeDn,
  unavailableCause,
} from '../directory/index.js';
import { type Logger, NullAuditLog } from '../logging/index.js';
import { generatePassword, hashPassword, type PasswordsFile } from '../passwords/index.js';
import { parseGeneralizedTime } from '../dates.js';
import type { CreateUserAction, GroupAction, Plan, PlanAction, UserAction } from '../plan/types.js';
import { PHASES } from '../plan/types.js';
import type { ManagedUser, UserImport, UserImportContext } from './user-import.js';
import { AuditedWriter } from './writer.js';

/** The events hook modules can attach to (SPEC §6): `pre<Event>` and `post<Event>`. */
export type HookEvent = 'Create' | 'Modify' | 'Deactivate' | 'Reactivate' | 'Delete';

/** Integrators' hook modules around each user action; a throwing `pre` vetoes that user's action. */
export interface ActionHooks {
  pre(event: HookEvent, user: ManagedUser, ctx: UserImportContext): Promise<void>;
  /** Runs every post hook; returns the failures (the write stands). */
  post(event: HookEvent, user: ManagedUser, ctx: UserImportContext): Promise<string[]>;
}

export const EVENT_OF: Record<UserAction['kind'], HookEvent> = {
  create: 'Create',
  modify: 'Modify',
  move: 'Modify',
  'remove-school': 'Modify',
  'schedule-deletion': 'Modify',
  deactivate: 'Deactivate',
  reactivate: 'Reactivate',
  delete: 'Delete',
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
  /** Initial passwords given in the roster's `password` column, by record uid. */
  rosterPasswords: ReadonlyMap<string, string>;
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
  action.kind !== 'delete-group';

const isGroupAction = (action: PlanAction): action is GroupAction =>
  action.kind === 'create-group' || action.kind === 'modify-group' || action.kind === 'delete-group';

function subjectOf(action: PlanAction): string {
  return isUserAction(action) ? `user:${action.recordUid}` : `dn:${normalizeDn(action.dn)}`;
}

function managedUser(action: UserAction, config: Config): ManagedUser {
  return {
    dn: action.dn,
    username: action.username,
    recordUid: action.recordUid,
    sourceUid: config.source_uid,
    schools: action.school ? [action.school] : [],
    roles: [],
    attributes: action.kind === 'create' ? action.attributes : {},
  };
}

class Applier {
  private readonly result: ApplyResult = {
    applied: [],
    failed: [],
    skipped: [],
    hookFailures: [],
    interrupted: false,
  };
  private readonly failedSubjects = new Set<string>();
  /** The first failure that showed the directory gone or hung; from then on nothing more is sent. */
  private directoryGone: DirectoryError | undefined;
  /** Users that could not be created or moved: they must not be written into groups. */
  private readonly missingDns = new Set<string>();
  private readonly limit: ReturnType<typeof pLimit>;

  constructor(private readonly ctx: ApplyContext) {
    this.limit = pLimit(ctx.config.ldap.concurrency);
  }

  async run(plan: Plan): Promise<ApplyResult> {
    for (const phase of PHASES) {
      const actions = plan.actions.filter((action) => action.phase === phase);
      if (actions.length === 0) continue;
      if (phase === 'containers') {
        // Parents before children: one at a time, in plan order.
        for (const action of actions) await this.runSubject([action]);
      } else if (phase === 'removals') {
        // Group memberships go before the entries they point to.
        await this.runConcurrently(actions.filter(isGroupAction));
        await this.runConcurrently(actions.filter((action) => !isGroupAction(action)));
      } else if (phase === 'creates') {
        await this.runCreates(
          actions.filter((action): action is CreateUserAction => action.kind === 'create'),
        );
      } else {
        await this.runConcurrently(actions);
      }
    }
    return this.result;
  }

  private async runConcurrently(actions: PlanAction[]): Promise<void> {
    const bySubject = new Map<string, PlanAction[]>();
    for (const action of actions) {
      const subject = subjectOf(action);
      bySubject.set(subject, [...(bySubject.get(subject) ?? []), action]);
    }
    await Promise.all([...bySubject.values()].map((group) => this.limit(() => this.runSubject(group))));
  }

  private get stopping(): boolean {
    if (this.ctx.signal?.aborted) this.result.interrupted = true;
    return this.result.interrupted;
  }

  private async runSubject(actions: PlanAction[]): Promise<void> {
    if (this.stopping) {
      this.result.skipped.push(...actions);
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
        await this.execute(action);
        this.result.applied.push(action);
      } catch (error) {
        this.fail(action, error);
      }
    }
  }

  private fail(action: PlanAction, error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    this.failedSubjects.add(subjectOf(action));
    if (action.kind === 'create') this.missingDns.add(normalizeDn(action.dn));
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
    const { config, directory, writer, logger, now } = this.ctx;
    return { action, config, directory, writer, logger, now, dryRun: false };
  }

  /** pre hooks, the action itself, post hooks. A throwing pre hook vetoes the action (an error). */
  private async hooked<A extends UserAction>(
    action: A,
    run: (user: ManagedUser, ctx: UserImportContext<A>) => Promise<void>,
  ): Promise<void> {
    const user = managedUser(action, this.ctx.config);
    const ctx = this.context(action);
    const { hooks } = this.ctx;
    const event = EVENT_OF[action.kind];
    await hooks?.pre(event, user, ctx);
    await run(user, ctx);
    for (const error of (await hooks?.post(event, user, ctx)) ?? []) {
      this.result.hookFailures.push({ kind: action.kind, dn: action.dn, recordUid: action.recordUid, error });
      this.ctx.logger.error(`post${event} hook failed (the change stands): ${error}`, { dn: action.dn });
    }
  }

  private async execute(action: PlanAction): Promise<void> {
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
      case 'modify':
        return this.hooked(action, (user, ctx) => userImport.modify(user, ctx));
      case 'move':
        return this.hooked(action, (user, ctx) => userImport.move(user, ctx));
      case 'remove-school':
        return this.hooked(action, (user, ctx) => userImport.removeSchool(user, ctx));
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
        return this.hooked(action, (user, ctx) => userImport.doDelete(user, ctx));
      case 'create-group': {
        const members =
          action.attributes.member?.filter((member) => !this.missingDns.has(normalizeDn(member))) ?? [];
        if (members.length === 0) return; // its only members could not be created
        await writer.add(action.dn, { ...action.attributes, member: members });
        return;
      }
      case 'modify-group': {
        const changes = action.changes
          .map((change) =>
            change.operation === 'add'
              ? {
                  ...change,
                  values: change.values.filter((member) => !this.missingDns.has(normalizeDn(member))),
                }
              : change,
          )
          .filter((change) => change.values.length > 0);
        if (changes.length > 0) await writer.modify(action.dn, changes);
        return;
      }
      case 'delete-group':
        await writer.delete(action.dn);
        return;
    }
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
        this.result.skipped.push(...creates.slice(start));
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
              await hooks?.pre('Create', managedUser(action, config), this.context(action));
              allowed.push(action);
            } catch (error) {
              this.fail(action, error);
            }
          }),
        ),
      );
      const initial = allowed.map((action) => ({
        action,
        password: rosterPasswords.get(action.recordUid) ?? generatePassword(config.password.length),
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
            const user = managedUser(action, config);
            const ctx = this.context(action);
            try {
              if (viaExop) {
                await userImport.create(user, ctx);
                await ctx.writer.passwordModify(action.dn, password);
              } else {
                await userImport.create(user, ctx, await hashPassword(password, config.password.hash));
              }
              this.result.applied.push(action);
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
  // Hooks get a writer as always; in a dry run nothing it is asked to write is recorded as done.
  const writer = new AuditedWriter(ctx.directory, new NullAuditLog());
  for (const action of plan.actions) {
    if (!isUserAction(action)) continue;
    const user = managedUser(action, ctx.config);
    const hookCtx: UserImportContext = {
      action,
      config: ctx.config,
      directory: ctx.directory,
      writer,
      logger: ctx.logger,
      now: ctx.now,
      dryRun: true,
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
