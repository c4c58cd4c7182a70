/** `rostersync retirement status|set|populate-states|check` (SPEC §8). */
import { writeLine } from '../../app/io.js';
import { loadRuntime } from '../../app/runtime.js';
import { checkCaFile, readSalts } from '../../config/index.js';
import { connectDirectory } from '../../directory/index.js';
import { DirectoryLayout } from '../../directory/layout.js';
import { ExitCode } from '../../errors.js';
import { populateStatesJob, retirementSetJob } from '../../jobs/jobs.js';
import { checkRetired, readRetiringUsers, type RetiringUser } from '../../retirement/read.js';
import { defineCommand } from '../command.js';
import { runJobCommand } from '../job-command.js';
import { configOption, dryRunOption, nowOption } from '../options.js';

const formatOption = {
  choices: ['table', 'json'] as const,
  default: 'table' as const,
  describe: 'how to print the result',
};

export const retirementStatusCommand = defineCommand({
  command: 'status [users..]',
  describe: 'count the users per retirement state, and list each one not COMPLETE with its time and error',
  builder: (yargs) =>
    yargs
      .positional('users', {
        type: 'string',
        array: true,
        describe: 'usernames or record uids (now or before)',
      })
      .option('config', configOption)
      .option('format', formatOption),
  run: async (args, io) => {
    const { config } = await loadRuntime(args, io);
    await checkCaFile(config);
    const salts = config.retirement.salts_file !== undefined ? await readSalts(config) : [];
    const directory = await connectDirectory(config, io.env);
    let users: RetiringUser[];
    try {
      users = await readRetiringUsers(directory, new DirectoryLayout(config), config, {
        names: args.users ?? [],
        salts,
      });
    } finally {
      await directory.close();
    }
    const counts: Record<string, number> = {};
    for (const user of users) counts[user.state] = (counts[user.state] ?? 0) + 1;
    const open = users.filter((user) => user.state !== 'COMPLETE');
    if (args.format === 'json') {
      writeLine(io.stdout, JSON.stringify({ counts, users: open }, null, 2));
      return ExitCode.ok;
    }
    const lines = ['STATE  COUNT'];
    for (const state of config.retirement.states) if (counts[state]) lines.push(`${state}  ${counts[state]}`);
    for (const [state, count] of Object.entries(counts)) {
      if (!config.retirement.states.includes(state))
        lines.push(`${state}  ${count}  (not in retirement.states)`);
    }
    if (open.length > 0) {
      lines.push('', 'USER  STATE  UPDATED  ERROR');
      for (const user of open) {
        lines.push(`${user.username}  ${user.state}  ${user.updated ?? '-'}  ${user.error ?? ''}`.trimEnd());
      }
    }
    writeLine(io.stdout, users.length === 0 ? 'no users in retirement' : lines.join('\n'));
    return ExitCode.ok;
  },
});

export const retirementSetCommand = defineCommand({
  command: 'set <user> <state>',
  describe: 'move a user to another retirement state (e.g. ERRORED → RETIRING_GROUPS to retry, or ABORTED)',
  builder: (yargs) =>
    yargs
      .positional('user', {
        type: 'string',
        demandOption: true,
        describe: 'username or record uid (now or before)',
      })
      .positional('state', { type: 'string', demandOption: true, describe: 'one of retirement.states' })
      .option('config', configOption)
      .option('dry-run', dryRunOption)
      .option('now', nowOption),
  run: (args, io) =>
    runJobCommand(args, io, (runtime) =>
      retirementSetJob(runtime, {
        user: args.user,
        state: args.state,
        dryRun: args['dry-run'],
        format: undefined,
        planOut: undefined,
        summaryJson: undefined,
      }),
    ),
});

export const retirementPopulateCommand = defineCommand({
  command: 'populate-states',
  describe: 'make the state list kept in the directory equal retirement.states, and print the difference',
  builder: (yargs) => yargs.option('config', configOption).option('dry-run', dryRunOption),
  run: (args, io) =>
    runJobCommand(args, io, (runtime) =>
      populateStatesJob(runtime, {
        dryRun: args['dry-run'],
        format: undefined,
        planOut: undefined,
        summaryJson: undefined,
      }),
    ),
});

export const retirementCheckCommand = defineCommand({
  command: 'check <names..>',
  describe: 'say for each username or e-mail address whether it is retired (NAME: retired | not retired)',
  builder: (yargs) =>
    yargs
      .positional('names', {
        type: 'string',
        array: true,
        demandOption: true,
        describe: 'usernames or addresses',
      })
      .option('config', configOption),
  run: async (args, io) => {
    const { config } = await loadRuntime(args, io);
    await checkCaFile(config);
    const salts = await readSalts(config);
    const directory = await connectDirectory(config, io.env);
    try {
      const retired = await checkRetired(directory, new DirectoryLayout(config), config, salts, args.names);
      for (const [name, isRetired] of retired)
        writeLine(io.stdout, `${name}: ${isRetired ? 'retired' : 'not retired'}`);
    } finally {
      await directory.close();
    }
    return ExitCode.ok;
  },
});
