import { join } from 'node:path';
import type { Config } from './schema.js';

export interface OutputPaths {
  passwordsFile: string;
  auditLog: string;
  metricsFile: string | undefined;
}

/** The output files, with `output.*` falling back to files in `state_dir`. */
export function outputPaths(config: Config): OutputPaths {
  return {
    passwordsFile: config.output.passwords_file ?? join(config.state_dir, 'passwords.csv'),
    auditLog: config.output.audit_log ?? join(config.state_dir, 'audit.jsonl'),
    metricsFile: config.output.metrics_file,
  };
}
