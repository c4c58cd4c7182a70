/**
 * The rostersync command line: yargs parses strictly (an unknown or missing flag is exit 2 naming it), each
 * subcommand's `run` does the work, and every error ends as one clear line and its exit code.
 */
import yargs, { type Argv } from 'yargs';
import { ExitCode, exitCodeOf, UsageError } from '../errors.js';
import type { Command } from './command.js';
import { configCheckCommand } from './commands/config-check.js';
import { daemonCommand } from './commands/daemon.js';
import { importCommand } from './commands/import.js';
import { lifecycleCommand } from './commands/lifecycle.js';
import { purgeCommand } from './commands/purge.js';
import { schemaCommand } from './commands/schema.js';
import { statusCommand } from './commands/status.js';
import { type CliIO, processIO, writeLine } from './io.js';
import { packageVersion } from './version.js';

const COMMANDS: Command<unknown>[] = [
  importCommand,
  purgeCommand,
  daemonCommand,
  lifecycleCommand,
  statusCommand,
  schemaCommand,
];

/** yargs lists an unknown `--dry-rnu` twice ("dry-rnu, dryRnu"); name it once, as the user typed it. */
function withoutCamelCaseEchoes(message: string): string {
  const match = /^Unknown arguments?: (.*)$/.exec(message);
  if (!match?.[1]) return message;
  const names = match[1].split(', ');
  const typed = names.filter(
    (name) => !names.some((other) => other !== name && other.includes('-') && toCamelCase(other) === name),
  );
  return `Unknown argument${typed.length > 1 ? 's' : ''}: ${typed.join(', ')}`;
}

function toCamelCase(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());
}

function register(parser: Argv, command: Command<unknown>, io: CliIO, result: { code: ExitCode }): Argv {
  return parser.command(command.command, command.describe, command.builder, async (args) => {
    result.code = await command.run(args, io);
  });
}

export async function run(argv: string[], io: CliIO = processIO()): Promise<ExitCode> {
  const result: { code: ExitCode } = { code: ExitCode.ok };
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
      throw error instanceof UsageError
        ? error
        : new UsageError(withoutCamelCaseEchoes(message ?? String(error)));
    })
    .epilogue(
      'Exit codes: 0 done, 1 failed, 2 usage or config error, 3 safety limit (nothing written), 4 locked.',
    );
  for (const command of COMMANDS) parser = register(parser, command, io, result);
  parser = parser.command('config', 'inspect the configuration', (config) => {
    let sub = config.demandCommand(1, 'name a config subcommand: check').strict();
    sub = register(sub, configCheckCommand, io, result);
    return sub;
  });

  try {
    let output = '';
    await parser.parseAsync(argv, {}, (_error, _argv, text) => {
      output = text;
    });
    // --help and --version print through this callback instead of stdout, so tests can capture them.
    if (output) writeLine(io.stdout, output);
    return result.code;
  } catch (error) {
    const code = exitCodeOf(error);
    const message = error instanceof Error ? error.message : String(error);
    writeLine(io.stderr, `rostersync: ${message}`);
    if (code === ExitCode.usage && error instanceof UsageError)
      writeLine(io.stderr, 'Run rostersync --help for usage.');
    return code;
  }
}
