import { purgeJob } from '../../jobs/jobs.js';
import { defineCommand } from '../command.js';
import { configOption, dryRunOption, nowOption, summaryJsonOption } from '../options.js';
import { runJobCommand } from '../job-command.js';

export const purgeCommand = defineCommand({
  command: 'purge',
  describe: "delete this source's users whose purge timestamp has come",
  builder: (yargs) =>
    yargs
      .option('config', configOption)
      .option('dry-run', dryRunOption)
      .option('now', nowOption)
      .option('plan-out', {
        type: 'string',
        describe: 'save the plan as JSON to this file',
        normalize: true,
        requiresArg: true,
      })
      .option('format', {
        choices: ['table', 'json', 'ldif'] as const,
        describe: 'print the plan in this form (a dry run prints a table by default)',
      })
      .option('summary-json', summaryJsonOption),
  run: (args, io) =>
    runJobCommand(args, io, (runtime) =>
      purgeJob(runtime, {
        dryRun: args['dry-run'],
        format: args.format,
        planOut: args['plan-out'],
        summaryJson: args['summary-json'],
      }),
    ),
});
