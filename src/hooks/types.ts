/**
 * Hook modules (SPEC §6): plain ES modules listed under `hooks` that export functions called before
 * and after each user action.
 */
import type { HookEvent } from '../apply/apply.js';
import type { RetirementStep } from '../apply/retirement.js';
import type { ManagedUser, UserImportContext } from '../apply/user-import.js';

/** Every `HookEvent`, as a list: the hook names are made from it. */
export const HOOK_EVENTS: readonly HookEvent[] = ['Create', 'Modify', 'Deactivate', 'Reactivate', 'Delete'];

/**
 * A hook: it gets the user and the same context as the `UserImport` step it runs around (with a
 * directory connection for reading). Its return value is ignored; a `pre` hook that throws stops that
 * user's action.
 */
export type HookFunction = (user: ManagedUser, ctx: UserImportContext) => unknown;

export type HookName = `pre${HookEvent}` | `post${HookEvent}`;

/** Every function name a hook module may export. */
export const HOOK_NAMES: readonly HookName[] = HOOK_EVENTS.flatMap((event): HookName[] => [
  `pre${event}`,
  `post${event}`,
]);

/** What a module listed under `hooks` exports (all optional; at least one hook is required). */
export interface HookModule {
  preCreate?: HookFunction;
  postCreate?: HookFunction;
  preModify?: HookFunction;
  postModify?: HookFunction;
  preDeactivate?: HookFunction;
  postDeactivate?: HookFunction;
  preReactivate?: HookFunction;
  postReactivate?: HookFunction;
  preDelete?: HookFunction;
  postDelete?: HookFunction;
  /** `true` to run in `--dry-run` too (then the hook must not change anything; `ctx.dryRun` is true). */
  dryRun?: boolean;
  /**
   * Retirement steps (SPEC §8): `X` runs in state `RETIRING_X` when `retirement.states` lists it. Each must
   * be idempotent: a run killed during it runs it again.
   */
  retirementSteps?: Record<string, RetirementStep>;
}

/** A hook module as loaded: where it came from, and its exports. */
export interface LoadedHookModule {
  path: string;
  module: HookModule;
}
