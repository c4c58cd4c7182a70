import { readArchive } from '../../archive/index.js';
import { restoreJob } from '../../jobs/jobs.js';
import { defineCommand } from '../command.js';
import { runJobCommand } from '../job-command.js';
import { configOption, dryRunOption, nowOption, summaryJsonOption } from '../options.js';

export const archiveRestoreCommand = defineCommand({
  command: 'restore <archive>',
  describe:
    'recreate a deleted user from its archive: a new entry, back in its groups, locked until an import reactivates it',
  builder: (yargs) =>
    yargs
      .positional('archive', {
        type: 'string',
        demandOption: true,
        normalize: true,
        describe: 'the archive file (archive.dir/YYYY-MM-DD/USERNAME.ldif)',
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
    runJobCommand(args, io, async (runtime) =>
      restoreJob(runtime, {
        // Read before the run lock and the connection: a file that is not an archive is a usage error.
        archive: await readArchive(args.archive),
        file: args.archive,
        dryRun: args['dry-run'],
        format: args.format,
        planOut: undefined,
        summaryJson: args['summary-json'],
      }),
    ),
});
