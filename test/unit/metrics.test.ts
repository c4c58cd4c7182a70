import { describe, expect, it } from 'vitest';
import { escapeLabelValue, formatSampleValue, renderMetrics } from '../../src/state/metrics.js';
import type { JobRecord } from '../../src/state/status.js';

const importRun: JobRecord = {
  job: 'import',
  sourceUid: 'sis',
  startedAt: '2026-11-23T05:59:48.500Z',
  finishedAt: '2026-11-23T06:00:00.000Z',
  durationMs: 11500,
  exitCode: 0,
  result: 'ok',
  counts: { create: 3, update: 1 },
};

const purgeRun: JobRecord = {
  job: 'purge',
  sourceUid: 'sis',
  startedAt: '2026-11-23T07:00:00.000Z',
  finishedAt: '2026-11-23T07:00:00.250Z',
  durationMs: 250,
  exitCode: 3,
  result: 'safety-limit',
  counts: {},
};

const EXPECTED = `# HELP rostersync_last_run_timestamp_seconds Unix time the last run of the job finished.
# TYPE rostersync_last_run_timestamp_seconds gauge
rostersync_last_run_timestamp_seconds{job="import",source="sis"} 1795413600
rostersync_last_run_timestamp_seconds{job="purge",source="sis"} 1795417200.25
# HELP rostersync_last_run_duration_seconds How long the last run of the job took.
# TYPE rostersync_last_run_duration_seconds gauge
rostersync_last_run_duration_seconds{job="import",source="sis"} 11.5
rostersync_last_run_duration_seconds{job="purge",source="sis"} 0.25
# HELP rostersync_last_run_success 1 if the last run of the job succeeded (exit code 0), else 0.
# TYPE rostersync_last_run_success gauge
rostersync_last_run_success{job="import",source="sis"} 1
rostersync_last_run_success{job="purge",source="sis"} 0
# HELP rostersync_last_run_exit_code Exit code of the last run of the job (0 ok, 1 failed, 2 usage, 3 safety limit, 4 locked, 5 stale plan).
# TYPE rostersync_last_run_exit_code gauge
rostersync_last_run_exit_code{job="import",source="sis"} 0
rostersync_last_run_exit_code{job="purge",source="sis"} 3
# HELP rostersync_last_run_actions Directory actions of the last run of the job, by action.
# TYPE rostersync_last_run_actions gauge
rostersync_last_run_actions{job="import",source="sis",action="create"} 3
rostersync_last_run_actions{job="import",source="sis",action="update"} 1
`;

/**
 * A small parser for the text exposition format (enough of it to check what we write): every line is a
 * HELP or TYPE comment, or a sample `name{label="value",…} number`.
 */
function parseExposition(text: string): { name: string; labels: Record<string, string>; value: number }[] {
  expect(text.endsWith('\n')).toBe(true);
  const samples: { name: string; labels: Record<string, string>; value: number }[] = [];
  const typed = new Set<string>();
  for (const line of text.slice(0, -1).split('\n')) {
    const comment = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$/.exec(line);
    if (comment) {
      if (comment[1] === 'TYPE') {
        expect(comment[3]).toBe('gauge');
        typed.add(comment[2] ?? '');
      }
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)\{(.*)\} (\S+)$/.exec(line);
    expect(sample, line).not.toBeNull();
    const [, name = '', labelText = '', value = ''] = sample ?? [];
    expect(typed.has(name), `${name} has a TYPE line before its samples`).toBe(true);
    const labels: Record<string, string> = {};
    const labelPattern = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/y;
    let match: RegExpExecArray | null;
    let consumed = 0;
    while ((match = labelPattern.exec(labelText)) !== null) {
      labels[match[1] ?? ''] = (match[2] ?? '').replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
      consumed = labelPattern.lastIndex;
    }
    expect(consumed, `labels of ${line} parse to the end`).toBe(labelText.length);
    expect(Number.isNaN(Number(value)) && value !== 'NaN').toBe(false);
    samples.push({ name, labels, value: Number(value) });
  }
  return samples;
}

describe('renderMetrics', () => {
  it('renders the exact textfile for a sample', () => {
    expect(renderMetrics([purgeRun, importRun])).toBe(EXPECTED);
  });

  it('parses line by line as the exposition format', () => {
    const samples = parseExposition(renderMetrics([importRun, purgeRun]));
    expect(samples).toHaveLength(10);
    expect(samples).toContainEqual({
      name: 'rostersync_last_run_actions',
      labels: { job: 'import', source: 'sis', action: 'create' },
      value: 3,
    });
  });

  it('gives each partition of a job (--school) a series of its own, labelled with its schools', () => {
    const partitions: JobRecord[] = [
      { ...importRun, schools: ['rs2'], exitCode: 1, result: 'failed' },
      { ...importRun, schools: ['gym1'] },
    ];
    const samples = parseExposition(renderMetrics([...partitions, importRun])).filter(
      (sample) => sample.name === 'rostersync_last_run_success',
    );
    expect(samples).toEqual([
      { name: 'rostersync_last_run_success', labels: { job: 'import', source: 'sis' }, value: 1 },
      {
        name: 'rostersync_last_run_success',
        labels: { job: 'import', source: 'sis', schools: 'gym1' },
        value: 1,
      },
      {
        name: 'rostersync_last_run_success',
        labels: { job: 'import', source: 'sis', schools: 'rs2' },
        value: 0,
      },
    ]);
  });

  it('escapes backslash, double quote and line feed in label values', () => {
    expect(escapeLabelValue('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd');
    const odd: JobRecord = { ...importRun, sourceUid: 'dist"rict\\1\nx', counts: { 'we"ird': 2 } };
    const text = renderMetrics([odd]);
    expect(text).toContain('rostersync_last_run_success{job="import",source="dist\\"rict\\\\1\\nx"} 1\n');
    const samples = parseExposition(text);
    expect(samples.at(-1)?.labels).toEqual({ job: 'import', source: 'dist"rict\\1\nx', action: 'we"ird' });
  });

  it('writes non-finite values the way Prometheus spells them, and nothing for no records', () => {
    expect(formatSampleValue(Number.NaN)).toBe('NaN');
    expect(formatSampleValue(Infinity)).toBe('+Inf');
    expect(formatSampleValue(-Infinity)).toBe('-Inf');
    expect(renderMetrics([])).toBe('');
  });

  it('leaves out the actions family when no run counted anything', () => {
    const text = renderMetrics([purgeRun]);
    expect(text).not.toContain('rostersync_last_run_actions');
    expect(parseExposition(text)).toHaveLength(4);
  });
});
