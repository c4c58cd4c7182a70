/**
 * The one path a planned job takes: connect, plan, show and save the plan, check it (problems, the safety
 * limit), then the dry run or the apply, then the summary and the exit code. The import and the purge plug
 * into it with their own reading and planning; a new job is one more `JobSteps`.
 */
import { outputPaths, readSalts } from '../config/index.js';
import { archiveStep, builtInSteps, groupsStep } from '../apply/retirement-steps.js';
import type { RetirementRuntime } from '../apply/user-context.js';
import { connectDirectory, type Directory } from '../directory/index.js';
import { ExitCode } from '../errors.js';
import { AuditLog, type AuditSink } from '../logging/index.js';
import { type Mailer, readSmtpPassword, RunNotices, SmtpMailer } from '../mail/index.js';
import { writePrivateFile } from '../output/private-file.js';
import { PasswordsFile } from '../passwords/index.js';
import { renderPlanLdif } from '../plan/render-ldif.js';
import { renderPlanJson, renderPlanTable } from '../plan/render-table.js';
import type { Plan } from '../plan/types.js';
import { applyPlan, type ApplyProgress, type ApplyResult, runDryRunHooks } from '../apply/apply.js';
import type { RunContext } from '../apply/run-context.js';
import { buildSummary, type RunSummary, summaryLine } from '../apply/summary.js';
import { UserImport } from '../apply/user-import.js';
import { AuditedWriter } from '../apply/writer.js';
import { ArchiveWriter } from '../archive/index.js';

export type PlanFormat = 'table' | 'json' | 'ldif';

export interface PlannedRunOptions {
  dryRun: boolean;
  /** How to print the plan; a dry run prints a table when none is given, a real run prints none. */
  format: PlanFormat | undefined;
  planOut: string | undefined;
  summaryJson: string | undefined;
}

export interface RunOutcome<P extends Plan> {
  exitCode: ExitCode;
  plan: P | undefined;
  result: ApplyResult | undefined;
  summary: RunSummary;
}

/** What the summary says the run read (the roster's path, or the job's name) and its `--school`s. */
export interface RunInput {
  input: string;
  schools: string[];
}

/** What a job brings to the path: how it reads and plans, and what is its own. */
export interface JobSteps<P extends Plan> {
  /** Reads what the plan needs through `directory` and makes the plan. */
  plan(directory: Directory): Promise<P>;
  /** How many of the plan's first problems were logged before planning (the roster's), not to log twice. */
  problemsLogged?: number;
  /**
   * Whether more problems than `tolerate_errors` stop the run before anything is written (the import:
   * they are about its input), or only make it exit 1 once the rest is done (the purge: each is one
   * user that stays).
   */
  problemsStopTheRun: boolean;
  /** The job's own notes for the log once planned (the purge names the users it skips). */
  report?(plan: P): void;
  /** Initial passwords from the roster, by record uid: the plan creates users. */
  rosterPasswords?: ReadonlyMap<string, string>;
  /** The mailer for the plan's warnings (opened only when it has some), recording to the run's audit log. */
  openMailer?(audit: AuditSink): Mailer;
  /** Told of each action as it is sent and done (a held plan's journal). */
  progress?: ApplyProgress;
}

export class PlannedRun<P extends Plan> {
  private readonly started = Date.now();

  constructor(
    private readonly runtime: RunContext,
    private readonly job: P['job'],
    private readonly options: PlannedRunOptions,
    private readonly input: RunInput,
  ) {}

  /** Ends the run: the summary to the log (and `--summary-json`), and the outcome. */
  async finish(exitCode: ExitCode, plan?: P, result?: ApplyResult): Promise<RunOutcome<P>> {
    const { config, logger, now, runId } = this.runtime;
    const summary = buildSummary({
      job: this.job,
      runId,
      config,
      now,
      options: { ...this.input, dryRun: this.options.dryRun },
      plan,
      result,
      exitCode,
      started: this.started,
    });
    const log = exitCode === ExitCode.ok ? logger.info.bind(logger) : logger.error.bind(logger);
    log(summaryLine(summary), { exitCode, counts: summary.totals });
    if (this.options.summaryJson)
      await writePrivateFile(this.options.summaryJson, `${JSON.stringify(summary, null, 2)}\n`, logger);
    return { exitCode, plan, result, summary };
  }

  async run(steps: JobSteps<P>): Promise<RunOutcome<P>> {
    const { config, env } = this.runtime;
    const directory = await connectDirectory(config, env);
    try {
      return await this.planAndApply(directory, steps);
    } finally {
      await directory.close();
    }
  }

