/** Options several commands share, declared once so their names and help text stay identical. */
import type { Options } from 'yargs';
import { parseMaxDeletions } from '../config/index.js';
import { UsageError } from '../errors.js';

export const configOption = {
  type: 'string',
  describe: 'config file (YAML or JSON); default /etc/rostersync/rostersync.yaml',
  normalize: true,
  requiresArg: true,
} satisfies Options;

export const nowOption = {
  type: 'string',
  describe: 'treat this ISO-8601 instant as now for every date computation (env ROSTERSYNC_NOW)',
  requiresArg: true,
} satisfies Options;

export const dryRunOption = {
  type: 'boolean',
  describe: 'print what would change and write nothing',
  default: false,
} satisfies Options;

export const summaryJsonOption = {
  type: 'string',
  describe: 'also write the run summary as JSON to this file',
  normalize: true,
  requiresArg: true,
} satisfies Options;

export const maxDeletionsOption = {
  type: 'string',
  describe: 'override safety.max_deletions for this run: a count N or N%',
  requiresArg: true,
  coerce: (value: string) => {
    const parsed = parseMaxDeletions(value);
    if (!parsed)
      throw new UsageError(`--max-deletions: expected a count N or a percentage N%, got '${value}'`);
    return parsed;
  },
} satisfies Options;
