/**
 * `rostersync apply` (SPEC §11): a saved plan applied later, as Terraform applies a saved plan — exactly its
 * actions, nothing else, and only while the directory is still as the plan found it. The path is a direct
 * run's (PlannedRun, applyPlan): the safety limit and the hooks apply, initial passwords are made now.
 *
 * Once: a plan applied is recorded in `state_dir`, and applying it again writes nothing. A run killed half
 * way left a journal; the same apply again skips what was done and checks only the rest for staleness, since
 * what the first run wrote has new CSNs by design.
 */
import type { ApplyProgress } from '../apply/apply.js';
import type { RunContext } from '../apply/run-context.js';
import { configDigest, touchedBy } from '../plan/basis.js';
import type { ImportPlan, Plan, PlanAction, PurgePlan } from '../plan/types.js';
import { type Directory, normalizeDn } from '../directory/index.js';
import { ExitCode, RostersyncError } from '../errors.js';
import { PlannedRun, type PlanFormat, type RunOutcome } from '../run/planned-run.js';
import { findMoved, type MovedEntry, readCsns } from './freshness.js';
import { ApplyJournal, planId, readAppliedRecord, writeAppliedRecord } from './ledger.js';

/** A held plan that can be applied: what `import … --plan-out` and `purge … --plan-out` save. */
export type HeldPlan = ImportPlan | PurgePlan;

export interface HeldApplyOptions {
  /** Print the plan as it is applied (`table` or `json`). */
  format: Exclude<PlanFormat, 'ldif'> | undefined;
  summaryJson: string | undefined;
  /** Where the plan came from, for messages. */
  source: string;
  /** Told of each action as it is sent and done, besides the journal (the console's progress). */
  progress?: ApplyProgress;
}

export interface HeldApplyOutcome extends RunOutcome<HeldPlan> {
  /** Why nothing was written, when the plan was refused: stale (`moved` names the first entries), or applied. */
  refused?: { reason: 'stale' | 'applied'; message: string; moved: MovedEntry[] };
}

/** A plan of another source or config: exit 2, nothing read. */
class ForeignPlanError extends RostersyncError {
  constructor(message: string) {
    super(message, ExitCode.usage);
  }
}

class StalePlan extends Error {
  constructor(readonly moved: MovedEntry[]) {
    super('stale plan');
  }
}

/** Checks that `plan` is one this config may apply; throws exit 2 with the reason otherwise. */
export function checkHeldPlan(runtime: Pick<RunContext, 'config'>, plan: Plan, source: string): HeldPlan {
  const { config } = runtime;
  if (plan.job !== 'import' && plan.job !== 'purge')
    throw new ForeignPlanError(
      `${source}: a ${plan.job} plan cannot be applied later; only import and purge plans can`,
    );
  if (plan.sourceUid !== config.source_uid) {
    throw new ForeignPlanError(
      `${source}: the plan is for source ${JSON.stringify(plan.sourceUid)}, this config's source_uid is ${JSON.stringify(config.source_uid)}; nothing written`,
    );
  }
  if (plan.basedOn.configDigest !== configDigest(config)) {
    throw new ForeignPlanError(
      `${source}: the plan was made with another config (its digest differs from this config's); plan again with this config`,
    );
  }
  if (plan.basedOn.entries === undefined || plan.basedOn.names === undefined)
    throw new ForeignPlanError(
      `${source}: the plan does not record the entries it was computed from; plan again`,
    );
  return plan;
}

/**
 * Whether an action an interrupted run began was sent: what it adds is there, what it removes is gone, what
 * it modifies has another CSN than planned. Not known (a retirement resumes by its own state): sent again.
 */
function wasSent(
  action: PlanAction,
  planned: Record<string, string | null>,
  current: ReadonlyMap<string, string>,
): boolean {
  const now = (dn: string) => current.get(normalizeDn(dn));
  switch (action.kind) {
    case 'create':
    case 'create-container':
    case 'create-group':
    case 'restore':
      return now(action.dn) !== undefined;
    case 'move':
      return now(action.newDn) !== undefined;
    case 'delete':
      return action.mode !== 'retire' && now(action.dn) === undefined;
    case 'delete-group':
      return now(action.dn) === undefined;
    default: {
      const before = planned[action.dn];
      const after = now(action.dn);
      return before !== undefined && before !== null && after !== undefined && after !== before;
    }
  }
}

function alsoTold(first: ApplyProgress, second: ApplyProgress): ApplyProgress {
  return {
    begin(action) {
      first.begin(action);
      second.begin(action);
    },
    done(action) {
      first.done(action);
      second.done(action);
    },
  };
}

function describe(moved: readonly MovedEntry[]): string {
  return moved.map((entry) => `${entry.dn} ${entry.reason}`).join('; ');
}

