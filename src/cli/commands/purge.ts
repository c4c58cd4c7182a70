import { purgeJob } from '../../jobs/jobs.js';
import { defineCommand } from '../command.js';
import { configOption, dryRunOption, nowOption, summaryJsonOption } from '../options.js';
import { loadRuntime } from '../runtime.js';

export const purgeCommand = defineCommand({
  command: 'purge',
  describe: "delete this source's users whose purge timestamp has come",
  builder: (yargs) =>
    yargs
      .option('config', configOption)
      .option('dry-run', dryRunOption)
      .option('now', nowOption)
      .option('format', {
        choices: ['table', 'json', 'ldif'] as const,
        describe: 'print the plan in this form (a dry run prints a table by default)',
      })
      .option('summary-json', summaryJsonOption),
  run: async (args, io) => {
    const runtime = await loadRuntime(args, io);
    const outcome = await purgeJob(
      { ...runtime, env: io.env, stdout: io.stdout },
      { dryRun: args['dry-run'], format: args.format, summaryJson: args['summary-json'] },
    );
    await runtime.logger.flush();
    return outcome.exitCode;
  },
});
