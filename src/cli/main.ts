/**
 * The rostersync command line: yargs parses strictly (an unknown or missing flag is exit 2 naming it), each
 * subcommand's `run` does the work, and every error ends as one clear line and its exit code.
 */
import yargs, { type Argv } from 'yargs';
import { ExitCode, exitCodeOf, UsageError } from '../errors.js';
import type { Command } from './command.js';
import { applyCommand } from './commands/apply.js';
import { archiveRestoreCommand } from './commands/archive-restore.js';
import { configCheckCommand } from './commands/config-check.js';
import { daemonCommand } from './commands/daemon.js';
import { importCommand } from './commands/import.js';
import { keepCommand } from './commands/keep.js';
import { lifecycleCommand } from './commands/lifecycle.js';
import { purgeCommand } from './commands/purge.js';
import {
  retirementCheckCommand,
  retirementPopulateCommand,
  retirementSetCommand,
  retirementStatusCommand,
} from './commands/retirement.js';
import { schemaCommand } from './commands/schema.js';
import { serveCommand } from './commands/serve.js';
import { statusCommand } from './commands/status.js';
import { type CliIO, processIO, writeLine } from '../app/io.js';
import { packageVersion } from '../version.js';

const RETIREMENT_COMMANDS: Command<unknown>[] = [
  retirementStatusCommand,
  retirementSetCommand,
  retirementPopulateCommand,
  retirementCheckCommand,
];

const COMMANDS: Command<unknown>[] = [
  importCommand,
  purgeCommand,
  applyCommand,
  daemonCommand,
  lifecycleCommand,
  keepCommand,
  statusCommand,
  schemaCommand,
  serveCommand,
];

/**
 * yargs lists an unknown `--dry-rnu` twice ("dry-rnu, dryRnu") and without its dashes; name each unknown
 * argument once, as the user typed it: `--dry-rnu`, `-x`, or a stray word as it is.
 */
function unknownArgumentsAsTyped(message: string, argv: readonly string[]): string {
  const match = /^Unknown arguments?: (.*)$/.exec(message);
  if (!match?.[1]) return message;
  const names = match[1].split(', ');
  const typed = names
    .filter(
      (name) => !names.some((other) => other !== name && other.includes('-') && toCamelCase(other) === name),
    )
    .map((name) => asTyped(name, argv));
  return `Unknown argument${typed.length > 1 ? 's' : ''}: ${typed.join(', ')}`;
}

function toCamelCase(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());
}

function asTyped(name: string, argv: readonly string[]): string {
  for (const flag of [`--${name}`, `--no-${name}`]) {
    if (argv.some((token) => token === flag || token.startsWith(`${flag}=`))) return flag;
  }
  const isShortFlag = name.length === 1 && argv.some((token) => /^-[^-]/.test(token) && token.includes(name));
  return isShortFlag ? `-${name}` : name;
}

/** yargs checks required flags before unknown ones; its message for a missing flag. */
const MISSING_REQUIRED = /^Missing required arguments?: /;

/** What one parse found: the exit code of the command that ran, and usage errors held back until the end. */
interface ParseState {
  code: ExitCode;
  /** Missing required flags: reported together with any unknown flag found after them. */
  missing: string[];
}

function throwHeldUsageErrors(state: ParseState): void {
  if (state.missing.length > 0) throw new UsageError(state.missing.join('; '));
}

function register(parser: Argv, command: Command<unknown>, io: CliIO, state: ParseState): Argv {
  return parser.command(command.command, command.describe, command.builder, async (args) => {
    throwHeldUsageErrors(state);
    state.code = await command.run(args, io);
  });
}

export async function run(argv: string[], io: CliIO = processIO()): Promise<ExitCode> {
  const state: ParseState = { code: ExitCode.ok, missing: [] };
  let parser = yargs(argv)
    .scriptName('rostersync')
    .usage('$0 <command> [options]')
    .version(packageVersion())
    .help()
    .alias('h', 'help')
    .strict()
    .demandCommand(1, 'name a command; see rostersync --help')
    .recommendCommands()
    .wrap(Math.min(110, process.stdout.columns ?? 110))
    .exitProcess(false)
    // yargs' own messages ("Unknown argument: x", "Missing required argument: input") say which flag.
    .fail((message, error) => {
      if (error instanceof Error && !(error instanceof UsageError) && message === undefined) throw error;
      if (error instanceof UsageError) throw error;
      const text = unknownArgumentsAsTyped(message ?? String(error), argv);
      // Returning lets yargs go on to its unknown-flag check, so that `import --bogus` names --bogus too.
      if (MISSING_REQUIRED.test(text)) {
        state.missing.push(text);
        return;
      }
      throw new UsageError([text, ...state.missing].join('; '));
    })
    .epilogue(
      'Exit codes: 0 done, 1 failed, 2 usage or config error, 3 safety limit (nothing written), 4 locked, 5 stale or already applied plan (nothing written).',
    );
  for (const command of COMMANDS) parser = register(parser, command, io, state);
  parser = parser.command(
    'retirement',
    'inspect and steer retirements (purge.mode: retire)',
    (retirement) => {
      let sub = retirement
        .demandCommand(1, 'name a retirement subcommand: status, set, populate-states, check')
        .strict();
      for (const command of RETIREMENT_COMMANDS) sub = register(sub, command, io, state);
      return sub;
    },
  );
  parser = parser.command('config', 'inspect the configuration', (config) => {
    let sub = config.demandCommand(1, 'name a config subcommand: check').strict();
    sub = register(sub, configCheckCommand, io, state);
    return sub;
  });
  parser = parser.command('archive', "deleted users' archives (archive.dir)", (archive) =>
    register(
      archive.demandCommand(1, 'name an archive subcommand: restore').strict(),
      archiveRestoreCommand,
      io,
      state,
    ),
  );

  try {
    let output = '';
    await parser.parseAsync(argv, {}, (_error, _argv, text) => {
      output = text;
    });
    // --help and --version print through this callback instead of stdout, so tests can capture them.
    if (output) writeLine(io.stdout, output);
    throwHeldUsageErrors(state);
    return state.code;
  } catch (error) {
    const code = exitCodeOf(error);
    const message = error instanceof Error ? error.message : String(error);
    writeLine(io.stderr, `rostersync: ${message}`);
    if (code === ExitCode.usage && error instanceof UsageError)
      writeLine(io.stderr, 'Run rostersync --help for usage.');
    return code;
  }
}
