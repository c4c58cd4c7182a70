/**
 * What the console shows and does, as plain data: the JSON API returns it as it is and the pages render it.
 * Every write goes through the jobs of the CLI (run lock, status record, audit log), with the signed-in
 * user's DN as the audit lines' actor. A school admin sees and acts only on users of its schools.
 */
import { chmod, open, rm } from 'node:fs/promises';
import { createTask } from 'node-cron';
import { Writable } from 'node:stream';
import { resolveNow } from '../clock.js';
import { attributeNames, type Config, outputPaths } from '../config/index.js';
import { and, connectDirectory, eq, present } from '../directory/index.js';
import { DirectoryLayout } from '../directory/layout.js';
import { ExitCode, exitCodeOf } from '../errors.js';
import {
  applyJob,
  importJob,
  type JobRuntime,
  keepJob,
  lifecycleJob,
  retirementSetJob,
} from '../jobs/jobs.js';
import { type Logger, newRunId } from '../logging/index.js';
import type { LifecycleListed, LifecycleListName } from '../plan/types.js';
import { renderPlan } from '../run/planned-run.js';
import { readRetiringUsers, type RetiringUser } from '../retirement/read.js';
import { LockedError } from '../state/lock.js';
import {
  type JobRecord,
  type JobStatus,
  readRunHistory,
  readStatus,
  runIsAlive,
  statusKey,
} from '../state/status.js';
import { type ConsoleUser, mayActOn } from './auth.js';
import {
  applyErrorMessage,
  applyMessage,
  type HeldImport,
  HeldImports,
  type HeldImportView,
  viewOf,
} from './held-import.js';

export interface ConsoleDeps {
  config: Config;
  env: NodeJS.ProcessEnv;
  logger: Logger;
}

/** How a write went: shown on the page, returned by the API. Exit codes as the CLI's (4: the lock is busy). */
export interface ActionResult {
  ok: boolean;
  exitCode: ExitCode;
  message: string;
}

export interface JobView extends Omit<JobStatus, 'running'> {
  /** A run recorded as started: `running` while it holds the lock, else it died without a result. */
  running?: { runId: string; startedAt: string; alive: boolean };
}

export interface Overview {
  jobs: JobView[];
  schedules: Record<string, string>;
  /** Each schedule's next time (ISO-8601), by the same names as `schedules`. */
  nextRuns: Record<string, string>;
  pending: {
    /** Users warned by a lifecycle rule, not yet acted on. */
    warnings: number;
    /** Users marked for deletion (a purge timestamp) and users a lifecycle rule would act on now. */
    deletions: number;
  };
}

/** A roster received by the new-import page, already stored in the session's place. */
export interface Upload {
  rosterName: string;
  /** The schools chosen; for a school admin, none means its own. */
  schools: string[];
}

export interface ImportView {
  held: HeldImportView | undefined;
  /** The plan as the CLI's dry run prints it. */
  table: string | undefined;
  /** The schools this user may choose. */
  schools: readonly string[] | 'any';
}

/** The lists the lifecycle page shows, in this order. */
export const SHOWN_LISTS = [
  'candidates',
  'warn',
  'warned',
  'ready',
] as const satisfies readonly LifecycleListName[];

export interface ListedUser {
  dn: string;
  username: string;
  recordUid: string;
  /** The day (in `timezone`) of the user's next step on this list: the warning, or the action. */
  nextStep: string | undefined;
  note?: string;
}

export interface RuleView {
  rule: string;
  trigger: string;
  action: string;
  days: number;
  warningDays: number;
  lists: Record<(typeof SHOWN_LISTS)[number], ListedUser[]>;
}

export interface HistoryView {
  jobs: JobView[];
  /** The source's finished runs, newest first, with their counts (`runs.json`). */
  runs: JobRecord[];
  /** The run whose audit lines `audit` holds, when one was asked for. */
  run?: string;
  /** The newest audit lines first (of `run` only, when given). */
  audit: Record<string, unknown>[];
}

/** How much of the audit log's end the history and the retry read. */
const AUDIT_TAIL_BYTES = 512 * 1024;
const HISTORY_LINES = 100;

