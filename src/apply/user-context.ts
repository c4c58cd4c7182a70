/**
 * What a user action's step is handed (SPEC §6): the user, and the context of the step. Apart from the
 * `UserImport` class that uses them, so the retirement pipeline can share them without a cycle.
 */
import type { Config } from '../config/index.js';
import type { Directory } from '../directory/index.js';
import type { Logger } from '../logging/index.js';
import type { NoticeMail } from '../mail/index.js';
import type { DeleteUserAction, UserAction } from '../plan/types.js';
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
  /** For reading (a hook archiving the entry, say); every write goes through `writer`. */
  directory: Directory;
  writer: AuditedWriter;
  logger: Logger;
  now: Date;
  dryRun: boolean;
  /**
   * Sends a mail about this user through the run's audited mailer, when `mail.*` is configured (in a dry
   * run it refuses). Resolves once the SMTP server accepted the message, throws when it did not.
   */
  mail?: NoticeMail;
  /** With `purge.mode: retire`: the salts and the steps of a retirement. */
  retirement?: RetirementRuntime;
}

/** A retirement step: gets the user as its entry is now, and the context of the delete it is part of. */
export type RetirementStep = (user: ManagedUser, ctx: UserImportContext<DeleteUserAction>) => Promise<void>;

/** What a run that retires needs: the salts (the newest hashes) and every step by name (`X` of `RETIRING_X`). */
export interface RetirementRuntime {
  salts: readonly string[];
  steps: ReadonlyMap<string, RetirementStep>;
}
