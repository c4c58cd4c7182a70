import { loadRuntime } from '../../app/runtime.js';
import { checkCaFile } from '../../config/index.js';
import { ExitCode } from '../../errors.js';
import { defineCommand } from '../command.js';
import { configOption } from '../options.js';

export const serveCommand = defineCommand({
  command: 'serve',
  describe: 'run the web console on console.listen until SIGTERM (sign-in by LDAP bind, see console.*)',
  builder: (yargs) => yargs.option('config', configOption),
  run: async (args, io) => {
    // The console's web server is loaded only when it is asked for: every other command starts faster.
    const { readSessionSecret, startConsole } = await import('../../console/server.js');
    const { config, logger } = await loadRuntime(args, io);
    await checkCaFile(config);
    const sessionSecret = await readSessionSecret(config);
    const running = await startConsole({ config, env: io.env, logger, sessionSecret });
    logger.info(`console listening on ${running.url}`);
    await new Promise<void>((resolve) => {
      const stop = () => {
        process.off('SIGTERM', stop);
        process.off('SIGINT', stop);
        resolve();
      };
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
    });
    await running.close();
    await logger.flush();
    return ExitCode.ok;
  },
});