interface KnownUser {
  dn: string;
  username: string;
  recordUid: string;
  schools: string[];
}

const discard = (): Writable =>
  new Writable({
    write(_chunk, _encoding, done) {
      done();
    },
  });

export class ConsoleService {
  constructor(private readonly deps: ConsoleDeps) {
    this.heldImports = new HeldImports(deps.config);
  }

  /** A job's runtime for one console request: a run id of its own, the user as the audit's actor. */
  private runtime(user: ConsoleUser): JobRuntime {
    const { config, env, logger } = this.deps;
    const runId = newRunId();
    return {
      config,
      env,
      logger: logger.child({ runId, actor: user.dn }),
      // As the daemon's runs: ROSTERSYNC_NOW, when set, is the clock of every run started here.
      now: resolveNow(undefined, env, config.timezone),
      runId,
      stdout: discard(),
      actor: user.dn,
    };
  }

  readonly heldImports: HeldImports;

  async overview(user: ConsoleUser): Promise<Overview> {
    const { config } = this.deps;
    const schedules: Record<string, string> = {};
    for (const [job, cron] of Object.entries(config.daemon.schedules)) if (cron) schedules[job] = cron;
    for (const rule of config.lifecycle.rules)
      if (rule.schedule) schedules[`lifecycle ${rule.name}`] = rule.schedule;
    const nextRuns: Record<string, string> = {};
    for (const [name, expression] of Object.entries(schedules)) {
      const next = nextRun(expression, config.timezone);
      if (next !== undefined) nextRuns[name] = next;
    }
    return { jobs: await this.jobs(), schedules, nextRuns, pending: await this.pending(user) };
  }

  /** The warned users and those due for deletion that `user` may see. */
  private async pending(user: ConsoleUser): Promise<Overview['pending']> {
    const { config, env } = this.deps;
    const names = attributeNames(config);
    const directory = await connectDirectory(config, env);
    let warned: string[];
    let marked: string[];
    try {
      const dns = async (attribute: string) =>
        (
          await directory.searchAll(config.ldap.base_dn, {
            scope: 'sub',
            filter: and(
              eq('objectClass', 'inetOrgPerson'),
              eq(names.sourceUid, config.source_uid),
              present(attribute),
            ),
            attributes: ['1.1'],
          })
        ).map((entry) => entry.dn);
      warned = await dns(names.warningTimestamp);
      marked = await dns(names.purgeTimestamp);
    } finally {
      await directory.close();
    }
    const ready = new Set<string>();
    if (config.lifecycle.rules.length > 0) {
      try {
        for (const rule of await this.lifecycle(user))
          for (const entry of rule.lists.ready) ready.add(entry.dn);
      } catch (error) {
        this.deps.logger.warn('the lifecycle rules could not be planned for the overview', { error });
      }
    }
    const visible = await this.visibility(user);
    const deletions = new Set([
      ...marked.filter(visible).map((dn) => dn.toLowerCase()),
      ...[...ready].map((dn) => dn.toLowerCase()),
    ]);
    return { warnings: warned.filter(visible).length, deletions: deletions.size };
  }

  private async jobs(): Promise<JobView[]> {
    const { config } = this.deps;
    const statuses = await readStatus(config);
    const views: JobView[] = [];
    for (const { running, ...rest } of Object.values(statuses)) {
      views.push(
        running === undefined
          ? rest
          : {
              ...rest,
              running: {
                runId: running.runId,
                startedAt: running.startedAt,
                alive: await runIsAlive(config, running),
              },
            },
      );
    }
    return views.sort((a, b) => statusKey(a).localeCompare(statusKey(b)));
  }

