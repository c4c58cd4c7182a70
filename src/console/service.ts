/**
 * What the console shows and does, as plain data: the JSON API returns it as it is and the pages render it.
 * Every write goes through the jobs of the CLI (run lock, status record, audit log), with the signed-in
 * user's DN as the audit lines' actor. A school admin sees and acts only on users of its schools.
 */
import { open } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { attributeNames, type Config, outputPaths } from '../config/index.js';
import { connectDirectory, eq, and } from '../directory/index.js';
import { DirectoryLayout } from '../directory/layout.js';
import { ExitCode, exitCodeOf } from '../errors.js';
import { type JobRuntime, keepJob, lifecycleJob, retirementSetJob } from '../jobs/jobs.js';
import { type Logger, newRunId } from '../logging/index.js';
import type { LifecycleListed, LifecycleListName } from '../plan/types.js';
import { readRetiringUsers, type RetiringUser } from '../retirement/read.js';
import { LockedError } from '../state/lock.js';
import { type JobStatus, readStatus, runIsAlive } from '../state/status.js';
import { type ConsoleUser, mayActOn } from './auth.js';

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
  /** The newest audit lines first. */
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
  constructor(private readonly deps: ConsoleDeps) {}

  /** A job's runtime for one console request: a run id of its own, the user as the audit's actor. */
  private runtime(user: ConsoleUser): JobRuntime {
    const { config, env, logger } = this.deps;
    const runId = newRunId();
    return {
      config,
      env,
      logger: logger.child({ runId, actor: user.dn }),
      now: new Date(),
      runId,
      stdout: discard(),
      actor: user.dn,
    };
  }

  async overview(): Promise<Overview> {
    const { config } = this.deps;
    const schedules: Record<string, string> = {};
    for (const [job, cron] of Object.entries(config.daemon.schedules)) if (cron) schedules[job] = cron;
    for (const rule of config.lifecycle.rules)
      if (rule.schedule) schedules[`lifecycle ${rule.name}`] = rule.schedule;
    return { jobs: await this.jobs(), schedules };
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
    return views.sort((a, b) => a.job.localeCompare(b.job));
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

  async history(user: ConsoleUser): Promise<HistoryView> {
    const visible = await this.visibility(user);
    const audit = (await this.auditTail())
      .filter((line) => user.schools === 'all' || (typeof line.dn === 'string' && visible(line.dn)))
      .slice(0, HISTORY_LINES);
    return { jobs: await this.jobs(), audit };
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
