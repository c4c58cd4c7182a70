import type { Config } from '../../config/index.js';
import { ExitCode } from '../../errors.js';
import { type JobStatus, readStatus, type RunStart, runIsAlive, statusKey } from '../../state/status.js';
import { defineCommand } from '../command.js';
import { writeLine } from '../../app/io.js';
import { configOption } from '../options.js';
import { loadRuntime } from '../../app/runtime.js';

export const statusCommand = defineCommand({
  command: 'status',
  describe:
    'show the last run of each job (time, duration, result), and runs in progress or died, from state_dir',
  builder: (yargs) =>
    yargs.option('config', configOption).option('format', {
      choices: ['table', 'json'] as const,
      default: 'table' as const,
      describe: 'how to print the runs',
    }),
  run: async (args, io) => {
    const { config } = await loadRuntime(args, io);
    const shown = await withRunStates(config, await readStatus(config));
    if (args.format === 'json') {
      writeLine(io.stdout, JSON.stringify(shown, null, 2));
      return ExitCode.ok;
    }
    writeLine(io.stdout, renderStatusTable(Object.values(shown)));
    return ExitCode.ok;
  },
});

/** A job's status as shown: a run recorded as started is `running` while it holds the lock, else `died`. */
export type ShownJobStatus = Omit<JobStatus, 'running'> & { running?: RunStart; died?: RunStart };

async function withRunStates(
  config: Config,
  statuses: Record<string, JobStatus>,
): Promise<Record<string, ShownJobStatus>> {
  const shown: Record<string, ShownJobStatus> = {};
  for (const [job, { running, ...rest }] of Object.entries(statuses)) {
    if (running === undefined) shown[job] = rest;
    else shown[job] = { ...rest, [(await runIsAlive(config, running)) ? 'running' : 'died']: running };
  }
  return shown;
}

const HEADER = ['JOB', 'LAST RUN', 'DURATION', 'RESULT', 'EXIT', 'COUNTS'] as const;

/**
 * One line per job with its last finished run, columns aligned; below it, indented: the message of a
 * failed run, the run in progress or the run that died without a result, and the refused runs.
 */
export function renderStatusTable(records: readonly ShownJobStatus[]): string {
  if (records.length === 0) return 'no runs recorded yet';
  const ordered = [...records].sort((a, b) => {
    const [left, right] = [statusKey(a), statusKey(b)];
    return left < right ? -1 : left > right ? 1 : 0;
  });
  const rows = ordered.map((record) => [
    statusKey(record),
    record.finishedAt ?? '-',
    record.durationMs === undefined ? '-' : formatDuration(record.durationMs),
    record.result ?? '-',
    record.exitCode === undefined ? '-' : String(record.exitCode),
    record.counts === undefined ? '-' : formatCounts(record.counts),
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
    const { running, died, refused } = record;
    if (running)
      out.push(`  running: run ${running.runId} (pid ${running.pid}, started ${running.startedAt})`);
    if (died) {
      out.push(
        `  died: run ${died.runId} (pid ${died.pid}, started ${died.startedAt}) ended without a result`,
      );
    }
    if (refused) {
      const runs = refused.count === 1 ? '1 run' : `${refused.count} runs`;
      out.push(`  refused: ${runs} while another run held the lock, the last at ${refused.lastAt}`);
    }
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
