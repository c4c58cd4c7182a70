import { defineCommand } from '../command.js';
import { configOption } from '../options.js';
import { notImplementedYet } from './not-yet.js';

export const statusCommand = defineCommand({
  command: 'status',
  describe: 'show the last run of each job (time, duration, result) from state_dir',
  builder: (yargs) => yargs.option('config', configOption),
  run: (args, io) => notImplementedYet('status', args, io),
});
