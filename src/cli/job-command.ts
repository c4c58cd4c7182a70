/**
 * What every job command does around its job: load the runtime, check the CA file before the lock and the
 * connection (an unreadable one is a config error), stop cleanly on SIGTERM/SIGINT, flush the log.
 */
import { loadRuntime, type CommonArgs } from '../app/runtime.js';
import type { CliIO } from '../app/io.js';
import { checkCaFile } from '../config/index.js';
import type { ExitCode } from '../errors.js';
import type { JobRuntime } from '../jobs/jobs.js';
import { stopOnSignals } from './stop-signal.js';

export async function runJobCommand(
  args: CommonArgs,
  io: CliIO,
  start: (runtime: JobRuntime) => Promise<{ exitCode: ExitCode }>,
): Promise<ExitCode> {
  const runtime = await loadRuntime(args, io);
  await checkCaFile(runtime.config);
  const stopping = stopOnSignals();
  try {
    const outcome = await start({ ...runtime, env: io.env, stdout: io.stdout, signal: stopping.signal });
    return outcome.exitCode;
  } finally {
    stopping.dispose();
    await runtime.logger.flush();
  }
}
