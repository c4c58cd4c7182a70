import { checkCaFile, renderEffectiveConfig } from '../../config/index.js';
import { connectDirectory, runPreflight } from '../../directory/index.js';
import { ExitCode } from '../../errors.js';
import { defineCommand } from '../command.js';
import { writeLine } from '../../app/io.js';
import { configOption } from '../options.js';
import { loadRuntime } from '../../app/runtime.js';

export const configCheckCommand = defineCommand({
  command: 'check',
  describe: 'validate the configuration and print the effective config, secrets redacted',
  builder: (yargs) =>
    yargs
      .option('config', configOption)
      .option('format', {
        choices: ['yaml', 'json'] as const,
        default: 'yaml' as const,
        describe: 'how to print the effective config',
      })
      .option('connect', {
        type: 'boolean',
        default: false,
        describe: 'also bind to the directory and check the base DN and the schema',
      }),
  run: async (args, io) => {
    const { config, sources } = await loadRuntime(args, io);
    if (args.format === 'yaml') writeLine(io.stdout, `# effective config from: ${sources.join(' < ')}`);
    writeLine(io.stdout, renderEffectiveConfig(config, args.format));
    if (!args.connect) return ExitCode.ok;

    await checkCaFile(config);
    const directory = await connectDirectory(config, io.env);
    try {
      const checks = await runPreflight(directory, config);
      for (const check of checks)
        writeLine(io.stderr, `${check.ok ? 'ok  ' : 'FAIL'} ${check.name}: ${check.detail}`);
      return checks.every((check) => check.ok) ? ExitCode.ok : ExitCode.failed;
    } finally {
      await directory.close();
    }
  },
});
