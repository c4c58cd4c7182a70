/**
 * One import run, start to end: read and validate the roster, read the directory, plan, show the plan,
 * check the safety limit, apply, report. Every check that can stop the run comes before the first write.
 */
import { existsSync } from 'node:fs';
import type { MaxDeletions } from '../config/index.js';
import { readSalts, requireOpenLdapProfile } from '../config/index.js';
import { DirectoryLayout } from '../directory/layout.js';
import { ExitCode, UsageError } from '../errors.js';
import { groupKey } from '../plan/groups.js';
import { ImportPlanner } from '../plan/planner.js';
import { Scope } from '../plan/scope.js';
import type { ImportPlan } from '../plan/types.js';
import { formatProblem, readRoster, type Roster } from '../roster/index.js';
import { type ClassGroupRef, readReservations, readSnapshot, usersRead } from '../snapshot/read.js';
import { startUserRead, type UserReaderThread } from '../snapshot/user-reader.js';
import { readOwnership } from '../snapshot/ownership.js';
import type { RunContext } from '../apply/run-context.js';
import { PlannedRun, type PlannedRunOptions, type RunOutcome } from '../run/planned-run.js';
import { checkGivenSchools } from './known-schools.js';

export interface ImportOptions extends PlannedRunOptions {
  input: string;
  schools: string[];
  noDelete: boolean;
  maxDeletions: MaxDeletions | undefined;
}

export type ImportOutcome = RunOutcome<ImportPlan>;

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
  const { config } = runtime;
  const run = new PlannedRun<ImportPlan>(runtime, 'import', options, {
    input: options.input,
    schools: options.schools,
  });

  requireOpenLdapProfile(config, 'import');
  if (!existsSync(options.input)) throw new UsageError(`--input: no such file: ${options.input}`);
  const layout = new DirectoryLayout(config);
  const mappedAttributes = Object.values(config.csv.mapping)
    .filter((field) => field.startsWith('attr:'))
    .map((field) => field.slice('attr:'.length));
  // Only a saved plan may be applied later: only then is every user's entryCSN worth reading.
  const held = options.planOut !== undefined;
  // The directory's users are read on a thread of their own while this one reads the roster.
  const prefetched = await startUserRead(
    config,
    runtime.env,
    usersRead({ config, layout, schools: options.schools, mappedAttributes, entryCsn: held }),
  );
  try {
    return await importWithRoster(runtime, options, { run, layout, mappedAttributes, held, prefetched });
  } finally {
    await prefetched?.cancel();
  }
}

/** What the run settled before it reads the roster. */
interface ImportSetup {
  run: PlannedRun<ImportPlan>;
  layout: DirectoryLayout;
  mappedAttributes: string[];
  /** The plan is saved (`--plan-out`) and may be applied later. */
  held: boolean;
  prefetched: UserReaderThread | undefined;
}

async function importWithRoster(
  runtime: RunContext,
  options: ImportOptions,
  { run, layout, mappedAttributes, held, prefetched }: ImportSetup,
): Promise<ImportOutcome> {
  const { config, logger, now } = runtime;
  const tolerated = config.tolerate_errors;
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
    return run.finish(ExitCode.failed);
  }
  if (roster.problems.length > tolerated) {
    logger.error(
      `${roster.problems.length} problems in the roster, tolerate_errors is ${tolerated}; nothing is written`,
    );
    return run.finish(ExitCode.failed);
  }

  const scope = new Scope(options.schools);
  // The plan step is the roster's last reader and takes it: the apply holds only the plan, not also the
  // records of a large first import through every write.
  let unplanned: Roster | undefined = roster;
  return run.run({
    // Roster problems come first in the plan and are logged above.
    problemsLogged: roster.problems.length,
    problemsStopTheRun: true,
    rosterPasswords: new Map(
      roster.records.flatMap((record) =>
        record.password ? [[record.recordUid, record.password] as const] : [],
      ),
    ),
    plan: async (directory) => {
      const roster = unplanned;
      unplanned = undefined;
      if (roster === undefined) throw new Error('an import is planned once');
      await checkGivenSchools({ given: options.schools, config, roster, directory, layout });
      const planner = new ImportPlanner({
        config,
        roster,
        now,
        scope,
        noDelete: options.noDelete || config.no_delete,
        maxDeletions: options.maxDeletions ?? config.safety.max_deletions,
        reservations: await readReservations(directory, layout),
        ...(config.retirement.salts_file !== undefined ? { retirementSalts: await readSalts(config) } : {}),
        heldBasis: held,
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
          entryCsn: held,
          mappedAttributes,
          ...(prefetched !== undefined ? { prefetched } : {}),
        },
        planner,
      );
      // What the users it deletes own (SPEC §8): known only once every user has been planned.
      const ownership = await readOwnership(
        directory,
        layout.baseDn,
        planner.deletedUsers(),
        config.ownership.last_owner === 'inherit',
      );
      return await planner.finish(rest, ownership);
    },
  });
}