  /** This source's users with their schools, by lower-case DN, username and record uid. */
  private async knownUsers(): Promise<Map<string, KnownUser>> {
    const { config, env } = this.deps;
    const names = attributeNames(config);
    const directory = await connectDirectory(config, env);
    const byKey = new Map<string, KnownUser>();
    try {
      const entries = await directory.searchAll(config.ldap.base_dn, {
        scope: 'sub',
        filter: and(eq('objectClass', 'inetOrgPerson'), eq(names.sourceUid, config.source_uid)),
        attributes: ['uid', names.recordUid, names.school],
      });
      for (const entry of entries) {
        const user: KnownUser = {
          dn: entry.dn,
          username: entry.attributes.uid?.[0] ?? '',
          recordUid: entry.attributes[names.recordUid]?.[0] ?? '',
          schools: entry.attributes[names.school] ?? [],
        };
        byKey.set(`dn:${user.dn.toLowerCase()}`, user);
        if (user.username) byKey.set(`uid:${user.username.toLowerCase()}`, user);
        if (user.recordUid) byKey.set(`record:${user.recordUid}`, user);
      }
    } finally {
      await directory.close();
    }
    return byKey;
  }

  /** Whether `user` may see the entry `dn`; admins of all schools see everything without a lookup. */
  private async visibility(user: ConsoleUser): Promise<(dn: string) => boolean> {
    if (user.schools === 'all') return () => true;
    const known = await this.knownUsers();
    return (dn) => {
      const found = known.get(`dn:${dn.toLowerCase()}`);
      return found !== undefined && mayActOn(user, found.schools);
    };
  }

  /** The rules' lists, from a dry run of the lifecycle job (nothing written, no mail, no lock). */
  async lifecycle(user: ConsoleUser): Promise<RuleView[]> {
    const { config } = this.deps;
    const outcome = await lifecycleJob(this.runtime(user), {
      rules: [],
      dryRun: true,
      format: undefined,
      planOut: undefined,
      summaryJson: undefined,
      maxDeletions: undefined,
    });
    const plan = outcome.plan;
    if (plan === undefined) throw new Error('the lifecycle rules could not be planned; see the log');
    const visible = await this.visibility(user);
    const day = dayFormatter(config.timezone);
    const shown = (listed: LifecycleListed[], next: 'warnOn' | 'actOn'): ListedUser[] =>
      listed
        .filter((entry) => visible(entry.dn))
        .map((entry) => {
          const at = entry[next] ?? entry.actOn;
          return {
            dn: entry.dn,
            username: entry.username,
            recordUid: entry.recordUid,
            nextStep: at === undefined ? undefined : day(at),
            ...(entry.note !== undefined ? { note: entry.note } : {}),
          };
        });
    return plan.rules.map((rule) => ({
      rule: rule.rule,
      trigger: rule.trigger,
      action: rule.action,
      days: rule.days,
      warningDays: rule.warningDays,
      lists: {
        candidates: shown(rule.lists.candidates, 'warnOn'),
        warn: shown(rule.lists.warn, 'warnOn'),
        warned: shown(rule.lists.warned, 'actOn'),
        ready: shown(rule.lists.ready, 'actOn'),
      },
    }));
  }

  /** `rostersync keep` for the users named (usernames); a school admin only for its schools' users. */
  async keep(user: ConsoleUser, usernames: readonly string[]): Promise<ActionResult> {
    const wanted = [...new Set(usernames.map((name) => name.trim()).filter(Boolean))];
    if (wanted.length === 0) return refused('Select at least one user to keep.');
    if (user.schools !== 'all') {
      const known = await this.knownUsers();
      const foreign = wanted.filter((name) => {
        const found = known.get(`uid:${name.toLowerCase()}`);
        return found === undefined || !mayActOn(user, found.schools);
      });
      if (foreign.length > 0)
        return refused(`Not users of your school: ${foreign.join(', ')}. Nothing was written.`);
    }
    return this.write(async () => {
      const outcome = await keepJob(this.runtime(user), {
        users: wanted,
        dryRun: false,
        format: undefined,
        planOut: undefined,
        summaryJson: undefined,
      });
      const kept = outcome.plan?.actions.length ?? 0;
      return {
        exitCode: outcome.exitCode,
        message:
          outcome.exitCode === ExitCode.ok
            ? `Kept ${kept} user${kept === 1 ? '' : 's'}: ${wanted.join(', ')}.`
            : `Keep ended with exit code ${outcome.exitCode}; ${kept} kept. See the log.`,
      };
    });
  }

