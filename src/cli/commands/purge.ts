import { checkCaFile } from '../../config/index.js';
import { purgeJob } from '../../jobs/jobs.js';
import { defineCommand } from '../command.js';
import { configOption, dryRunOption, nowOption, summaryJsonOption } from '../options.js';
import { loadRuntime } from '../../app/runtime.js';
import { stopOnSignals } from '../stop-signal.js';

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
    // Before the run lock and the connection: an unreadable CA file is a config error.
    await checkCaFile(runtime.config);
    const stopping = stopOnSignals();
    try {
      const outcome = await purgeJob(
        { ...runtime, env: io.env, stdout: io.stdout, signal: stopping.signal },
        { dryRun: args['dry-run'], format: args.format, summaryJson: args['summary-json'] },
      );
      return outcome.exitCode;
    } finally {
      stopping.dispose();
      await runtime.logger.flush();
    }
  },
});
