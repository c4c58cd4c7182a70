/**
 * Retirement as a resumable pipeline (SPEC §8; Open edX's retirement driver): a table of steps run in the
 * order of `retirement.states`. Before and after each step the user's state is written to its entry
 * (`rostersyncRetirementState`, `rostersyncRetirementUpdated`), so a run killed anywhere is resumed by the
 * next purge at the step it was in; steps are idempotent. A step that throws leaves the user `ERRORED` with
 * the message, and the purge does not retry it until an admin sets another state.
 */
import { attributeNames, type AttributeNames } from '../config/index.js';
import { ADMIN_LOCK_TIME, toGeneralizedTime } from '../dates.js';
import { type DirectoryEntry, eq, leafRdn, type Modification, parentDn } from '../directory/index.js';
import { homeDirectory } from '../naming/index.js';
import type { DeleteUserAction } from '../plan/types.js';
import { pseudonymSettings, pseudonymsFor, wipedAttributes } from '../plan/retirement.js';
import type { ManagedUser, RetirementRuntime, RetirementStep, UserImportContext } from './user-context.js';

export type { RetirementRuntime, RetirementStep };

export const RETIRING = 'RETIRING_';
const COMPLETE_SUFFIX = '_COMPLETE';
/** States a purge leaves alone: done, stopped by an admin, or failed until an admin says otherwise. */
export const FINAL_STATES: ReadonlySet<string> = new Set(['COMPLETE', 'ABORTED', 'ERRORED']);

/** The step names of a state list, in order: `RETIRING_ARCHIVE` → `ARCHIVE`. */
export function stepNames(states: readonly string[]): string[] {
  return states.filter((state) => state.startsWith(RETIRING)).map((state) => state.slice(RETIRING.length));
}

/**
 * The steps still to run for a user in `state` (undefined: not in retirement yet): from the step it was in
 * (interrupted: run again), or after the last one it completed.
 */
export function remainingSteps(states: readonly string[], state: string | undefined): string[] {
  const steps = stepNames(states);
  if (state === undefined || state === 'PENDING') return steps;
  if (FINAL_STATES.has(state)) return [];
  if (state.startsWith(RETIRING)) {
    const index = steps.indexOf(state.slice(RETIRING.length));
    return index < 0 ? steps : steps.slice(index);
  }
  if (state.endsWith(COMPLETE_SUFFIX)) {
    const index = steps.indexOf(state.slice(0, -COMPLETE_SUFFIX.length));
    return index < 0 ? steps : steps.slice(index + 1);
  }
  // A state no longer in the list (the list changed): from the start; steps are idempotent.
  return steps;
}

const first = (entry: DirectoryEntry, attribute: string): string | undefined => {
  const wanted = attribute.toLowerCase();
  for (const [name, values] of Object.entries(entry.attributes))
    if (name.toLowerCase() === wanted) return values[0];
  return undefined;
};
const has = (entry: DirectoryEntry, attribute: string): boolean => first(entry, attribute) !== undefined;

/** Runs the remaining steps of one user's retirement; throws (after writing `ERRORED`) when a step fails. */
export async function retire(
  user: ManagedUser,
  ctx: UserImportContext<DeleteUserAction>,
  runtime: RetirementRuntime,
): Promise<void> {
  const names = attributeNames(ctx.config);
  const start = await ctx.directory.searchOne(user.dn, ['entryUUID', names.retirementState]);
  if (!start) throw new Error(`${user.dn} is gone; nothing to retire`);
  const uuid = first(start, 'entryUUID');
  if (uuid === undefined)
    throw new Error(`${user.dn} has no entryUUID; cannot follow it through its retirement`);
  const state = first(start, names.retirementState);
  let dn = user.dn;
  if (state === undefined) await writeState(ctx, dn, 'PENDING', names);

  for (const step of remainingSteps(ctx.config.retirement.states, state)) {
    await writeState(ctx, dn, `${RETIRING}${step}`, names);
    try {
      const run = runtime.steps.get(step);
      if (!run)
        throw new Error(
          `no retirement step '${step}' (retirement.states names it; export it in retirementSteps)`,
        );
      await run({ ...user, dn }, ctx);
      // The DIRECTORY step renames the entry: find it again by its entryUUID.
      dn = (await findByUuid(ctx, uuid)) ?? dn;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      dn = (await findByUuid(ctx, uuid)) ?? dn;
      await writeState(ctx, dn, 'ERRORED', names, message);
      throw new Error(`retirement step ${step} failed: ${message}`, { cause: error });
    }
    await writeState(ctx, dn, `${step}${COMPLETE_SUFFIX}`, names);
  }
  await writeState(ctx, dn, 'COMPLETE', names);
}

