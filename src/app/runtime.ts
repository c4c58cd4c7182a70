/**
 * What a command or the daemon needs before it works on a directory: the effective config, a logger
 * configured by it, the run's clock and id. Loading it validates everything before any connection is made.
 */
import { resolveNow } from '../clock.js';
import { type Config, loadConfig } from '../config/index.js';
import { createLogger, type Logger, newRunId } from '../logging/index.js';
import type { CliIO } from './io.js';

/** The options every entry point is started with; each parses them its own way, the runtime reads them. */
export interface CommonArgs {
  config?: string | undefined;
  now?: string | undefined;
}

export interface Runtime {
  config: Config;
  /** The files the config was layered from, lowest first. */
  sources: string[];
  logger: Logger;
  now: Date;
  runId: string;
}

export async function loadRuntime(args: CommonArgs, io: CliIO): Promise<Runtime> {
  const configPath = args.config ?? (io.env.ROSTERSYNC_CONFIG || undefined);
  const { config, sources } = await loadConfig({
    ...(configPath !== undefined ? { configPath } : {}),
    env: io.env,
    cwd: io.cwd,
  });
  // A --now without an offset is read in the config's timezone.
  const now = resolveNow(args.now, io.env, config.timezone);
  // The run id names the real run (audit, logs), so it uses the wall clock even when --now replays another day.
  const runId = newRunId();
  const logger = createLogger({
    level: config.output.log_level,
    format: config.output.log_format,
    stream: io.stderr,
  }).child({ runId });
  return { config, sources, logger, now, runId };
}