  /** This source's users in retirement that are not COMPLETE, those of the user's schools. */
  async retirement(user: ConsoleUser): Promise<RetiringUser[]> {
    const { config, env } = this.deps;
    const directory = await connectDirectory(config, env);
    let users: RetiringUser[];
    try {
      users = await readRetiringUsers(directory, new DirectoryLayout(config), config);
    } finally {
      await directory.close();
    }
    const visible = await this.visibility(user);
    return users.filter((entry) => entry.state !== 'COMPLETE' && visible(entry.dn));
  }

  /**
   * Retry: back to the `RETIRING_` state of the step the user failed in (the last one the audit log shows
   * for its DN), else to the first step; the next purge runs the steps from there.
   */
  async retry(user: ConsoleUser, recordUid: string): Promise<ActionResult> {
    const target = await this.retiring(user, recordUid);
    if ('refusal' in target) return target.refusal;
    if (target.entry.state !== 'ERRORED' && target.entry.state !== 'ABORTED') {
      return refused(
        `${target.entry.username} is ${target.entry.state}, not ERRORED or ABORTED: nothing to retry.`,
      );
    }
    const state = await this.retryState(target.entry.dn);
    if (state === undefined) return refused('retirement.states has no RETIRING_ step to retry from.');
    return this.setState(user, target.entry, state);
  }

  async abort(user: ConsoleUser, recordUid: string): Promise<ActionResult> {
    const target = await this.retiring(user, recordUid);
    if ('refusal' in target) return target.refusal;
    return this.setState(user, target.entry, 'ABORTED');
  }

  private async retiring(
    user: ConsoleUser,
    recordUid: string,
  ): Promise<{ entry: RetiringUser } | { refusal: ActionResult }> {
    const entry = (await this.retirement(user)).find((candidate) => candidate.recordUid === recordUid);
    return entry === undefined
      ? { refusal: refused(`No user in retirement with record uid '${recordUid}' that you may act on.`) }
      : { entry };
  }

  private setState(user: ConsoleUser, entry: RetiringUser, state: string): Promise<ActionResult> {
    return this.write(async () => {
      const outcome = await retirementSetJob(this.runtime(user), {
        user: entry.recordUid,
        state,
        dryRun: false,
        format: undefined,
        planOut: undefined,
        summaryJson: undefined,
      });
      return {
        exitCode: outcome.exitCode,
        message:
          outcome.exitCode === ExitCode.ok
            ? `${entry.username}: ${entry.state} → ${state}.`
            : `Setting ${entry.username} to ${state} ended with exit code ${outcome.exitCode}. See the log.`,
      };
    });
  }

  private async retryState(dn: string): Promise<string | undefined> {
    const { config } = this.deps;
    const stateAttribute = attributeNames(config).retirementState;
    const lines = await this.auditTail();
    const stepStates = config.retirement.states.filter((state) => state.startsWith('RETIRING_'));
    for (const line of lines) {
      if (typeof line.dn !== 'string' || line.dn.toLowerCase() !== dn.toLowerCase()) continue;
      const attributes = line.attributes as Record<string, unknown> | undefined;
      const written = attributes?.[stateAttribute];
      const value: unknown = Array.isArray(written) ? (written as unknown[])[0] : undefined;
      if (typeof value === 'string' && stepStates.includes(value)) return value;
    }
    return stepStates[0];
  }

  /** Past runs and the audit log's newest lines — of one run, `runId`, when given. */
  async history(user: ConsoleUser, runId?: string): Promise<HistoryView> {
    const visible = await this.visibility(user);
    const audit = (await this.auditTail())
      .filter((line) => runId === undefined || line.runId === runId)
      .filter((line) => user.schools === 'all' || (typeof line.dn === 'string' && visible(line.dn)))
      .slice(0, HISTORY_LINES);
    const runs = await readRunHistory(this.deps.config);
    return { jobs: await this.jobs(), runs, ...(runId !== undefined ? { run: runId } : {}), audit };
  }

