import { defineCommand } from '../command.js';
import { configOption, dryRunOption, nowOption, summaryJsonOption } from '../options.js';
import { notImplementedYet } from './not-yet.js';

export const purgeCommand = defineCommand({
  command: 'purge',
  describe: "delete this source's users whose purge timestamp has come",
  builder: (yargs) =>
    yargs
      .option('config', configOption)
      .option('dry-run', dryRunOption)
      .option('now', nowOption)
      .option('summary-json', summaryJsonOption),
  run: (args, io) => notImplementedYet('purge', args, io),
});
