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
import {
  type ClassGroupRef,
  listingRead,
  readReservations,
  readSnapshot,
  usersRead,
} from '../snapshot/read.js';
import {
  type ListingReaderThread,
  startListing,
  startUserRead,
  type UserReaderThread,
} from '../snapshot/user-reader.js';
import { configDigest } from '../plan/basis.js';
import { SettledKeys } from '../plan/settled.js';
import { partitionKey } from '../state/lock.js';
import {
  loadSettled,
  saveSettled,
  type SettledBasis,
  settledFilePath,
  type SettledUnused,
} from '../state/settled.js';
import { packageVersion } from '../version.js';
import { readOwnership } from '../snapshot/ownership.js';
import type { RunContext } from '../apply/run-context.js';
import { UserImport } from '../apply/user-import.js';
import type { UsernameMaker } from '../plan/names.js';
import { PlannedRun, type PlannedRunOptions, type RunOutcome } from '../run/planned-run.js';
import { checkGivenSchools } from './known-schools.js';

export interface ImportOptions extends PlannedRunOptions {
  input: string;
  schools: string[];
  noDelete: boolean;
  maxDeletions: MaxDeletions | undefined;
  /** `--full`: read and plan every user, even with `incremental: true` and saved keys. */
  full?: boolean;
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
  // Only a saved plan may be applied later, or an incremental run's keys saved: only then is every user's
  // entryCSN worth reading.
  const held = options.planOut !== undefined;
  const incremental = await incrementalSetup(runtime, options);
  const entryCsn = held || incremental !== undefined;
  const readScope = { config, layout, schools: options.schools };
  // The directory's users are read (or, incrementally, listed) on a thread of their own while this one
  // reads the roster.
  const prefetched =
    incremental?.saved === undefined
      ? await startUserRead(config, runtime.env, usersRead({ ...readScope, mappedAttributes, entryCsn }))
      : undefined;
  const listing =
    incremental?.saved !== undefined
      ? await startListing(config, runtime.env, listingRead(readScope))
      : undefined;
  try {
    return await importWithRoster(runtime, options, {
      run,
      layout,
      mappedAttributes,
      held,
      entryCsn,
      prefetched,
      listing,
      incremental,
    });
  } finally {
    await prefetched?.cancel();
    await listing?.cancel();
  }
}

/** An incremental import (`incremental: true`): where its keys are kept, and those saved by earlier runs. */
interface IncrementalSetup {
  path: string;
  basis: SettledBasis;
  /** The saved keys, when they are worth a listing; otherwise every user is read in full. */
  saved: SettledKeys | undefined;
}

const UNUSED: Record<SettledUnused, string> = {
  'none saved': 'no settled users saved yet',
  'saved under another config, version or scope':
    'the settled users were saved under another config, version or scope',
  unreadable: 'the settled users file is unreadable',
};

async function incrementalSetup(
  runtime: RunContext,
  options: ImportOptions,
): Promise<IncrementalSetup | undefined> {
  const { config, logger } = runtime;
  if (!config.incremental) return undefined;
  const path = settledFilePath(config, options.schools);
  const basis: SettledBasis = {
    configDigest: configDigest(config),
    version: packageVersion(),
    sourceUid: config.source_uid,
    schools: partitionKey(options.schools),
  };
  if (options.full === true) {
    logger.info('incremental import: --full, every user is read');
    return { path, basis, saved: undefined };
  }
  let saved: Awaited<ReturnType<typeof loadSettled>>;
  try {
    saved = await loadSettled(path, basis);
  } catch (error) {
    logger.warn('incremental import: the settled users could not be read; every user is read', { error });
    return { path, basis, saved: undefined };
  }
  if (typeof saved === 'string') {
    logger.info(`incremental import: ${UNUSED[saved]}; every user is read`);
    return { path, basis, saved: undefined };
  }
  // A set far smaller than the scope (the run after a first import) saves less than the listing costs.
  if (saved.keys.length === 0 || saved.keys.length < saved.inScope / 2) {
    logger.info(
      `incremental import: ${saved.keys.length} of ${saved.inScope} users were settled; every user is read`,
    );
    return { path, basis, saved: undefined };
  }
  return { path, basis, saved: new SettledKeys(saved.keys) };
}

/** What the run settled before it reads the roster. */
interface ImportSetup {
  run: PlannedRun<ImportPlan>;
  layout: DirectoryLayout;
  mappedAttributes: string[];
  /** The plan is saved (`--plan-out`) and may be applied later. */
  held: boolean;
  /** Whether the users' entryCSNs are read. */
  entryCsn: boolean;
  prefetched: UserReaderThread | undefined;
  listing: ListingReaderThread | undefined;
  incremental: IncrementalSetup | undefined;
}

async function importWithRoster(
  runtime: RunContext,
  options: ImportOptions,
  { run, layout, mappedAttributes, held, entryCsn, prefetched, listing, incremental }: ImportSetup,
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
        ...(incremental?.saved !== undefined ? { settled: incremental.saved } : {}),
        // Only a run that saves them hashes the users it finds settled (not a dry run, nor a saved plan).
        collectSettled: incremental !== undefined && !options.dryRun && options.planOut === undefined,
        ...usernameMaker(runtime),
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
          entryCsn,
          mappedAttributes,
          ...(prefetched !== undefined ? { prefetched } : {}),
          ...(incremental?.saved !== undefined
            ? {
                listing: {
                  read: listingRead({ config, layout, schools: options.schools }),
                  ...(listing !== undefined ? { prefetched: listing } : {}),
                },
              }
            : {}),
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
      const plan = await planner.finish(rest, ownership);
      if (incremental !== undefined) await saveKeys(runtime, incremental, planner);
      return plan;
    },
  });
}

/** The `classes.user_import` subclass's `makeUsername`, when it has its own. */
function usernameMaker(runtime: RunContext): { makeUsername?: UsernameMaker } {
  const { userImport, config } = runtime;
  if (userImport === undefined || userImport.makeUsername === UserImport.prototype.makeUsername) return {};
  return { makeUsername: (record, ctx) => userImport.makeUsername(record, { ...ctx, config }) };
}

/**
 * Saves the keys of the users this run found settled, for the next incremental run. Before the writes:
 * each key is a fact about an entry as it was read, so it stays true whatever the apply does (an entry it
 * writes gets a new CSN, and its old key simply matches nothing). A dry run, or one that saves its plan,
 * collects none (`collectSettled`) and saves nothing.
 */
async function saveKeys(
  runtime: RunContext,
  incremental: IncrementalSetup,
  planner: ImportPlanner,
): Promise<void> {
  const { logger, now } = runtime;
  const keys = planner.settledKeys();
  const inScope = planner.usersInScope;
  if (incremental.saved !== undefined) {
    logger.info(
      `incremental import: ${planner.listedAsSettled} of ${inScope} users settled since an earlier run, planned from the listing`,
    );
  }
  if (keys === undefined) return;
  try {
    await saveSettled(incremental.path, incremental.basis, keys.keys, inScope, now);
  } catch (error) {
    // Only the next run's speed depends on it.
    logger.warn('incremental import: the settled users could not be saved; the next run reads every user', {
      error,
    });
  }
}
