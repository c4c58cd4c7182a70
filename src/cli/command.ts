/**
 * The shape of one subcommand: yargs parses and validates the flags, then `run` does the work and returns
 * the exit code. Keeping `run` free of yargs makes every command callable from tests and the daemon.
 */
import type { Argv } from 'yargs';
import type { ExitCode } from '../errors.js';
import type { CliIO } from '../app/io.js';

export interface Command<Args> {
  command: string;
  describe: string;
  builder: (yargs: Argv) => Argv<Args>;
  run: (args: Args, io: CliIO) => Promise<ExitCode>;
}

/** Erases the argument type so commands with different flags can sit in one list. */
export function defineCommand<Args>(command: Command<Args>): Command<unknown> {
  return command as Command<unknown>;
}
