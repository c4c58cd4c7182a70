import { ExitCode } from '../../errors.js';
import { defineCommand } from '../command.js';
import { configOption } from '../options.js';

export const daemonCommand = defineCommand({
  command: 'daemon',
  describe:
    'run the purge, the lifecycle rules and imports on the schedules in daemon.schedules until SIGTERM',
  builder: (yargs) => yargs.option('config', configOption),
  run: async (args, io) => {
    // Loaded when it runs: the daemon brings every job and the scheduler with it.
    const { Daemon } = await import('../../daemon/daemon.js');
    const daemon = await Daemon.start(args, io);
    const stop = (signal: string) => () => void daemon.stop(signal);
    const reload = () => void daemon.reload();
    process.on('SIGTERM', stop('SIGTERM'));
    process.on('SIGINT', stop('SIGINT'));
    process.on('SIGHUP', reload);
    try {
      await daemon.stopped;
    } finally {
      process.off('SIGHUP', reload);
    }
    return ExitCode.ok;
  },
});
