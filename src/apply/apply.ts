/**
 * Apply: the only place an import writes. Phases run in plan order (containers, removals, updates,
 * creates, groups); within a phase, users go out concurrently up to `ldap.concurrency`, each user's own
 * actions in order. A failure stops that user's remaining actions, is reported, and counts against
 * `tolerate_errors`; everyone else goes on.
 */
import pLimit from 'p-limit';
import type { Config } from '../config/index.js';
import { isDirectoryError, normalizeDn } from '../directory/index.js';
import type { Logger } from '../logging/index.js';
import { generatePassword, hashPassword, type PasswordsFile } from '../passwords/index.js';
import { parseGeneralizedTime } from '../dates.js';
import type { CreateUserAction, GroupAction, Plan, PlanAction, UserAction } from '../plan/types.js';
import { PHASES } from '../plan/types.js';
import type { ManagedUser, UserImport, UserImportContext } from './user-import.js';
import type { AuditedWriter } from './writer.js';

export interface ApplyContext {
  config: Config;
  writer: AuditedWriter;
  userImport: UserImport;
  logger: Logger;
  now: Date;
  passwords: PasswordsFile;
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
  /** Actions not sent because an earlier action of the same user failed. */
  skipped: PlanAction[];
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
  private readonly result: ApplyResult = { applied: [], failed: [], skipped: [] };
  private readonly failedSubjects = new Set<string>();
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

  private async runSubject(actions: PlanAction[]): Promise<void> {
    for (const action of actions) {
      const subject = subjectOf(action);
      if (this.failedSubjects.has(subject)) {
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
  }

  private context<A extends UserAction>(action: A): UserImportContext<A> {
    const { config, writer, logger, now } = this.ctx;
    return { action, config, writer, logger, now, dryRun: false };
  }

  private async execute(action: PlanAction): Promise<void> {
    const { userImport, writer, config } = this.ctx;
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
        return userImport.modify(managedUser(action, config), this.context(action));
      case 'move':
        return userImport.move(managedUser(action, config), this.context(action));
      case 'remove-school':
        return userImport.removeSchool(managedUser(action, config), this.context(action));
      case 'reactivate':
        await userImport.reactivate(managedUser(action, config), this.context(action));
        if (action.keptByAdmin.length > 0) {
          // SPEC §4.5: a lock or expiry an admin set by hand stays, and is reported.
          this.ctx.logger.warn(
            `reactivated ${action.username}, but kept what an admin set: ${action.keptByAdmin.join(', ')}`,
            {
              dn: action.dn,
              recordUid: action.recordUid,
            },
          );
        }
        return;
      case 'deactivate':
        if (action.when === 'now')
          return userImport.deactivateNow(managedUser(action, config), this.context(action));
        return userImport.setDeactivationGrace(
          managedUser(action, config),
          parseGeneralizedTime(action.deactivateAt),
          this.context(action),
        );
      case 'schedule-deletion':
        return userImport.setDeletionGrace(
          managedUser(action, config),
          parseGeneralizedTime(action.purgeAt),
          this.context(action),
        );
      case 'delete':
        return userImport.doDelete(managedUser(action, config), this.context(action));
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
    const { config, passwords, rosterPasswords, userImport } = this.ctx;
    const viaExop = config.password.set_via === 'exop';
    for (let start = 0; start < creates.length; start += CREATE_BATCH) {
      const batch = creates.slice(start, start + CREATE_BATCH);
      const initial = batch.map((action) => ({
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
            try {
              const user = managedUser(action, config);
              const ctx = this.context(action);
              if (viaExop) {
                await userImport.create(user, ctx);
                await ctx.writer.passwordModify(action.dn, password);
              } else {
                await userImport.create(user, ctx, await hashPassword(password, config.password.hash));
              }
              this.result.applied.push(action);
            } catch (error) {
              this.fail(action, error);
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
