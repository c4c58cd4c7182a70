import { ExitCode, RostersyncError } from '../errors.js';

/** One configuration problem: where it came from, which key, and what is wrong. */
export interface ConfigIssue {
  /** The config file's path, `env ROSTERSYNC_X`, or `config` when no single source set the key. */
  source: string;
  /** Dotted key path, e.g. `deletion_grace_period.deletion` or `lifecycle.rules[0].days`; '' for the whole file. */
  path: string;
  message: string;
}

export function formatIssue(issue: ConfigIssue): string {
  return issue.path === ''
    ? `${issue.source}: ${issue.message}`
    : `${issue.source}: ${issue.path}: ${issue.message}`;
}

/** Every problem found in the configuration, reported together (exit 2, SPEC §9). */
export class ConfigError extends RostersyncError {
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    const lines = issues.map(formatIssue);
    const heading =
      issues.length === 1 ? 'invalid configuration:' : `invalid configuration (${issues.length} problems):`;
    super([heading, ...lines.map((line) => `  ${line}`)].join('\n'), ExitCode.usage);
    this.issues = issues;
  }
}

/** `['lifecycle', 'rules', 0, 'days']` → `lifecycle.rules[0].days`. */
export function formatKeyPath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else text += text === '' ? String(segment) : `.${String(segment)}`;
  }
  return text;
}
