/**
 * The built-in retirement steps other than DIRECTORY (in retirement.ts): they reuse what a delete does,
 * so they live beside `UserImport`.
 */
import type { RetirementStep } from './user-context.js';
import { removeGroupReferences } from './user-import.js';

export { builtInSteps } from './retirement.js';

/**
 * ARCHIVE: the archive of a user is written before its memberships go, when the delete is applied (the
 * plan takes the user out of its groups before doDelete runs); nothing is left to do here.
 */
export const archiveStep: RetirementStep = () => Promise.resolve();

/** GROUPS: no member, uniqueMember or memberUid value under the base DN names the user any more. */
export const groupsStep: RetirementStep = (user, ctx) => removeGroupReferences(user, ctx);
