import { defineCommand } from '../command.js';
import { configOption, dryRunOption, nowOption } from '../options.js';
import { notImplementedYet } from './not-yet.js';

export const lifecycleCommand = defineCommand({
  command: 'lifecycle',
  describe: 'run the lifecycle rules: warning mails, deactivation and deletion of inactive accounts',
  builder: (yargs) =>
    yargs.option('config', configOption).option('dry-run', dryRunOption).option('now', nowOption),
  run: (args, io) => notImplementedYet('lifecycle', args, io),
});
