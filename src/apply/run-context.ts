/** What an import or purge run is given: the config and clock, where to print, and integrators' code. */
import type { Config } from '../config/index.js';
import type { Logger } from '../logging/index.js';
import type { ActionHooks } from './apply.js';
import type { RetirementStep } from './user-context.js';
import type { UserImport } from './user-import.js';
import type { WriteGuard } from './writer.js';

export interface RunContext {
  config: Config;
  logger: Logger;
  now: Date;
  runId: string;
  /** Who asked for the run when not the service itself (the web console's user DN): on every audit line. */
  actor?: string;
  env: NodeJS.ProcessEnv;
  stdout: NodeJS.WritableStream;
  /** The class that carries out user actions (a subclass from `classes.user_import`). */
  userImport?: UserImport;
  /** Hook modules (`hooks`); `dryRunHooks` are those that declared `dryRun = true`. */
  hooks?: ActionHooks;
  dryRunHooks?: ActionHooks;
  /** Aborted on SIGTERM: the run finishes the users it started and stops. */
  signal?: AbortSignal;
  /** Asked before every write: throws once the run lost its run lock. */
  writeGuard?: WriteGuard;
  /** Retirement steps exported by hook modules (`retirementSteps`), by name. */
  retirementSteps?: ReadonlyMap<string, RetirementStep>;
}
