/**
 * `--school ID` must name a school that exists (SPEC §4.3): a typo would otherwise "succeed" with nobody in
 * scope. Known schools are the config's `schools` when set; otherwise the schools of this source's users
 * and groups in the directory, plus those of the roster being imported. Ids compare case-insensitively,
 * as the scope does.
 */
import type { Config } from '../config/index.js';
import { and, type Directory, eq, type Filter, or } from '../directory/index.js';
import { UsageError } from '../errors.js';
import type { DirectoryLayout } from '../directory/layout.js';
import type { Roster } from '../roster/index.js';

export interface KnownSchoolsRequest {
  /** The `--school` values; none means every school, which needs no check. */
  given: readonly string[];
  config: Config;
  roster: Roster;
  directory: Directory;
  layout: DirectoryLayout;
}

/** Throws a usage error naming every unknown `--school` and the known schools; reads, never writes. */
export async function checkGivenSchools(request: KnownSchoolsRequest): Promise<void> {
  const { given, config } = request;
  if (given.length === 0) return;
  if (config.schools !== undefined) {
    const unknown = given.filter((school) => !includesIgnoringCase(config.schools ?? [], school));
    if (unknown.length > 0) throw unknownSchoolsError(unknown, config.schools, "the config's schools");
    return;
  }

  const rosterSchools = distinctIgnoringCase(request.roster.records.flatMap((record) => record.schools));
  const unknown: string[] = [];
  for (const school of given) {
    if (includesIgnoringCase(rosterSchools, school)) continue;
    if (!(await directoryHasSchool(request, school))) unknown.push(school);
  }
  if (unknown.length === 0) return;
  // Only on this error path are all of the directory's schools read, to say which ones exist.
  const known = distinctIgnoringCase([...(await directorySchools(request)), ...rosterSchools]);
  throw unknownSchoolsError(unknown, known, 'the directory and the roster');
}

/** This source's users and groups, the entries a run's scope is made of. */
function ownEntries(request: KnownSchoolsRequest, ...more: Filter[]): Filter {
  const names = request.layout.attributes;
  return and(
    or(eq('objectClass', 'inetOrgPerson'), eq('objectClass', 'rostersyncGroup')),
    eq(names.sourceUid, request.config.source_uid),
    ...more,
  );
}

async function directoryHasSchool(request: KnownSchoolsRequest, school: string): Promise<boolean> {
  const { directory, layout } = request;
  // One entry answers the question: a page of one, and the search stops there.
  for await (const _entry of directory.search(layout.baseDn, {
    scope: 'sub',
    filter: ownEntries(request, eq(layout.attributes.school, school)),
    attributes: [],
    pageSize: 1,
  })) {
    return true;
  }
  return false;
}

async function directorySchools(request: KnownSchoolsRequest): Promise<string[]> {
  const { directory, layout } = request;
  const school = layout.attributes.school;
  const schools: string[] = [];
  for await (const entry of directory.search(layout.baseDn, {
    scope: 'sub',
    filter: ownEntries(request),
    attributes: [school],
  })) {
    schools.push(...(entry.attributes[school] ?? []));
  }
  return schools;
}

function unknownSchoolsError(unknown: readonly string[], known: readonly string[], from: string): UsageError {
  const names = unknown.map((school) => `'${school}'`).join(', ');
  const list = known.length === 0 ? 'none' : [...known].sort().join(', ');
  return new UsageError(
    `--school: unknown school${unknown.length > 1 ? 's' : ''} ${names}; known schools (from ${from}): ${list}`,
  );
}

function includesIgnoringCase(schools: readonly string[], school: string): boolean {
  const wanted = school.toLowerCase();
  return schools.some((candidate) => candidate.toLowerCase() === wanted);
}

/** The first spelling of each school wins. */
function distinctIgnoringCase(schools: readonly string[]): string[] {
  const byKey = new Map<string, string>();
  for (const school of schools) if (!byKey.has(school.toLowerCase())) byKey.set(school.toLowerCase(), school);
  return [...byKey.values()];
}
