import { defineCommand } from '../command.js';
import { configOption } from '../options.js';
import { notImplementedYet } from './not-yet.js';

export const daemonCommand = defineCommand({
  command: 'daemon',
  describe: 'run purge, imports and lifecycle rules on the schedules in daemon.schedules',
  builder: (yargs) => yargs.option('config', configOption),
  run: (args, io) => notImplementedYet('daemon', args, io),
});
