/**
 * Exit codes are part of the contract (SPEC §9): scripts and systemd units act on them.
 */
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

/** An error that knows which exit code it means. Module errors (config, directory…) carry `exitCode`. */
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

export function exitCodeOf(error: unknown): ExitCode {
  if (error && typeof error === 'object' && 'exitCode' in error) {
    const code = error.exitCode;
    if (code === 0 || code === 1 || code === 2 || code === 3 || code === 4) return code;
  }
  return ExitCode.failed;
}
