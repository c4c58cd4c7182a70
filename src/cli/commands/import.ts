import { UsageError } from '../../errors.js';
import { defineCommand } from '../command.js';
import { configOption, dryRunOption, nowOption, summaryJsonOption } from '../options.js';
import { notImplementedYet } from './not-yet.js';

const MAX_DELETIONS = /^\d+%?$/;

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
      .option('max-deletions', {
        type: 'string',
        describe: 'override safety.max_deletions for this run: a count N or N%',
        requiresArg: true,
        coerce: (value: string) => {
          if (!MAX_DELETIONS.test(value)) {
            throw new UsageError(`--max-deletions: expected a count N or a percentage N%, got '${value}'`);
          }
          return value;
        },
      })
      .option('plan-out', {
        type: 'string',
        describe: 'save the plan as JSON to this file',
        normalize: true,
        requiresArg: true,
      })
      .option('format', {
        choices: ['table', 'json', 'ldif'] as const,
        default: 'table' as const,
        describe: 'how to print the plan',
      })
      .option('summary-json', summaryJsonOption)
      .option('delete', {
        type: 'boolean',
        default: true,
        describe: 'use --no-delete to compute no deactivations or deletions (config: no_delete)',
      }),
  run: (args, io) => notImplementedYet('import', args, io),
});
