/**
 * What each planned user action does to the directory. Integrators change what "delete" (or any other
 * step) means by subclassing this class (SPEC §6, seed 002's `do_delete`); the import and the purge act
 * on users only through it.
 */
import { attributeNames, type Config } from '../config/index.js';
import type { UsernameContext } from '../plan/names.js';
import type { RosterRecord } from '../roster/index.js';
import { moveOutChanges } from '../plan/deactivation.js';
import { dnEquals, eq, isDirectoryError, leafRdn, or, parentDn } from '../directory/index.js';
import type {
  CreateUserAction,
  DeactivateAction,
  DeleteUserAction,
  KeepAction,
  ModifyUserAction,
  MoveUserAction,
  ReactivateAction,
  RemoveSchoolAction,
  ScheduleDeletionAction,
} from '../plan/types.js';
import type { ManagedUser, UserImportContext } from './user-context.js';
import { retire } from './retirement.js';

export type { ManagedUser, UserImportContext };

/** What `makeUsername` is handed beside the roster row: the config, the new entry's school, the scheme. */
export interface MakeUsernameContext extends UsernameContext {
  readonly config: Config;
}

export class UserImport {
  /**
   * A new user's username, while the import is planned (dry runs too). The default: the roster's
   * `username` column, else `scheme.username`. An override returns a name of its own (one in use makes the
   * row a problem) or builds on `ctx.fromScheme(template?)`, which gives a free name from a template. It
   * must return the name itself, not a promise, and do nothing else: it runs again while the names it may
   * give are looked up.
   */
  makeUsername(row: RosterRecord, ctx: MakeUsernameContext): string {
    return row.username ?? ctx.fromScheme();
  }

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

  /** `rostersync keep`: the lifecycle warning lifted, the clock restarted (SPEC §7). */
  async keep(user: ManagedUser, ctx: UserImportContext<KeepAction>): Promise<void> {
    await ctx.writer.modify(user.dn, ctx.action.changes);
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
   * Deletes the user — or, with `purge.mode: move`, locks it and moves it to `purge.move_to_dn`. The import
   * and the purge plan the user out of every group that names it before this runs (`sweepReferences:
   * false`); called with an action that did not (`sweepReferences` unset), it looks for such groups itself,
   * so no member value is left pointing at nothing. The username stays reserved when
   * `scheme.reserve_deleted` is on.
   */
  async doDelete(user: ManagedUser, ctx: UserImportContext<DeleteUserAction>): Promise<void> {
    if (ctx.config.purge.mode === 'retire') {
      // Pseudonymised in place, step by step; its names stay taken by their hashes, not by a reservation.
      if (!ctx.retirement)
        throw new Error('purge.mode is retire, but the run has no retirement salts and steps');
      await retire(user, ctx, ctx.retirement);
      return;
    }
    const reservation = ctx.action.reservation;
    if (reservation) {
      try {
        await ctx.writer.add(reservation.dn, reservation.attributes);
      } catch (error) {
        // Left by an interrupted earlier run: the name is reserved already.
        if (!isDirectoryError(error, 'already-exists')) throw error;
      }
    }
    if (ctx.action.sweepReferences !== false) await this.removeGroupReferences(user, ctx);
    if (ctx.config.purge.mode === 'move' && ctx.config.purge.move_to_dn !== undefined) {
      await this.lockAndMove(user, ctx.config.purge.move_to_dn, ctx);
    } else {
      await ctx.writer.delete(user.dn);
    }
  }

  /**
   * Removes every `member`, `uniqueMember` and `memberUid` value under the base DN that names the user. For
   * subclasses and direct callers of `doDelete`: a planned delete has these removals in its plan already.
   */
  protected async removeGroupReferences(user: ManagedUser, ctx: UserImportContext): Promise<void> {
    await removeGroupReferences(user, ctx);
  }

  /**
   * `purge.mode: move`: the entry stays, locked, in a subtree for removed users. The plan creates a missing
   * target before the removals; should it be missing all the same, the user is left as it is.
   */
  protected async lockAndMove(user: ManagedUser, target: string, ctx: UserImportContext): Promise<void> {
    if (!(await ctx.directory.exists(target))) {
      throw new Error(`purge.move_to_dn ${target} does not exist; ${user.dn} is not moved`);
    }
    // Locked, and marked as removed from its source before it moves, so a run killed in between already
    // leaves it out of every later run's scope.
    const changes =
      ctx.action.kind === 'delete' && ctx.action.moveChanges
        ? ctx.action.moveChanges
        : moveOutChanges(ctx.now, attributeNames(ctx.config));
    await ctx.writer.modify(user.dn, changes);
    await ctx.writer.rename(user.dn, leafRdn(user.dn), target);
  }
}

/**
 * Removes every `member`, `uniqueMember` and `memberUid` value under the base DN that names the user (the
 * sweep of `doDelete` and of a retirement's GROUPS step). A group whose last member the user is keeps that
 * value: rostersync does not delete other people's groups.
 */
export async function removeGroupReferences(user: ManagedUser, ctx: UserImportContext): Promise<void> {
  const references = [eq('member', user.dn), eq('uniqueMember', user.dn)];
  if (user.username) references.push(eq('memberUid', user.username));
  const attributes = ['member', 'uniqueMember', 'memberUid'];
  for (const group of await ctx.directory.searchAll(ctx.config.ldap.base_dn, {
    scope: 'sub',
    filter: or(...references),
    attributes,
  })) {
    const changes = [
      { attribute: 'member', value: user.dn },
      { attribute: 'uniqueMember', value: user.dn },
      { attribute: 'memberUid', value: user.username },
    ]
      .filter(({ attribute, value }) => {
        const values = group.attributes[attribute] ?? [];
        return attribute === 'memberUid'
          ? values.includes(value)
          : values.some((current) => dnEquals(current, value));
      })
      .map(({ attribute, value }) => ({ operation: 'delete' as const, attribute, values: [value] }));
    if (changes.length === 0) continue;
    const lastMember = ['member', 'uniqueMember'].some(
      (attribute) =>
        (group.attributes[attribute] ?? []).length === 1 &&
        changes.some((change) => change.attribute === attribute),
    );
    if (lastMember) {
      // A groupOfNames cannot lose its last member; rostersync does not delete other people's groups.
      ctx.logger.warn(`${user.dn} is the last member of ${group.dn}; that reference is left in place`, {
        dn: group.dn,
      });
      continue;
    }
    await ctx.writer.modify(group.dn, changes);
  }
}
