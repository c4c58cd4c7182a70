import { lifecycleJob } from '../../jobs/jobs.js';
import { defineCommand } from '../command.js';
import { runJobCommand } from '../job-command.js';
import { configOption, dryRunOption, maxDeletionsOption, nowOption, summaryJsonOption } from '../options.js';

export const lifecycleCommand = defineCommand({
  command: 'lifecycle',
  describe: 'run the lifecycle rules: warning mails, deactivation and deletion of inactive accounts',
  builder: (yargs) =>
    yargs
      .option('config', configOption)
      .option('dry-run', dryRunOption)
      .option('now', nowOption)
      .option('rule', {
        type: 'string',
        array: true,
        describe: 'run only this rule (repeatable); default: every rule',
        requiresArg: true,
      })
      .option('format', {
        choices: ['table', 'json', 'ldif'] as const,
        describe: "print the rules' lists and the plan in this form (a dry run prints a table by default)",
      })
      .option('summary-json', summaryJsonOption)
      .option('max-deletions', maxDeletionsOption),
  run: (args, io) =>
    runJobCommand(args, io, (runtime) =>
      lifecycleJob(runtime, {
        rules: args.rule ?? [],
        dryRun: args['dry-run'],
        format: args.format,
        planOut: undefined,
        summaryJson: args['summary-json'],
        maxDeletions: args['max-deletions'],
      }),
    ),
});
