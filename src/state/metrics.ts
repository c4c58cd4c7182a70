/**
 * The last run of each job as Prometheus metrics, in the text exposition format that node_exporter's
 * textfile collector reads (https://prometheus.io/docs/instrumenting/exposition_formats/), and the runs
 * refused because another run held the lock.
 */
import type { JobRecord, JobStatus } from './records.js';

interface Family {
  name: string;
  help: string;
  value: (record: JobRecord) => number;
}

const FAMILIES: readonly Family[] = [
  {
    name: 'rostersync_last_run_timestamp_seconds',
    help: 'Unix time the last run of the job finished.',
    value: (record) => Date.parse(record.finishedAt) / 1000,
  },
  {
    name: 'rostersync_last_run_duration_seconds',
    help: 'How long the last run of the job took.',
    value: (record) => record.durationMs / 1000,
  },
  {
    name: 'rostersync_last_run_success',
    help: '1 if the last run of the job succeeded (exit code 0), else 0.',
    value: (record) => (record.result === 'ok' ? 1 : 0),
  },
  {
    name: 'rostersync_last_run_exit_code',
    help: 'Exit code of the last run of the job (0 ok, 1 failed, 2 usage, 3 safety limit, 4 locked, 5 stale plan).',
    value: (record) => record.exitCode,
  },
];

const ACTIONS = {
  name: 'rostersync_last_run_actions',
  help: 'Directory actions of the last run of the job, by action.',
};

const REFUSED = {
  name: 'rostersync_refused_runs_total',
  help: 'Runs of the job refused (exit 4) because another run held the lock.',
};

/** A label value with backslash, double quote and line feed escaped. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** A sample value: Prometheus spells the non-finite ones NaN, +Inf and -Inf. */
export function formatSampleValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

/** A job's labels; a partition's runs (`--school`) carry its schools, so that each is a series of its own. */
function jobLabels(status: {
  job: string;
  sourceUid: string;
  schools?: readonly string[];
}): [string, string][] {
  return [
    ['job', status.job],
    ['source', status.sourceUid],
    ...(status.schools !== undefined && status.schools.length > 0
      ? [['schools', status.schools.join(',')] as [string, string]]
      : []),
  ];
}

function labels(pairs: [string, string][]): string {
  return `{${pairs.map(([name, value]) => `${name}="${escapeLabelValue(value)}"`).join(',')}}`;
}

/** Records in a stable order (source, job, partition), so the file only changes when a value does. */
function sorted<T extends { sourceUid: string; job: string; schools?: readonly string[] }>(
  records: readonly T[],
): T[] {
  const partition = (record: T) => record.schools?.join(',') ?? '';
  return [...records].sort(
    (a, b) =>
      compare(a.sourceUid, b.sourceUid) || compare(a.job, b.job) || compare(partition(a), partition(b)),
  );
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The metrics file for these jobs; empty when there are none. The last-run families are gauges of the
 * jobs that have finished a run; the refused runs are a counter, written once a job has any.
 */
export function renderMetrics(statuses: readonly JobStatus[]): string {
  const ordered = sorted(statuses.filter(hasFinishedRun));
  const refused = sorted(statuses).filter((status) => (status.refused?.count ?? 0) > 0);
  if (ordered.length === 0 && refused.length === 0) return '';
  const lines: string[] = [];
  if (ordered.length > 0) lines.push(...lastRunLines(ordered));
  if (refused.length > 0) {
    lines.push(`# HELP ${REFUSED.name} ${REFUSED.help}`, `# TYPE ${REFUSED.name} counter`);
    for (const status of refused) {
      const set = labels(jobLabels(status));
      lines.push(`${REFUSED.name}${set} ${formatSampleValue(status.refused?.count ?? 0)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** A job that has finished a run carries all of that run's fields (status.ts writes them together). */
function hasFinishedRun(status: JobStatus): status is JobStatus & JobRecord {
  return (
    status.startedAt !== undefined &&
    status.finishedAt !== undefined &&
    status.durationMs !== undefined &&
    status.exitCode !== undefined &&
    status.result !== undefined &&
    status.counts !== undefined
  );
}

function lastRunLines(ordered: readonly JobRecord[]): string[] {
  const lines: string[] = [];
  for (const family of FAMILIES) {
    lines.push(`# HELP ${family.name} ${family.help}`, `# TYPE ${family.name} gauge`);
    for (const record of ordered) {
      const base = labels(jobLabels(record));
      lines.push(`${family.name}${base} ${formatSampleValue(family.value(record))}`);
    }
  }
  const actionLines: string[] = [];
  for (const record of ordered) {
    for (const action of Object.keys(record.counts).sort(compare)) {
      const value = record.counts[action] ?? 0;
      const set = labels([...jobLabels(record), ['action', action]]);
      actionLines.push(`${ACTIONS.name}${set} ${formatSampleValue(value)}`);
    }
  }
  if (actionLines.length > 0) {
    lines.push(`# HELP ${ACTIONS.name} ${ACTIONS.help}`, `# TYPE ${ACTIONS.name} gauge`, ...actionLines);
  }
  return lines;
}
