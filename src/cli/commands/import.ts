import { importJob } from '../../jobs/jobs.js';
import { defineCommand } from '../command.js';
import { configOption, dryRunOption, maxDeletionsOption, nowOption, summaryJsonOption } from '../options.js';
import { runJobCommand } from '../job-command.js';

export const importCommand = defineCommand({
  command: 'import',
  describe: 'read a roster, plan the changes against the directory, and apply them',
  builder: (yargs) =>
    yargs
      .option('config', configOption)
      .option('input', {
        type: 'string',
        describe: 'the roster CSV file',
        normalize: true,
        requiresArg: true,
        demandOption: true,
      })
      .option('school', {
        type: 'string',
        array: true,
        describe: 'limit the import to these schools (repeatable); default: every school',
        requiresArg: true,
      })
      .option('dry-run', dryRunOption)
      .option('now', nowOption)
      .option('max-deletions', maxDeletionsOption)
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
      .option('summary-json', summaryJsonOption)
      .option('full', {
        type: 'boolean',
        default: false,
        describe: 'read and plan every user, even when incremental: true has saved settled users',
      })
      .option('delete', {
        type: 'boolean',
        default: true,
        describe: 'use --no-delete to compute no deactivations or deletions (config: no_delete)',
      }),
  run: (args, io) =>
    runJobCommand(args, io, (runtime) =>
      importJob(runtime, {
        input: args.input,
        schools: args.school ?? [],
        dryRun: args['dry-run'],
        noDelete: !args.delete,
        full: args.full,
        maxDeletions: args['max-deletions'],
        planOut: args['plan-out'],
        format: args.format,
        summaryJson: args['summary-json'],
      }),
    ),
});