  /** The last lines of the audit log, newest first; none when there is no log yet. */
  private async auditTail(): Promise<Record<string, unknown>[]> {
    const path = outputPaths(this.deps.config).auditLog;
    let text: string;
    try {
      const handle = await open(path, 'r');
      try {
        const { size } = await handle.stat();
        const start = Math.max(0, size - AUDIT_TAIL_BYTES);
        const buffer = Buffer.alloc(size - start);
        await handle.read(buffer, 0, buffer.length, start);
        text = buffer.toString('utf8');
        // Reading from the middle of the file: the first line is cut.
        if (start > 0) text = text.slice(text.indexOf('\n') + 1);
      } finally {
        await handle.close();
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const lines: Record<string, unknown>[] = [];
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // A line being written right now: the next look shows it.
      }
    }
    return lines.reverse();
  }

  /** The new-import page's data: the session's held import, if any, and the schools to choose from. */
  importView(sessionId: string, user: ConsoleUser): ImportView {
    const held = this.heldImports.get(sessionId, user);
    return {
      held: held === undefined ? undefined : viewOf(held),
      // The roster's place on the server is no one's business on the page: it is shown by its upload name.
      table:
        held === undefined
          ? undefined
          : renderPlan(held.plan, 'table').replaceAll(held.plan.input.file, held.rosterName),
      schools: user.schools === 'all' ? 'any' : user.schools,
    };
  }

  /** Where the session's upload goes (created 0700); the server writes the roster there. */
  uploadPaths(sessionId: string): Promise<{ roster: string; plan: string }> {
    return this.heldImports.prepare(sessionId);
  }

  /**
   * A dry run of the import of the uploaded roster, holding its plan in the session's place. A school admin
   * plans for its schools only (`--school`), whatever it chose.
   */
  async planImport(sessionId: string, user: ConsoleUser, upload: Upload): Promise<ActionResult> {
    const chosen = [...new Set(upload.schools.map((school) => school.trim()).filter(Boolean))];
    let schools: string[];
    if (user.schools === 'all') schools = chosen;
    else {
      const own = user.schools;
      const foreign = chosen.filter((school) => !own.includes(school));
      if (foreign.length > 0) return refused(`Not your school: ${foreign.join(', ')}. Nothing was planned.`);
      schools = chosen.length > 0 ? chosen : [...own];
    }
    const current = this.heldImports.get(sessionId, user);
    if (current?.state === 'applying')
      return refused('The plan is being applied; wait until it has finished.');
    const paths = await this.heldImports.prepare(sessionId);
    await rm(paths.plan, { force: true });
    return this.write(async () => {
      const outcome = await importJob(this.runtime(user), {
        input: paths.roster,
        schools,
        noDelete: false,
        maxDeletions: undefined,
        dryRun: true,
        format: undefined,
        planOut: paths.plan,
        summaryJson: undefined,
      });
      const plan = outcome.plan;
      if (plan === undefined)
        return {
          exitCode: outcome.exitCode,
          message: `The roster could not be planned (exit ${outcome.exitCode}); see the log.`,
        };
      await chmod(paths.plan, 0o600);
      const held: HeldImport = {
        owner: user.dn,
        rosterName: upload.rosterName,
        schools,
        plan,
        state: 'planned',
        progress: { done: 0, total: plan.actions.length },
      };
      this.heldImports.set(sessionId, held);
      const verdict = plan.safety.exceeded
        ? ` The safety limit is exceeded (${plan.safety.removals} removals, limit ${plan.safety.limit}): apply would stop before writing.`
        : '';
      return {
        exitCode: ExitCode.ok,
        message: `Planned ${plan.actions.length} action${plan.actions.length === 1 ? '' : 's'} from ${upload.rosterName}.${verdict}`,
      };
    });
  }

  /** Plans again from the roster uploaded last, for the same schools (after a stale plan). */
  async planAgain(sessionId: string, user: ConsoleUser): Promise<ActionResult> {
    const held = this.heldImports.get(sessionId, user);
    if (held === undefined) return refused('There is no uploaded roster to plan again; upload one.');
    return this.planImport(sessionId, user, { rosterName: held.rosterName, schools: held.schools });
  }

  /** The held plan as the CLI writes it (`json`) or as LDIF. */
  async heldPlan(sessionId: string, user: ConsoleUser, format: 'json' | 'ldif'): Promise<string | undefined> {
    const held = this.heldImports.get(sessionId, user);
    if (held === undefined) return undefined;
    return renderPlan(await this.heldImports.readPlan(sessionId), format);
  }

