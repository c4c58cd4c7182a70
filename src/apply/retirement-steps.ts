/**
 * The built-in retirement steps other than DIRECTORY (in retirement.ts): they reuse what a delete does,
 * so they live beside `UserImport`.
 */
import type { RetirementStep } from './user-context.js';
import { removeGroupReferences } from './user-import.js';

export { builtInSteps } from './retirement.js';

/**
 * ARCHIVE: with `archive.dir`, the archive is written when the delete is applied, before the user's
 * memberships go (the plan takes them out before doDelete runs) and so before this step; a resumed
 * retirement past this step keeps the archive it has. This step marks the point in the states.
 */
export const archiveStep: RetirementStep = () => Promise.resolve();

/** GROUPS: no member, uniqueMember or memberUid value under the base DN names the user any more. */
export const groupsStep: RetirementStep = (user, ctx) => removeGroupReferences(user, ctx);
