/** Integrators' code: hook modules around each user action and the `classes.user_import` subclass (SPEC §6). */
export { HookVetoError, Hooks } from './hooks.js';
export { type Extensions, loadExtensions } from './load.js';
export {
  HOOK_EVENTS,
  HOOK_NAMES,
  type HookFunction,
  type HookModule,
  type HookName,
  type LoadedHookModule,
} from './types.js';
