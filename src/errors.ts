/**
 * The program's one error root and its exit codes. It imports nothing, so every folder (config,
 * directory, naming, state, hooks, the jobs) can build on it without a cycle.
 */

/** Exit codes are part of the contract (SPEC §9): scripts and systemd units act on them. */
export const ExitCode = {
  ok: 0,
  failed: 1,
  /** Usage or configuration error. */
  usage: 2,
  safetyLimit: 3,
  locked: 4,
  /** A saved plan no longer matches the directory (SPEC §11): nothing written. */
  stalePlan: 5,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Every error of the program extends this and says which exit code it means. */
export class RostersyncError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode = ExitCode.failed,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Wrong command line: unknown flag, missing argument, unparsable value. */
export class UsageError extends RostersyncError {
  constructor(message: string) {
    super(message, ExitCode.usage);
  }
}

/** The exit code a run that stops on `error` ends with: anything not ours is a plain failure. */
export function exitCodeOf(error: unknown): ExitCode {
  return error instanceof RostersyncError ? error.exitCode : ExitCode.failed;
}
