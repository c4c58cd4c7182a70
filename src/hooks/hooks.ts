/** Runs the configured hook modules around each user action (SPEC §6). */
import { basename } from 'node:path';
import type { RetirementStep } from '../apply/retirement.js';
import type { ActionHooks, HookEvent } from '../apply/apply.js';
import type { ManagedUser, UserImportContext } from '../apply/user-import.js';
import { RostersyncError } from '../errors.js';
import type { HookFunction, HookName, LoadedHookModule } from './types.js';

/** A `pre` hook refused the action: the user is left as it was and the action counts as an error. */
export class HookVetoError extends RostersyncError {
  constructor(
    readonly hook: HookName,
    /** The module's path, as configured. */
    readonly modulePath: string,
    readonly dn: string,
    cause: unknown,
  ) {
    super(`${hook} hook ${basename(modulePath)} refused ${dn}: ${messageOf(cause)}`, undefined, { cause });
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export class Hooks implements ActionHooks {
  private readonly modules: readonly LoadedHookModule[];

  constructor(modules: readonly LoadedHookModule[] = []) {
    this.modules = [...modules];
  }

  /** How many hook modules are loaded. */
  get size(): number {
    return this.modules.length;
  }

  /** The modules' paths, in the order they run. */
  get paths(): string[] {
    return this.modules.map((loaded) => loaded.path);
  }

  /** The retirement steps the modules export, by name; a later module's step replaces an earlier one's. */
  retirementSteps(): Map<string, RetirementStep> {
    return new Map(this.modules.flatMap((loaded) => Object.entries(loaded.module.retirementSteps ?? {})));
  }

  /** The modules that declare `dryRun = true`: the only ones a dry run calls. */
  forDryRun(): Hooks {
    return new Hooks(this.modules.filter((loaded) => loaded.module.dryRun === true));
  }

  /**
   * Runs every module's `pre<event>` in list order. The first one that throws stops the rest; its
   * error comes back as a {@link HookVetoError} and the caller must not perform the action.
   */
  async pre(event: HookEvent, user: ManagedUser, ctx: UserImportContext): Promise<void> {
    const hook: HookName = `pre${event}`;
    for (const { path, fn } of this.functions(hook)) {
      try {
        await fn(user, ctx);
      } catch (error) {
        throw new HookVetoError(hook, path, user.dn, error);
      }
    }
  }

  /**
   * Runs every module's `post<event>` in list order, each one even if an earlier one failed. The
   * write already happened and stands; the failures come back as messages for the caller to report.
   */
  async post(event: HookEvent, user: ManagedUser, ctx: UserImportContext): Promise<string[]> {
    const hook: HookName = `post${event}`;
    const failures: string[] = [];
    for (const { path, fn } of this.functions(hook)) {
      try {
        await fn(user, ctx);
      } catch (error) {
        failures.push(`${hook} hook ${basename(path)} failed for ${user.dn}: ${messageOf(error)}`);
      }
    }
    return failures;
  }

  private functions(hook: HookName): { path: string; fn: HookFunction }[] {
    const found: { path: string; fn: HookFunction }[] = [];
    for (const { path, module } of this.modules) {
      const fn = module[hook];
      if (typeof fn === 'function') found.push({ path, fn });
    }
    return found;
  }
}