  /**
   * Applies exactly the held plan (the file the dry run wrote), in the background: the page shows its
   * progress. Refused when there is none, or it is already being applied or done.
   */
  async applyImport(sessionId: string, user: ConsoleUser): Promise<ActionResult> {
    const held = this.heldImports.get(sessionId, user);
    if (held === undefined) return refused('There is no plan to apply; upload a roster first.');
    if (held.state === 'applying') return refused('The plan is being applied already.');
    if (held.state !== 'planned') return refused('This plan was applied or refused already; plan again.');
    const plan = await this.heldImports.readPlan(sessionId);
    held.state = 'applying';
    held.progress = { done: 0, total: plan.actions.length };
    delete held.result;
    const progress = {
      begin() {},
      done() {
        held.progress.done += 1;
      },
    };
    const finished = applyJob(this.runtime(user), plan, {
      format: undefined,
      summaryJson: undefined,
      source: `the plan of ${held.rosterName}`,
      progress,
    }).then(
      (outcome) => {
        const { state, message } = applyMessage(outcome);
        held.state = state;
        held.result = { exitCode: outcome.exitCode, message };
      },
      (error: unknown) => {
        const result = applyErrorMessage(error);
        // A busy lock wrote nothing: the plan can be applied once the other run is over.
        held.state = error instanceof LockedError ? 'planned' : 'failed';
        held.result = result;
        if (!(error instanceof LockedError)) this.deps.logger.error('console apply failed', { error });
      },
    );
    this.applying.set(sessionId, finished);
    return { ok: true, exitCode: ExitCode.ok, message: `Applying ${plan.actions.length} actions…` };
  }

  /** Settles when the session's apply has ended (tests, shutdown). */
  async applied(sessionId: string): Promise<void> {
    await this.applying.get(sessionId);
  }

  private readonly applying = new Map<string, Promise<void>>();

  /**
   * A session ended (signed out or expired): its upload and held plan go, once an apply of it has ended.
   */
  async endSession(sessionId: string): Promise<void> {
    await this.applying.get(sessionId);
    this.applying.delete(sessionId);
    await this.heldImports.forget(sessionId);
  }

  async discardImport(sessionId: string, user: ConsoleUser): Promise<ActionResult> {
    const held = this.heldImports.get(sessionId, user);
    if (held?.state === 'applying') return refused('The plan is being applied; wait until it has finished.');
    await this.heldImports.forget(sessionId);
    return { ok: true, exitCode: ExitCode.ok, message: 'The upload and its plan were discarded.' };
  }

  /** Runs a write; a busy run lock (exit 4) or a failed job is a message for the page, not an error page. */
  private async write(body: () => Promise<Omit<ActionResult, 'ok'>>): Promise<ActionResult> {
    try {
      const { exitCode, message } = await body();
      return { ok: exitCode === ExitCode.ok, exitCode, message };
    } catch (error) {
      const exitCode = exitCodeOf(error);
      if (error instanceof LockedError) {
        return {
          ok: false,
          exitCode,
          message: `Another run is going on (${error.message}). Nothing was written; try again when it has finished.`,
        };
      }
      this.deps.logger.error('console action failed', { error });
      return {
        ok: false,
        exitCode,
        message: `Failed: ${error instanceof Error ? error.message : String(error)}`,
      };
    }
  }
}

/** The next time a cron expression fires, in the config's time zone, ISO-8601. */
function nextRun(expression: string, timezone: string): string | undefined {
  // node-cron knows the next run only of a started task; this one does nothing and is gone at once.
  const task = createTask(expression, () => undefined, { timezone });
  try {
    void task.start();
    return task.getNextRun()?.toISOString();
  } finally {
    void task.destroy();
  }
}

function refused(message: string): ActionResult {
  return { ok: false, exitCode: ExitCode.usage, message };
}

/** `YYYY-MM-DD` of an instant in the config's time zone. */
function dayFormatter(timeZone: string): (iso: string) => string {
  const format = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  });
  return (iso) => format.format(new Date(iso));
}
