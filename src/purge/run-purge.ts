/**
 * One purge run: find this source's users whose purge timestamp has come (a server-side, paged filter),
 * plan their removal, print it, apply it through `UserImport.doDelete`, report.
 */
import { applyPlan, type ApplyResult, runDryRunHooks } from '../apply/apply.js';
import type { RunContext } from '../apply/run-context.js';
import { UserImport } from '../apply/user-import.js';
import { AuditedWriter } from '../apply/writer.js';
import { type Config, outputPaths } from '../config/index.js';
import { toGeneralizedTime } from '../dates.js';
import { and, connectDirectory, type Directory, lte, or, present } from '../directory/index.js';
import { ExitCode } from '../errors.js';
import { buildSummary, type ImportSummary, summaryLine } from '../apply/summary.js';
import { AuditLog } from '../logging/index.js';
import { writePrivateFile } from '../output/private-file.js';
import { DirectoryLayout } from '../directory/layout.js';
import { renderPlanLdif } from '../plan/render-ldif.js';
import { renderPlanJson, renderPlanTable } from '../plan/render-table.js';
import { readReservations, sourceUsersFilter } from '../snapshot/read.js';
import {
  type DueUser,
  type PurgePlan,
  planPurge,
  type ReferencingGroup,
  type SkippedUser,
} from './plan-purge.js';

export interface PurgeOptions {
  dryRun: boolean;
  format: 'table' | 'json' | 'ldif' | undefined;
  summaryJson: string | undefined;
}

export interface PurgeSummary extends ImportSummary {
  skipped: SkippedUser[];
}

export interface PurgeOutcome {
  exitCode: ExitCode;
  plan: PurgePlan | undefined;
  result: ApplyResult | undefined;
  summary: PurgeSummary;
}

async function readDueUsers(directory: Directory, layout: DirectoryLayout, config: Config, now: Date) {
  const names = layout.attributes;
  const due: DueUser[] = [];
  for await (const entry of directory.search(layout.baseDn, {
    scope: 'sub',
    // The server does the date comparison: rostersyncPurgeTimestamp has generalizedTimeOrderingMatch.
    filter: and(
      sourceUsersFilter(names, config.source_uid),
      lte(names.purgeTimestamp, toGeneralizedTime(now)),
    ),
    attributes: ['uid', names.recordUid, names.school, names.role, names.purgeTimestamp],
  })) {
    due.push({
      dn: entry.dn,
      username: entry.attributes.uid?.[0] ?? '',
      recordUid: entry.attributes[names.recordUid]?.[0] ?? '',
      schools: entry.attributes[names.school] ?? [],
      roles: entry.attributes[names.role] ?? [],
      purgeTimestamp: entry.attributes[names.purgeTimestamp]?.[0] ?? '',
    });
  }
  return due;
}

/** Every group under the base DN, whoever manages it: a purged user must leave no member value behind. */
async function readGroups(directory: Directory, layout: DirectoryLayout) {
  const groups: ReferencingGroup[] = [];
  for await (const entry of directory.search(layout.baseDn, {
    scope: 'sub',
    filter: or(present('member'), present('uniqueMember'), present('memberUid')),
    attributes: ['objectClass', 'member', 'uniqueMember', 'memberUid'],
  })) {
    const objectClasses = (entry.attributes.objectClass ?? []).map((value) => value.toLowerCase());
    groups.push({
      dn: entry.dn,
      member: entry.attributes.member ?? [],
      uniqueMember: entry.attributes.uniqueMember ?? [],
      memberUid: entry.attributes.memberUid ?? [],
      ours: objectClasses.includes('rostersyncgroup'),
    });
  }
  return groups;
}

