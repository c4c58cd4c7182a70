/**
 * What each planned user action does to the directory. Integrators change what "delete" (or any other
 * step) means by subclassing this class (SPEC §6, seed 002's `do_delete`); the import and the purge act
 * on users only through it.
 */
import type { Config } from '../config/index.js';
import { isDirectoryError, leafRdn, parentDn } from '../directory/index.js';
import type { Logger } from '../logging/index.js';
import type {
  CreateUserAction,
  DeactivateAction,
  DeleteUserAction,
  ModifyUserAction,
  MoveUserAction,
  ReactivateAction,
  RemoveSchoolAction,
  ScheduleDeletionAction,
  UserAction,
} from '../plan/types.js';
import type { AuditedWriter } from './writer.js';

/** The user an action is about. */
export interface ManagedUser {
  dn: string;
  username: string;
  recordUid: string;
  sourceUid: string;
  schools: string[];
  roles: string[];
  attributes: Record<string, string[]>;
}

/** Everything a step may need besides the user. */
export interface UserImportContext<A extends UserAction = UserAction> {
  /** The planned action, with the exact changes the plan printed. */
  action: A;
  config: Config;
  writer: AuditedWriter;
  logger: Logger;
  now: Date;
  dryRun: boolean;
}

export class UserImport {
  /** Adds the new user; `password` is already hashed for the add (or undefined with `set_via: exop`). */
  async create(
    user: ManagedUser,
    ctx: UserImportContext<CreateUserAction>,
    hashedPassword?: string,
  ): Promise<void> {
    const attributes = { ...ctx.action.attributes };
    if (hashedPassword !== undefined) attributes.userPassword = [hashedPassword];
    await ctx.writer.add(user.dn, attributes);
  }

  async modify(user: ManagedUser, ctx: UserImportContext<ModifyUserAction>): Promise<void> {
    await ctx.writer.modify(user.dn, ctx.action.changes);
  }

  async move(user: ManagedUser, ctx: UserImportContext<MoveUserAction>): Promise<void> {
    const newParent = parentDn(ctx.action.newDn) ?? '';
    await ctx.writer.rename(user.dn, leafRdn(ctx.action.newDn), newParent);
  }

  async removeSchool(user: ManagedUser, ctx: UserImportContext<RemoveSchoolAction>): Promise<void> {
    await ctx.writer.modify(user.dn, ctx.action.changes);
  }

  /** Lifts what rostersync's grace period set (lock, expiry, purge timestamp), never an admin's lock. */
  async reactivate(user: ManagedUser, ctx: UserImportContext<ReactivateAction>): Promise<void> {
    await ctx.writer.modify(user.dn, ctx.action.changes);
  }

  /** Grace row 3: locked at once, purged later. */
  async deactivateNow(user: ManagedUser, ctx: UserImportContext<DeactivateAction>): Promise<void> {
    await ctx.writer.modify(user.dn, ctx.action.changes);
  }

  /** Grace row 4: the server refuses logins from `date` on; purged later. */
  async setDeactivationGrace(
    user: ManagedUser,
    _date: Date,
    ctx: UserImportContext<DeactivateAction>,
  ): Promise<void> {
    await ctx.writer.modify(user.dn, ctx.action.changes);
  }

  /** Grace row 2: stays active; the purge deletes it on `date`. */
  async setDeletionGrace(
    user: ManagedUser,
    _date: Date,
    ctx: UserImportContext<ScheduleDeletionAction>,
  ): Promise<void> {
    await ctx.writer.modify(user.dn, ctx.action.changes);
  }

  /**
   * Deletes the user. Group memberships are already gone (the plan removes them first); the username
   * stays reserved when `scheme.reserve_deleted` is on.
   */
  async doDelete(user: ManagedUser, ctx: UserImportContext<DeleteUserAction>): Promise<void> {
    const reservation = ctx.action.reservation;
    if (reservation) {
      try {
        await ctx.writer.add(reservation.dn, reservation.attributes);
      } catch (error) {
        // Left by an interrupted earlier run: the name is reserved already.
        if (!isDirectoryError(error, 'already-exists')) throw error;
      }
    }
    await ctx.writer.delete(user.dn);
  }
}
