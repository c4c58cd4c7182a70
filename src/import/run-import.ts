/**
 * One import run, start to end: read and validate the roster, read the directory, plan, show the plan,
 * check the safety limit, apply, report. Every check that can stop the run comes before the first write.
 */
import { existsSync } from 'node:fs';
import type { MaxDeletions } from '../config/index.js';
import { ConfigError, outputPaths } from '../config/index.js';
import { connectDirectory, type Directory } from '../directory/index.js';
import { ExitCode, UsageError } from '../errors.js';
import { AuditLog } from '../logging/index.js';
import { writePrivateFile } from '../output/private-file.js';
import { PasswordsFile } from '../passwords/index.js';
import { DirectoryLayout } from '../directory/layout.js';
import { ImportPlanner } from '../plan/planner.js';
import { renderPlanLdif } from '../plan/render-ldif.js';
import { renderPlanJson, renderPlanTable } from '../plan/render-table.js';
import { Scope } from '../plan/scope.js';
import type { Plan } from '../plan/types.js';
import { formatProblem, readRoster, type Roster } from '../roster/index.js';
import { type ClassGroupRef, readReservations, readSnapshot } from '../snapshot/read.js';
import { groupKey } from '../plan/groups.js';
import { applyPlan, type ApplyResult, runDryRunHooks } from '../apply/apply.js';
import type { RunContext } from '../apply/run-context.js';
import { UserImport } from '../apply/user-import.js';
import { AuditedWriter } from '../apply/writer.js';
import { checkGivenSchools } from './known-schools.js';
import { buildSummary, type ImportSummary, summaryLine } from '../apply/summary.js';

export type PlanFormat = 'table' | 'json' | 'ldif';

export interface ImportOptions {
  input: string;
  schools: string[];
  dryRun: boolean;
  noDelete: boolean;
  maxDeletions: MaxDeletions | undefined;
  planOut: string | undefined;
  /** How to print the plan; a dry run prints a table when none is given, a real run prints none. */
  format: PlanFormat | undefined;
  summaryJson: string | undefined;
}

export interface ImportOutcome {
  exitCode: ExitCode;
  plan: Plan | undefined;
  result: ApplyResult | undefined;
  summary: ImportSummary;
}

function renderPlan(plan: Plan, format: PlanFormat): string {
  if (format === 'json') return renderPlanJson(plan);
  if (format === 'ldif') return renderPlanLdif(plan);
  return renderPlanTable(plan);
}

/** The containers a plan may need: users_dn and groups_dn of every school in play, and their parents. */
function containersInPlay(
  layout: DirectoryLayout,
  roster: Roster,
  scope: Scope,
  moveTo: string | undefined,
): string[] {
  const schools = new Set<string>(scope.given);
  for (const record of roster.records) {
    if (!scope.touches(record.schools)) continue;
    for (const school of record.schools) if (scope.includes(school)) schools.add(school);
    // A new user's entry goes to its record's first school, in this run's scope or not.
    if (record.schools[0] !== undefined) schools.add(record.schools[0]);
  }
  const containers = [...layout.containerChain(layout.reservationsDn)];
  // Where `purge.mode: move` puts the users this import deletes.
  if (moveTo !== undefined) containers.push(...layout.containerChain(moveTo));
  for (const school of schools) {
    containers.push(
      ...layout.containerChain(layout.usersDn(school)),
      ...layout.containerChain(layout.groupsDn(school)),
    );
  }
  return containers;
}

/** The class groups the roster asks for in this run's schools, one per group. */
function classGroupsInPlay(layout: DirectoryLayout, roster: Roster, scope: Scope): ClassGroupRef[] {
  const groups = new Map<string, ClassGroupRef>();
  for (const record of roster.records) {
    for (const { school, name } of record.classes) {
      if (!scope.includes(school)) continue;
      const key = groupKey(school, name);
      if (!groups.has(key)) groups.set(key, { dn: layout.groupDn(school, name), school, className: name });
    }
  }
  return [...groups.values()];
}

