import { ExitCode } from '../../errors.js';
import { type JobRecord, readStatus } from '../../state/status.js';
import { defineCommand } from '../command.js';
import { writeLine } from '../io.js';
import { configOption } from '../options.js';
import { loadRuntime } from '../runtime.js';

export const statusCommand = defineCommand({
  command: 'status',
  describe: 'show the last run of each job (time, duration, result) from state_dir',
  builder: (yargs) =>
    yargs.option('config', configOption).option('format', {
      choices: ['table', 'json'] as const,
      default: 'table' as const,
      describe: 'how to print the runs',
    }),
  run: async (args, io) => {
    const { config } = await loadRuntime(args, io);
    const records = await readStatus(config);
    if (args.format === 'json') {
      writeLine(io.stdout, JSON.stringify(records, null, 2));
      return ExitCode.ok;
    }
    writeLine(io.stdout, renderStatusTable(Object.values(records)));
    return ExitCode.ok;
  },
});

const HEADER = ['JOB', 'LAST RUN', 'DURATION', 'RESULT', 'EXIT', 'COUNTS'] as const;

/** One line per job, columns aligned; the message of a failed run on an indented line below it. */
export function renderStatusTable(records: readonly JobRecord[]): string {
  if (records.length === 0) return 'no runs recorded yet';
  const ordered = [...records].sort((a, b) => (a.job < b.job ? -1 : a.job > b.job ? 1 : 0));
  const rows = ordered.map((record) => [
    record.job,
    record.finishedAt,
    formatDuration(record.durationMs),
    record.result,
    String(record.exitCode),
    formatCounts(record.counts),
  ]);
  const widths = HEADER.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join('  ')
      .trimEnd();
  const out = [line(HEADER)];
  ordered.forEach((record, index) => {
    out.push(line(rows[index] ?? []));
    if (record.message !== undefined && record.result !== 'ok') out.push(`  ${record.message}`);
  });
  return out.join('\n');
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const seconds = ms / 1000;
  if (seconds < 59.95) return `${seconds.toFixed(1)}s`;
  const whole = Math.round(seconds);
  return `${Math.floor(whole / 60)}m${String(whole % 60).padStart(2, '0')}s`;
}

function formatCounts(counts: Record<string, number>): string {
  const parts = Object.entries(counts)
    .filter(([, count]) => count !== 0)
    .map(([kind, count]) => `${kind}=${count}`);
  return parts.length > 0 ? parts.join(' ') : '-';
}