  private async planAndApply(directory: Directory, steps: JobSteps<P>): Promise<RunOutcome<P>> {
    const { config, logger, now, stdout } = this.runtime;
    const { options } = this;
    const tolerated = config.tolerate_errors;
    const plan = await steps.plan(directory);
    steps.report?.(plan);
    for (const problem of plan.problems.slice(steps.problemsLogged ?? 0)) {
      logger.warn(
        `${problem.where}: ${problem.message}`,
        problem.recordUid ? { recordUid: problem.recordUid } : {},
      );
    }

    const format = options.format ?? (options.dryRun ? 'table' : undefined);
    if (format) stdout.write(renderPlan(plan, format));
    if (options.planOut) await writePrivateFile(options.planOut, renderPlanJson(plan), logger);

    // A user the plan keeps as it is stops nothing else; a problem with the job's input stops it all.
    const stopping = plan.problems.filter((problem) => problem.userKept !== true).length;
    if (steps.problemsStopTheRun && stopping > tolerated) {
      logger.error(`${stopping} problems, tolerate_errors is ${tolerated}; nothing is written`);
      return this.finish(ExitCode.failed, plan);
    }
    if ((plan.job === 'import' || plan.job === 'lifecycle') && plan.safety.exceeded) {
      const { removals, inScope, limit, setting } = plan.safety;
      logger.error(
        `safety limit: the plan would remove ${removals} of ${inScope} in-scope users, more than ${limit} (${setting}); nothing is written${plan.job === 'lifecycle' ? ' and no mail is sent' : ''}`,
      );
      return this.finish(ExitCode.safetyLimit, plan);
    }
    if (options.dryRun) {
      const { dryRunHooks } = this.runtime;
      const vetoes = dryRunHooks
        ? await runDryRunHooks(plan, { config, directory, logger, now, hooks: dryRunHooks })
        : [];
      const errors = plan.problems.length + vetoes.length;
      return this.finish(errors > tolerated ? ExitCode.failed : ExitCode.ok, plan);
    }

    // A large plan leaves the planning's garbage behind, on which V8 would let old space grow further during
    // the writes: one full collection now sizes that growth from what the apply holds (the installed
    // command's #! line exposes `gc`; started otherwise, this is skipped).
    if (plan.actions.length >= LARGE_PLAN) collectGarbage?.();
    const result = await this.apply(directory, plan, steps);
    if (result.interrupted) {
      logger.error(`stopped before ${result.skipped.length} actions; the next run completes them`);
      return this.finish(ExitCode.failed, plan, result);
    }
    const errors = plan.problems.length + result.failed.length;
    // A warning that could not be sent fails the run whatever `tolerate_errors` says (SPEC §7).
    const unsent = result.failed.some((failure) => failure.kind === 'warn');
    return this.finish(errors > tolerated || unsent ? ExitCode.failed : ExitCode.ok, plan, result);
  }

  /** `ctx.mail` for integrators' code, when `mail.*` says where to send; opened on its first message. */
  private notices(audit: AuditSink): RunNotices | undefined {
    const mail = this.runtime.config.mail;
    if (mail === undefined) return undefined;
    return new RunNotices(async () => {
      const password = await readSmtpPassword(mail);
      return new SmtpMailer(mail, audit, password === undefined ? {} : { password });
    });
  }

  /** The audit log for every run that writes; the passwords file only when the plan creates users. */
  private async apply(directory: Directory, plan: P, steps: JobSteps<P>): Promise<ApplyResult> {
    const { config, logger, now, runId } = this.runtime;
    const paths = outputPaths(config);
    const { actor } = this.runtime;
    const audit = await AuditLog.open(paths.auditLog, runId, { logger, ...(actor ? { actor } : {}) });
    const creates = plan.actions.some((action) => action.kind === 'create');
    const passwords = creates ? await PasswordsFile.open(paths.passwordsFile, { runId, logger }) : undefined;
    const warns = plan.actions.some((action) => action.kind === 'warn');
    const mailer = warns ? steps.openMailer?.(audit) : undefined;
    const deletes = plan.actions.some((action) => action.kind === 'delete');
    const retirement =
      deletes && config.purge.mode === 'retire' ? await retirementRuntime(this.runtime) : undefined;
    const archives = plan.actions.some((action) => action.kind === 'delete' && action.archive !== undefined);
    const notices = this.notices(audit);
    try {
      return await applyPlan(plan, {
        config,
        directory,
        ...(this.runtime.hooks ? { hooks: this.runtime.hooks } : {}),
        ...(this.runtime.signal ? { signal: this.runtime.signal } : {}),
        writer: new AuditedWriter(directory, audit, this.runtime.writeGuard),
        ...(archives ? { archive: new ArchiveWriter(audit) } : {}),
        userImport: this.runtime.userImport ?? new UserImport(),
        logger,
        now,
        ...(passwords ? { passwords } : {}),
        ...(steps.rosterPasswords ? { rosterPasswords: steps.rosterPasswords } : {}),
        ...(mailer ? { mailer } : {}),
        ...(notices ? { notices } : {}),
        ...(retirement ? { retirement } : {}),
        ...(steps.progress ? { progress: steps.progress } : {}),
      });
    } finally {
      await notices?.close();
      await mailer?.close();
      await passwords?.close();
      await audit.close();
    }
  }
}

/** From this many actions a plan's garbage is collected before its writes (see `run`). */
const LARGE_PLAN = 10_000;
const collectGarbage = (globalThis as { gc?: () => void }).gc;

/** The salts and the steps of a retirement: the built-in ones, and those of hook modules. */
async function retirementRuntime(runtime: RunContext): Promise<RetirementRuntime> {
  const salts = await readSalts(runtime.config);
  const steps = builtInSteps(salts, { archive: archiveStep, groups: groupsStep });
  for (const [name, step] of runtime.retirementSteps ?? []) steps.set(name, step);
  return { salts, steps };
}

export function renderPlan(plan: Plan, format: PlanFormat): string {
  if (format === 'json') return renderPlanJson(plan);
  if (format === 'ldif') return renderPlanLdif(plan);
  return renderPlanTable(plan);
}