export async function runImport(runtime: RunContext, options: ImportOptions): Promise<ImportOutcome> {
  const { config, logger, now, stdout } = runtime;
  const started = Date.now();
  const tolerated = config.tolerate_errors;
  const finish = async (exitCode: ExitCode, plan?: Plan, result?: ApplyResult): Promise<ImportOutcome> => {
    const summary = buildSummary({
      runId: runtime.runId,
      config,
      now,
      options,
      plan,
      result,
      exitCode,
      started,
    });
    const log = exitCode === ExitCode.ok ? logger.info.bind(logger) : logger.error.bind(logger);
    log(summaryLine(summary), { exitCode, counts: summary.totals });
    if (options.summaryJson)
      await writePrivateFile(options.summaryJson, `${JSON.stringify(summary, null, 2)}\n`, logger);
    return { exitCode, plan, result, summary };
  };

  if (config.ldap.profile !== 'openldap') {
    // Deactivation is written per profile (SPEC §3); only OpenLDAP's ppolicy is implemented so far.
    throw new ConfigError([
      {
        source: 'config',
        path: 'ldap.profile',
        message: `'${config.ldap.profile}' is not supported by the import in this version (only 'openldap')`,
      },
    ]);
  }
  if (!existsSync(options.input)) throw new UsageError(`--input: no such file: ${options.input}`);
  const roster = await readRoster(options.input, config);
  for (const problem of roster.problems) {
    logger.warn(formatProblem(problem), {
      file: problem.file,
      line: problem.line,
      ...(problem.column !== undefined ? { column: problem.column } : {}),
      ...(problem.field !== undefined ? { field: problem.field } : {}),
    });
  }
  if (!roster.complete) {
    logger.error('the roster could not be read completely; nothing is written');
    return finish(ExitCode.failed);
  }
  if (roster.problems.length > tolerated) {
    logger.error(
      `${roster.problems.length} problems in the roster, tolerate_errors is ${tolerated}; nothing is written`,
    );
    return finish(ExitCode.failed);
  }

  const scope = new Scope(options.schools);
  const layout = new DirectoryLayout(config);
  const directory = await connectDirectory(config, runtime.env);
  try {
    await checkGivenSchools({ given: options.schools, config, roster, directory, layout });
    const mappedAttributes = Object.values(config.csv.mapping)
      .filter((field) => field.startsWith('attr:'))
      .map((field) => field.slice('attr:'.length));
    const planner = new ImportPlanner({
      config,
      roster,
      now,
      scope,
      noDelete: options.noDelete || config.no_delete,
      maxDeletions: options.maxDeletions ?? config.safety.max_deletions,
      reservations: await readReservations(directory, layout),
    });
    const rest = await readSnapshot(
      directory,
      {
        config,
        layout,
        schools: options.schools,
        containers: containersInPlay(
          layout,
          roster,
          scope,
          config.purge.mode === 'move' ? config.purge.move_to_dn : undefined,
        ),
        classGroups: classGroupsInPlay(layout, roster, scope),
        mappedAttributes,
      },
      planner,
    );
    const plan = planner.finish(rest);

    const format = options.format ?? (options.dryRun ? 'table' : undefined);
    if (format) stdout.write(renderPlan(plan, format));
    if (options.planOut) await writePrivateFile(options.planOut, renderPlanJson(plan), logger);

    // Roster problems come first in the plan and are logged above; these are the planner's own.
    for (const problem of plan.problems.slice(roster.problems.length)) {
      logger.warn(
        `${problem.where}: ${problem.message}`,
        problem.recordUid ? { recordUid: problem.recordUid } : {},
      );
    }
    if (plan.problems.length > tolerated) {
      logger.error(`${plan.problems.length} problems, tolerate_errors is ${tolerated}; nothing is written`);
      return await finish(ExitCode.failed, plan);
    }
    if (plan.safety.exceeded) {
      const { removals, inScope, limit, setting } = plan.safety;
      logger.error(
        `safety limit: the plan would remove ${removals} of ${inScope} in-scope users, more than ${limit} (${setting}); nothing is written`,
      );
      return await finish(ExitCode.safetyLimit, plan);
    }
    if (options.dryRun) {
      if (!runtime.dryRunHooks) return await finish(ExitCode.ok, plan);
      const vetoes = await runDryRunHooks(plan, {
        config,
        directory,
        logger,
        now,
        hooks: runtime.dryRunHooks,
      });
      const errors = plan.problems.length + vetoes.length;
      return await finish(errors > tolerated ? ExitCode.failed : ExitCode.ok, plan);
    }

    const result = await applyWithOutputs(runtime, directory, plan, roster);
    if (result.interrupted) {
      logger.error(`stopped before ${result.skipped.length} actions; the next run completes them`);
      return await finish(ExitCode.failed, plan, result);
    }
    const errors = plan.problems.length + result.failed.length;
    return await finish(errors > tolerated ? ExitCode.failed : ExitCode.ok, plan, result);
  } finally {
    await directory.close();
  }
}

async function applyWithOutputs(runtime: RunContext, directory: Directory, plan: Plan, roster: Roster) {
  const { config, logger, now } = runtime;
  const paths = outputPaths(config);
  const audit = await AuditLog.open(paths.auditLog, runtime.runId, { logger });
  const passwords = await PasswordsFile.open(paths.passwordsFile, { runId: runtime.runId, logger });
  try {
    const rosterPasswords = new Map(
      roster.records.flatMap((record) =>
        record.password ? [[record.recordUid, record.password] as const] : [],
      ),
    );
    return await applyPlan(plan, {
      config,
      directory,
      ...(runtime.hooks ? { hooks: runtime.hooks } : {}),
      ...(runtime.signal ? { signal: runtime.signal } : {}),
      writer: new AuditedWriter(directory, audit),
      userImport: runtime.userImport ?? new UserImport(),
      logger,
      now,
      passwords,
      rosterPasswords,
    });
  } finally {
    await passwords.close();
    await audit.close();
  }
}
