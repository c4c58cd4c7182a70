import { keepJob } from '../../jobs/jobs.js';
import { defineCommand } from '../command.js';
import { runJobCommand } from '../job-command.js';
import { configOption, dryRunOption, nowOption, summaryJsonOption } from '../options.js';

export const keepCommand = defineCommand({
  command: 'keep <users..>',
  describe:
    'keep users from the lifecycle rules: lift their warning and restart their clock (USER: username or record uid)',
  builder: (yargs) =>
    yargs
      .positional('users', {
        type: 'string',
        array: true,
        demandOption: true,
        describe: 'usernames or record uids',
      })
      .option('config', configOption)
      .option('dry-run', dryRunOption)
      .option('now', nowOption)
      .option('format', {
        choices: ['table', 'json', 'ldif'] as const,
        describe: 'print the plan in this form (a dry run prints a table by default)',
      })
      .option('summary-json', summaryJsonOption),
  run: (args, io) =>
    runJobCommand(args, io, (runtime) =>
      keepJob(runtime, {
        users: args.users,
        dryRun: args['dry-run'],
        format: args.format,
        planOut: undefined,
        summaryJson: args['summary-json'],
      }),
    ),
});
