/**
 * `rostersync daemon`: runs the purge, the lifecycle rules (and, if configured, the import of
 * `daemon.import_input`) on the cron schedules in `daemon.schedules`, in the configured time zone. A
 * lifecycle rule with its own `schedule` runs alone on it; `daemon.schedules.lifecycle` runs the others. One run at a time: a slot that comes
 * while a run is still going is skipped and logged. SIGTERM/SIGINT let the current run finish the users it
 * has started, then the daemon exits 0; SIGHUP reloads the config, keeping the old one if the new one is bad.
 */
import { type ScheduledTask, schedule } from 'node-cron';
import type { CliIO } from '../app/io.js';
import { type CommonArgs, loadRuntime, type Runtime } from '../app/runtime.js';
import { resolveNow } from '../clock.js';
import { importJob, lifecycleJob, purgeJob } from '../jobs/jobs.js';
import { newRunId } from '../logging/index.js';
import { LockedError } from '../state/lock.js';

export type DaemonJob = 'purge' | 'import' | 'lifecycle';

export class Daemon {
  private runtime!: Runtime;
  private tasks: ScheduledTask[] = [];
  private current: { job: DaemonJob; done: Promise<void>; abort: AbortController } | undefined;
  private stopping = false;
  /** Lifecycle rules whose slot came while another run was going: they run when it ends. */
  private readonly waitingRules = new Set<string>();
  private resolveStopped!: () => void;
  /** Resolves once the daemon has stopped (after `stop()`). */
  readonly stopped = new Promise<void>((resolve) => (this.resolveStopped = resolve));

  private constructor(
    private readonly args: CommonArgs,
    private readonly io: CliIO,
  ) {}

  static async start(args: CommonArgs, io: CliIO): Promise<Daemon> {
    const daemon = new Daemon(args, io);
    daemon.runtime = await loadRuntime(args, io);
    daemon.schedule();
    return daemon;
  }

  get logger() {
    return this.runtime.logger;
  }

  private schedule(): void {
    const { config } = this.runtime;
    const planned: string[] = [];
    const add = (expression: string, name: string, fire: () => void) => {
      this.tasks.push(schedule(expression, fire, { timezone: config.timezone, name: `rostersync-${name}` }));
      planned.push(`${name} at '${expression}'`);
    };
    const ownSchedule = config.lifecycle.rules.filter((rule) => rule.schedule !== undefined);
    for (const [job, expression] of Object.entries(config.daemon.schedules) as [
      DaemonJob,
      string | undefined,
    ][]) {
      if (expression === undefined) continue;
      if (job === 'lifecycle') {
        // The rules without a schedule of their own; none left means nothing to run here.
        const rest = config.lifecycle.rules
          .filter((rule) => rule.schedule === undefined)
          .map((rule) => rule.name);
        if (rest.length === 0) {
          this.logger.warn(
            'daemon.schedules.lifecycle: every lifecycle rule has its own schedule; not scheduled',
          );
          continue;
        }
        add(expression, 'lifecycle', () => void this.fire('lifecycle', rest));
        continue;
      }
      add(expression, job, () => void this.fire(job));
    }
    for (const rule of ownSchedule) {
      add(rule.schedule ?? '', `lifecycle rule ${rule.name}`, () => void this.fire('lifecycle', [rule.name]));
    }
    if (planned.length === 0) this.logger.warn('daemon.schedules is empty: nothing to run');
    else this.logger.info(`daemon scheduled ${planned.join(', ')} (${config.timezone})`);
  }

  private async unschedule(): Promise<void> {
    const tasks = this.tasks;
    this.tasks = [];
    await Promise.all(tasks.map(async (task) => task.destroy()));
  }

  /**
   * A cron slot has come. Returns the run, or undefined when it was not started. `rules`: the lifecycle
   * rules to run (default: every rule).
   */
  fire(job: DaemonJob, rules: readonly string[] = []): Promise<void> | undefined {
    if (this.stopping) return undefined;
    if (this.current) {
      if (job === 'lifecycle' && rules.length > 0) {
        // A rule's own schedule may meet daemon.schedules.lifecycle (both at 02:00 on a Sunday): its rules
        // wait for the run that is going and then run, together, instead of missing their slot.
        for (const rule of rules) this.waitingRules.add(rule);
        this.logger.info(`lifecycle rules ${rules.join(', ')} wait for the ${this.current.job} run`, { job });
        return undefined;
      }
      this.logger.warn(`${job} not started: the ${this.current.job} run is still going`, { job });
      return undefined;
    }
    const abort = new AbortController();
    const done = this.run(job, rules, abort.signal).finally(() => {
      this.current = undefined;
      const waiting = [...this.waitingRules];
      this.waitingRules.clear();
      if (waiting.length > 0) void this.fire('lifecycle', waiting);
    });
    this.current = { job, done, abort };
    return done;
  }

  private async run(job: DaemonJob, rules: readonly string[], signal: AbortSignal): Promise<void> {
    const { config } = this.runtime;
    // Each run has its own id: its log lines carry it, as its audit lines and its status record do.
    const runId = newRunId();
    const logger = this.logger.child({ job, runId });
    const runtime = {
      config,
      logger,
      now: resolveNow(undefined, this.io.env, config.timezone),
      runId,
      env: this.io.env,
      stdout: this.io.stdout,
      signal,
    };
    logger.info(`${job} run started`);
    try {
      if (job === 'purge') {
        await purgeJob(runtime, {
          dryRun: false,
          format: undefined,
          planOut: undefined,
          summaryJson: undefined,
        });
      } else if (job === 'lifecycle') {
        await lifecycleJob(runtime, {
          rules,
          dryRun: false,
          format: undefined,
          planOut: undefined,
          summaryJson: undefined,
          maxDeletions: undefined,
        });
      } else if (job === 'import') {
        const input = config.daemon.import_input;
        if (input === undefined) throw new Error('daemon.import_input is not set');
        await importJob(runtime, {
          input,
          schools: [],
          dryRun: false,
          noDelete: false,
          maxDeletions: undefined,
          planOut: undefined,
          format: undefined,
          summaryJson: undefined,
        });
      }
    } catch (error) {
      if (error instanceof LockedError) {
        // Another run has it, maybe the daemon of another host (active/passive): its turn, not a failure here.
        logger.warn(`${job} run not started: ${error.message}`);
        return;
      }
      // A failed run (unreachable server…) is recorded and logged; the daemon keeps going.
      logger.error(`${job} run failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** SIGHUP: a new config takes effect for the next runs; a bad one is reported and the old one kept. */
  async reload(): Promise<void> {
    let next: Runtime;
    try {
      next = await loadRuntime(this.args, this.io);
    } catch (error) {
      this.logger.error(
        `config reload failed, keeping the running config: ${error instanceof Error ? error.message : String(error)}`,
      );
      return;
    }
    await this.unschedule();
    this.runtime = next;
    this.logger.info('config reloaded');
    if (!this.stopping) this.schedule();
  }

  /** SIGTERM/SIGINT: no new runs; the current one finishes the users it started. */
  async stop(reason: string): Promise<void> {
    if (this.stopping) return this.stopped;
    this.stopping = true;
    this.logger.info(
      `stopping (${reason})${this.current ? `: letting the ${this.current.job} run finish` : ''}`,
    );
    await this.unschedule();
    if (this.current) {
      this.current.abort.abort();
      await this.current.done;
    }
    this.logger.info('daemon stopped');
    await this.logger.flush();
    this.resolveStopped();
    return this.stopped;
  }
}
