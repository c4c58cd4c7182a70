/**
 * The package's public API, for integrators: subclass `UserImport` to change what a user action does
 * (SPEC §6), and the types of the plan and the config it works with.
 */
export {
  type MakeUsernameContext,
  type ManagedUser,
  UserImport,
  type UserImportContext,
} from './apply/user-import.js';
export type { RosterRecord } from './roster/index.js';
import type { UserImportContext } from './apply/user-import.js';
/** @deprecated The same as `UserImportContext`, which hooks and `UserImport` methods both receive. */
export type HookContext = UserImportContext;
export type { HookEvent } from './apply/apply.js';
export type { AuditedWriter } from './apply/writer.js';
export type { Config } from './config/index.js';
export type { Modification } from './directory/index.js';
export type * from './plan/types.js';
export { type HookFunction, type HookModule, Hooks, HookVetoError } from './hooks/index.js';
export { renderSchema } from './schema/index.js';