/**
 * Applies a held plan under the caller's run lock (the CLI's `apply` job, the web console): checks it, then
 * the directory, then applies what is left of it. Returns the outcome; `refused` says why nothing was written.
 */
export async function applyHeldPlan(
  given: RunContext,
  loaded: Plan,
  options: HeldApplyOptions,
): Promise<HeldApplyOutcome> {
  const plan = checkHeldPlan(given, loaded, options.source);
  // The actions were computed for the plan's now: what apply still dates (a retirement's steps, a removed
  // mark) is dated the same.
  const runtime: RunContext = { ...given, now: new Date(plan.now) };
  const { config, logger } = runtime;
  const basis = {
    entries: plan.basedOn.entries ?? {},
    names: plan.basedOn.names ?? { usernames: [], emails: [] },
  };
  const id = planId(plan);
  const run = new PlannedRun<HeldPlan>(
    runtime,
    plan.job,
    { dryRun: false, format: options.format, planOut: undefined, summaryJson: options.summaryJson },
    { input: options.source, schools: plan.job === 'import' ? plan.schools : [] },
  );

  const applied = await readAppliedRecord(config, id);
  if (applied) {
    const message = `${options.source}: this plan was applied already (run ${applied.runId}, ${applied.appliedAt}); nothing written. Plan again for what changed since`;
    logger.error(message, { planId: id });
    const outcome = await run.finish(ExitCode.stalePlan, plan);
    return { ...outcome, refused: { reason: 'applied', message, moved: [] } };
  }

  const journal = await ApplyJournal.open(config, id, plan);
  let outcome: RunOutcome<HeldPlan>;
  try {
    if (journal.begun.size > 0)
      logger.warn(
        `an earlier apply of this plan stopped after ${journal.finished.size} of ${plan.actions.length} actions; completing it`,
        { planId: id },
      );
    outcome = await run.run({
      problemsStopTheRun: plan.job === 'import',
      progress: options.progress === undefined ? journal : alsoTold(journal, options.progress),
      plan: async (directory) => {
        const remaining = await remainingActions(
          directory,
          config.ldap.base_dn,
          plan,
          basis.entries,
          journal,
        );
        // What an earlier run of this plan wrote has new CSNs by design: only the rest is checked.
        const exempt = new Set<string>();
        for (const [position, action] of plan.actions.entries()) {
          if (!journal.begun.has(position)) continue;
          const { csn, absent } = touchedBy(action);
          for (const dn of [...csn, ...absent]) exempt.add(normalizeDn(dn));
        }
        const moved = await findMoved(directory, config, basis, exempt);
        if (moved.length > 0) throw new StalePlan(moved);
        return { ...plan, actions: remaining };
      },
    });
  } catch (error) {
    // A journal of nothing sent would only make the next run of this plan look resumed.
    if (journal.begun.size === 0 && !journal.wrote) await journal.remove();
    else journal.close();
    if (!(error instanceof StalePlan)) throw error;
    const message = `${options.source}: stale plan, the directory changed since it was made; nothing written. Moved: ${describe(error.moved)}`;
    logger.error(message, { planId: id, moved: error.moved });
    const refused = await run.finish(ExitCode.stalePlan, plan);
    return { ...refused, refused: { reason: 'stale', message, moved: error.moved } };
  }

  const { result } = outcome;
  // Stopped before the end (the safety limit, too many problems, SIGTERM, the directory gone): not applied
  // yet, and the journal stays for the next try.
  if (result === undefined || result.interrupted) {
    journal.close();
    return outcome;
  }
  await writeAppliedRecord(config, {
    planId: id,
    job: plan.job,
    runId: runtime.runId,
    appliedAt: new Date().toISOString(),
    exitCode: outcome.exitCode,
    applied: journal.finished.size + result.applied.length,
    failed: result.failed.length,
  });
  await journal.remove();
  return outcome;
}

/**
 * The plan's actions not done yet: those an earlier run finished are left out, those it began are looked up
 * in the directory (and left out, and journaled as done, when they were sent).
 */
async function remainingActions(
  directory: Directory,
  baseDn: string,
  plan: HeldPlan,
  planned: Record<string, string | null>,
  journal: ApplyJournal,
): Promise<PlanAction[]> {
  const doubtful = journal.inDoubt;
  const sent: number[] = [];
  if (doubtful.length > 0) {
    const dns = doubtful.flatMap((position) => {
      const action = plan.actions[position];
      if (!action) return [];
      const { csn, absent } = touchedBy(action);
      return [...csn, ...absent];
    });
    const current = await readCsns(directory, baseDn, dns);
    for (const position of doubtful) {
      const action = plan.actions[position];
      if (action && wasSent(action, planned, current)) sent.push(position);
    }
    journal.markDone(sent);
  }
  const skip = new Set([...journal.finished, ...sent]);
  return plan.actions.filter((_, position) => !skip.has(position));
}