export async function runPurge(runtime: RunContext, options: PurgeOptions): Promise<PurgeOutcome> {
  const { config, logger, now, stdout } = runtime;
  const started = Date.now();
  const layout = new DirectoryLayout(config);
  const finish = async (
    exitCode: ExitCode,
    plan?: PurgePlan,
    result?: ApplyResult,
  ): Promise<PurgeOutcome> => {
    const base = buildSummary({
      runId: runtime.runId,
      config,
      now,
      options: { input: 'purge', schools: [], dryRun: options.dryRun },
      plan,
      result,
      exitCode,
      started,
    });
    const summary: PurgeSummary = { ...base, skipped: plan?.skipped ?? [] };
    const skipped = summary.skipped.length > 0 ? `; ${summary.skipped.length} skipped` : '';
    const log = exitCode === ExitCode.ok ? logger.info.bind(logger) : logger.error.bind(logger);
    log(`${summaryLine(summary).replace(/^import/, 'purge')}${skipped}`, {
      exitCode,
      counts: summary.totals,
    });
    if (options.summaryJson)
      await writePrivateFile(options.summaryJson, `${JSON.stringify(summary, null, 2)}\n`, logger);
    return { exitCode, plan, result, summary };
  };

  const directory = await connectDirectory(config, runtime.env);
  try {
    const moveTo = config.purge.mode === 'move' ? config.purge.move_to_dn : undefined;
    const [due, groups, reservations, reservationsContainerExists, moveTargetExists] = await Promise.all([
      readDueUsers(directory, layout, config, now),
      readGroups(directory, layout),
      readReservations(directory, layout),
      directory.exists(layout.reservationsDn),
      moveTo === undefined ? true : directory.exists(moveTo),
    ]);
    const plan = planPurge({
      config,
      layout,
      now,
      due,
      groups,
      reservations,
      reservationsContainerExists,
      moveTargetExists,
    });
    for (const user of plan.skipped) {
      // Seed 002: users the import does not manage (school admins) are never purged automatically.
      logger.warn(`purge skips ${user.username} (${user.dn}): ${user.reason}`, {
        dn: user.dn,
        recordUid: user.recordUid,
      });
    }
    for (const problem of plan.problems) logger.warn(`${problem.where}: ${problem.message}`);

    const format = options.format ?? (options.dryRun ? 'table' : undefined);
    if (format === 'json') stdout.write(renderPlanJson(plan));
    else if (format === 'ldif') stdout.write(renderPlanLdif(plan));
    else if (format === 'table') {
      stdout.write(renderPlanTable(plan));
      if (plan.skipped.length > 0) {
        stdout.write(`\nSkipped (${plan.skipped.length})\n`);
        for (const user of plan.skipped) stdout.write(`  ${user.username}  ${user.reason}\n`);
      }
    }

    if (options.dryRun) {
      if (runtime.dryRunHooks) {
        const vetoes = await runDryRunHooks(plan, {
          config,
          directory,
          logger,
          now,
          hooks: runtime.dryRunHooks,
        });
        if (vetoes.length > config.tolerate_errors) return await finish(ExitCode.failed, plan);
      }
      return await finish(ExitCode.ok, plan);
    }

    const paths = outputPaths(config);
    const audit = await AuditLog.open(paths.auditLog, runtime.runId, { logger });
    let result: ApplyResult;
    try {
      result = await applyPlan(plan, {
        config,
        directory,
        writer: new AuditedWriter(directory, audit),
        userImport: runtime.userImport ?? new UserImport(),
        ...(runtime.hooks ? { hooks: runtime.hooks } : {}),
        ...(runtime.signal ? { signal: runtime.signal } : {}),
        logger,
        now,
        rosterPasswords: new Map(),
      });
    } finally {
      await audit.close();
    }
    if (result.interrupted) {
      logger.error(`stopped before ${result.skipped.length} actions; the next run completes them`);
      return await finish(ExitCode.failed, plan, result);
    }
    const errors = plan.problems.length + result.failed.length;
    return await finish(errors > config.tolerate_errors ? ExitCode.failed : ExitCode.ok, plan, result);
  } finally {
    await directory.close();
  }
}
