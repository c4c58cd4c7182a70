/**
 * The console's new import (SPEC §11): a roster uploaded into a private place of the session's under
 * `state_dir` (a 0700 directory, 0600 files, never served), a dry run that holds its plan there, and the
 * apply of exactly that held plan, in the background so that the page can show its progress.
 *
 * A held import belongs to one session: it is found only by the session's id and checked against the
 * signed-in user on every request, so no one else can see or apply it.
 */
import { createHash } from 'node:crypto';
import { chmod, mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../config/index.js';
import { ExitCode, exitCodeOf } from '../errors.js';
import type { HeldApplyOutcome } from '../held/apply-held.js';
import type { ImportPlan, Plan } from '../plan/types.js';
import { LockedError } from '../state/lock.js';
import type { ConsoleUser } from './auth.js';

export type HeldImportState = 'planned' | 'applying' | 'applied' | 'stale' | 'failed';

export interface HeldImport {
  /** The DN of the user whose session holds it. */
  owner: string;
  /** The uploaded file's name, for the page only; the roster is stored as `roster.csv`. */
  rosterName: string;
  /** The schools the plan was made for (`--school`); empty: all. */
  schools: string[];
  plan: ImportPlan;
  state: HeldImportState;
  /** While applying and after: actions done of the plan's. */
  progress: { done: number; total: number };
  /** How the apply went, once it has ended; the exit code as the CLI's. */
  result?: { exitCode: ExitCode; message: string };
}

/** What the page and `/api/import` show of a held import: everything but the plan's actions. */
export interface HeldImportView {
  rosterName: string;
  schools: string[];
  state: HeldImportState;
  progress: { done: number; total: number };
  result?: { exitCode: ExitCode; message: string };
  /** Actions by kind, and by school of the entry (users' first school; groups and containers: `-`). */
  counts: { byKind: Record<string, number>; bySchool: Record<string, Record<string, number>> };
  safety: ImportPlan['safety'];
  problems: number;
  unchanged: number;
}

export class HeldImports {
  readonly #bySession = new Map<string, HeldImport>();

  constructor(private readonly config: Config) {}

  /** The session's own directory under `state_dir`: named by a digest of the session id, not the id. */
  directory(sessionId: string): string {
    const name = createHash('sha256').update(sessionId).digest('hex').slice(0, 32);
    return join(this.config.state_dir, 'console', name);
  }

  async prepare(sessionId: string): Promise<{ roster: string; plan: string }> {
    const dir = this.directory(sessionId);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await chmod(dir, 0o700);
    return { roster: join(dir, 'roster.csv'), plan: join(dir, 'plan.json') };
  }

  /** The session's held import, only if the signed-in user is its owner. */
  get(sessionId: string, user: ConsoleUser): HeldImport | undefined {
    const held = this.#bySession.get(sessionId);
    if (held === undefined || held.owner !== user.dn) return undefined;
    // A school admin's plan is made for its schools only; anything else is not its plan.
    if (user.schools !== 'all') {
      const own = user.schools;
      if (held.schools.length === 0 || !held.schools.every((school) => own.includes(school)))
        return undefined;
    }
    return held;
  }

  set(sessionId: string, held: HeldImport): void {
    this.#bySession.set(sessionId, held);
  }

  async forget(sessionId: string): Promise<void> {
    this.#bySession.delete(sessionId);
    await rm(this.directory(sessionId), { recursive: true, force: true });
  }

  async readPlan(sessionId: string): Promise<Plan> {
    const { plan } = await this.prepare(sessionId);
    return JSON.parse(await readFile(plan, 'utf8')) as Plan;
  }
}

export function viewOf(held: HeldImport): HeldImportView {
  const byKind: Record<string, number> = {};
  const bySchool: Record<string, Record<string, number>> = {};
  for (const action of held.plan.actions) {
    byKind[action.kind] = (byKind[action.kind] ?? 0) + 1;
    const school = schoolOf(action);
    const row = (bySchool[school] ??= {});
    row[action.kind] = (row[action.kind] ?? 0) + 1;
  }
  return {
    rosterName: held.rosterName,
    schools: held.schools,
    state: held.state,
    progress: held.progress,
    ...(held.result !== undefined ? { result: held.result } : {}),
    counts: { byKind, bySchool },
    safety: held.plan.safety,
    problems: held.plan.problems.length,
    unchanged: held.plan.unchanged,
  };
}

function schoolOf(action: ImportPlan['actions'][number]): string {
  const record = action as { school?: unknown; schools?: unknown };
  if (typeof record.school === 'string') return record.school;
  if (Array.isArray(record.schools) && typeof record.schools[0] === 'string') return record.schools[0];
  return '-';
}

/** The message for an apply's outcome: done, refused (stale or applied already), or stopped. */
export function applyMessage(outcome: HeldApplyOutcome): { state: HeldImportState; message: string } {
  if (outcome.refused !== undefined) {
    const moved = outcome.refused.moved
      .slice(0, 3)
      .map((entry) => `${entry.dn} ${entry.reason}`)
      .join('; ');
    return {
      state: 'stale',
      message:
        outcome.refused.reason === 'stale'
          ? `The directory changed since this plan was made (${moved}); nothing was written. Plan again.`
          : 'This plan was applied already; nothing was written. Plan again for what changed since.',
    };
  }
  const applied = outcome.result?.applied.length ?? 0;
  const failed = outcome.result?.failed.length ?? 0;
  if (outcome.exitCode === ExitCode.ok)
    return { state: 'applied', message: `Applied: ${applied} action${applied === 1 ? '' : 's'} done.` };
  return {
    state: 'failed',
    message: `The apply ended with exit code ${outcome.exitCode}: ${applied} done, ${failed} failed. See the log.`,
  };
}

export function applyErrorMessage(error: unknown): { exitCode: ExitCode; message: string } {
  if (error instanceof LockedError)
    return {
      exitCode: exitCodeOf(error),
      message: `Another run is going on (${error.message}). Nothing was written; try again when it has finished.`,
    };
  return {
    exitCode: exitCodeOf(error),
    message: `Failed: ${error instanceof Error ? error.message : String(error)}`,
  };
}