async function findByUuid(ctx: UserImportContext, uuid: string): Promise<string | undefined> {
  const [entry] = await ctx.directory.searchAll(ctx.config.ldap.base_dn, {
    scope: 'sub',
    filter: eq('entryUUID', uuid),
    attributes: ['1.1'],
  });
  return entry?.dn;
}

async function writeState(
  ctx: UserImportContext,
  dn: string,
  state: string,
  names: AttributeNames,
  error?: string,
): Promise<void> {
  await ctx.writer.modify(dn, [
    { operation: 'replace', attribute: names.retirementState, values: [state] },
    { operation: 'replace', attribute: names.retirementUpdated, values: [toGeneralizedTime(ctx.now)] },
    // Replacing with no value removes the attribute if it is there, and is no error if it is not.
    { operation: 'replace', attribute: names.retirementError, values: error === undefined ? [] : [error] },
  ]);
}

/**
 * The built-in DIRECTORY step: the names become pseudonyms (hashed with the newest salt), `cn`, `sn` and
 * `displayName` the retired username, the wiped attributes and the password go, the RDN follows the new
 * username, and the entry is locked — again after the password is gone, since OpenLDAP's ppolicy drops
 * `pwdAccountLockedTime` with `userPassword`. A posix entry's `homeDirectory` (which `posixAccount` requires,
 * so it cannot be wiped) is made anew from `posix.home_directory` with the retired username: the old one
 * names the user. Computed from the entry as it is, so it can run twice.
 */
export function directoryStep(salts: readonly string[]): RetirementStep {
  return async (user, ctx) => {
    const salt = salts.at(-1);
    if (salt === undefined) throw new Error('retirement.salts_file holds no salt');
    const names = attributeNames(ctx.config);
    const wipe = wipedAttributes(ctx.config);
    const entry = await ctx.directory.searchOne(user.dn, [
      'uid',
      'mail',
      names.recordUid,
      'cn',
      'sn',
      'displayName',
      'userPassword',
      'homeDirectory',
      ...wipe,
    ]);
    if (!entry) throw new Error(`${user.dn} is gone`);
    const pseudonyms = pseudonymsFor(
      {
        dn: entry.dn,
        username: first(entry, 'uid') ?? user.username,
        email: first(entry, 'mail'),
        recordUid: first(entry, names.recordUid) ?? user.recordUid,
      },
      salt,
      pseudonymSettings(ctx.config),
    );
    const changes: Modification[] = [
      { operation: 'replace', attribute: names.recordUid, values: [pseudonyms.recordUid] },
      { operation: 'replace', attribute: 'cn', values: [pseudonyms.username] },
      { operation: 'replace', attribute: 'sn', values: [pseudonyms.username] },
      { operation: 'replace', attribute: 'displayName', values: [pseudonyms.username] },
    ];
    if (pseudonyms.email !== undefined)
      changes.push({ operation: 'replace', attribute: 'mail', values: [pseudonyms.email] });
    if (has(entry, 'homeDirectory')) {
      const home = homeDirectory(ctx.config.posix.home_directory, pseudonyms.username, user.schools[0] ?? '');
      if (first(entry, 'homeDirectory') !== home)
        changes.push({ operation: 'replace', attribute: 'homeDirectory', values: [home] });
    }
    for (const attribute of [...wipe, 'userPassword']) {
      if (has(entry, attribute)) changes.push({ operation: 'delete', attribute, values: [] });
    }
    await ctx.writer.modify(entry.dn, changes);
    let dn = entry.dn;
    if (leafRdn(entry.dn).toLowerCase() !== leafRdn(pseudonyms.dn).toLowerCase()) {
      // deleteoldrdn: the old uid value goes with the old RDN.
      await ctx.writer.rename(entry.dn, leafRdn(pseudonyms.dn), parentDn(entry.dn) ?? '');
      dn = pseudonyms.dn;
    }
    await ctx.writer.modify(dn, [
      { operation: 'replace', attribute: 'pwdAccountLockedTime', values: [ADMIN_LOCK_TIME] },
      { operation: 'replace', attribute: names.deactivatedTimestamp, values: [toGeneralizedTime(ctx.now)] },
    ]);
  };
}

/** The steps rostersync brings. */
export const BUILT_IN_STEPS = ['ARCHIVE', 'GROUPS', 'DIRECTORY'] as const;

/** The built-in steps; `retirementSteps` of hook modules add to them. */
export function builtInSteps(
  salts: readonly string[],
  parts: { archive: RetirementStep; groups: RetirementStep },
): Map<string, RetirementStep> {
  return new Map([
    ['ARCHIVE', parts.archive],
    ['GROUPS', parts.groups],
    ['DIRECTORY', directoryStep(salts)],
  ]);
}
