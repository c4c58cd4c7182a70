import { readFile } from 'node:fs/promises';
import { UsageError } from '../../errors.js';
import { applyJob } from '../../jobs/jobs.js';
import { parsePlan } from '../../plan/read-plan.js';
import { defineCommand } from '../command.js';
import { runJobCommand } from '../job-command.js';
import { configOption, summaryJsonOption } from '../options.js';

export const applyCommand = defineCommand({
  command: 'apply <plan>',
  describe:
    'apply a saved plan (import or purge --plan-out) exactly, once, if the directory has not changed since (else exit 5)',
  builder: (yargs) =>
    yargs
      .positional('plan', {
        type: 'string',
        demandOption: true,
        normalize: true,
        describe: 'the plan file (JSON)',
      })
      .option('config', configOption)
      .option('format', {
        choices: ['table', 'json'] as const,
        describe: 'print the plan in this form as it is applied',
      })
      .option('summary-json', summaryJsonOption),
  run: (args, io) =>
    runJobCommand(args, io, async (runtime) => {
      // Read before the run lock and the connection: a file that is not a plan is a usage error.
      const text = await readFile(args.plan, 'utf8').catch((error: NodeJS.ErrnoException) => {
        throw new UsageError(`${args.plan}: cannot read the plan (${error.code ?? error.message})`);
      });
      return applyJob(runtime, parsePlan(text, args.plan), {
        format: args.format,
        summaryJson: args['summary-json'],
        source: args.plan,
      });
    }),
});
