/**
 * What a user's entry should hold according to the roster, and the smallest set of changes that gets an
 * existing entry there. Only what changed is written; values compare the way the server's matching rules
 * do (schools and roles case-insensitively), so a re-import of the same roster changes nothing.
 */
import { sameList } from '../arrays.js';
import type { AttributeNames } from '../config/index.js';
import type { Modification } from '../directory/index.js';
import type { RosterRecord } from '../roster/index.js';
import type { DirectoryUser } from '../snapshot/types.js';
import type { Scope } from './scope.js';

export interface DesiredUser {
  /** The first of this run's schools in the record: what the user is reported under. */
  primarySchool: string;
  /** The record's first school, in scope or not: the container the entry belongs in. */
  placementSchool: string;
  schools: string[];
  roles: string[];
  /** Attribute → values, for every attribute the roster governs. Empty = the attribute must be absent. */
  attributes: Record<string, string[]>;
}

/** The record's first school, in scope or not: the container its entry belongs in. */
export function placementSchool(record: { schools: readonly string[] }): string {
  return record.schools[0] ?? '';
}

export function roleValue(role: string, school: string): string {
  return `${role}:school:${school}`;
}

/** The school of a `ROLE:school:SCHOOL` value. */
export function schoolOfRole(value: string): string | undefined {
  const parts = value.split(':school:');
  return parts.length === 2 ? parts[1] : undefined;
}

/** `teacher` of `teacher:school:gym1`; a value without a school is a role name already. */
export function roleNameOf(value: string): string {
  const school = schoolOfRole(value);
  return school === undefined ? value : value.slice(0, value.length - `:school:${school}`.length);
}

const uniqueSorted = (values: string[], fold: (value: string) => string): string[] =>
  values.length < 2
    ? values
    : [...new Map(values.map((value) => [fold(value), value])).values()].sort((a, b) =>
        fold(a).localeCompare(fold(b)),
      );
const lower = (value: string): string => value.toLowerCase();
const exact = (value: string): string => value;

function roleValues(roles: readonly string[], schools: readonly string[], kept: readonly string[]): string[] {
  return uniqueSorted(
    [...schools.flatMap((school) => roles.map((role) => roleValue(role, school))), ...kept],
    lower,
  );
}

/**
 * The role values of a record's (shared) roles in all of its (shared) schools: computed once per pair of
 * lists and shared, frozen, by every user with the same ones, as the lists themselves are.
 */
const rolesBySchools = new WeakMap<readonly string[], WeakMap<readonly string[], string[]>>();
function sharedRoles(roles: readonly string[], schools: readonly string[]): string[] {
  let bySchools = rolesBySchools.get(roles);
  if (bySchools === undefined) rolesBySchools.set(roles, (bySchools = new WeakMap()));
  let values = bySchools.get(schools);
  if (values === undefined)
    bySchools.set(schools, (values = Object.freeze(roleValues(roles, schools, [])) as string[]));
  return values;
}

/**
 * The schools a user holding `record` has after a run in `scope`, sorted, with `kept` (a scoped run's other
 * schools): usually the record's own list, which is shared by every record with the same schools, so an
 * outcome keeps that one rather than a copy per user.
 */
export function schoolsOfRecord(record: RosterRecord, scope: Scope, kept: readonly string[] = []): string[] {
  const { schools } = record;
  if (kept.length === 0 && schools.length === 1 && scope.includes(schools[0] ?? '')) return schools;
  const sorted = uniqueSorted([...schools.filter((school) => scope.includes(school)), ...kept], lower);
  return sameList(sorted, schools) ? schools : sorted;
}

export function desiredUser(
  record: RosterRecord,
  existing: DirectoryUser | undefined,
  scope: Scope,
  names: AttributeNames,
): DesiredUser {
  const ownSchools = record.schools.filter((school) => scope.includes(school));
  // A scoped run manages only its own schools; memberships elsewhere stay as they are.
  const keptSchools = (existing?.schools ?? []).filter((school) => !scope.includes(school));
  const keptRoles = (existing?.roles ?? []).filter((value) => {
    const school = schoolOfRole(value);
    return school !== undefined && !scope.includes(school);
  });
  const schools = schoolsOfRecord(record, scope, keptSchools);
  const roles =
    keptRoles.length === 0 && ownSchools.length === record.schools.length
      ? sharedRoles(record.roles, record.schools)
      : roleValues(record.roles, ownSchools, keptRoles);
  // One frozen list for both: the plan of a large first import holds one list less per user.
  const fullName = Object.freeze([`${record.firstname} ${record.lastname}`]) as string[];
  const attributes: Record<string, string[]> = {
    givenName: [record.firstname],
    sn: [record.lastname],
    cn: fullName,
    displayName: fullName,
    [names.school]: schools,
    [names.role]: roles,
  };
  if (record.email !== undefined) attributes.mail = [record.email];
  for (const [attribute, values] of Object.entries(record.attributes)) attributes[attribute] = values;
  return {
    primarySchool: ownSchools[0] ?? record.schools[0] ?? '',
    placementSchool: placementSchool(record),
    schools,
    roles,
    attributes,
  };
}

/** `text` is `first + ' ' + last`, without building that string. */
function isFullName(text: string, first: string, last: string): boolean {
  return (
    text.length === first.length + 1 + last.length &&
    text.startsWith(first) &&
    text.charCodeAt(first.length) === 32 &&
    text.endsWith(last)
  );
}

function hasNone(record: Readonly<Record<string, unknown>>): boolean {
  for (const _ in record) return false;
  return true;
}

/**
 * True when the entry already holds, value for value and in the same order, what a record of one school
 * wants: the usual case of a re-import, answered without building the desired state. When it says true,
 * `desiredUser` would give the record's own school list, and `diffUser` no change; when it says false,
 * the full comparison decides (values equal but for case or order, several schools, a scoped run that keeps
 * other schools, `attr:` columns all go that way).
 */
export function holdsRecord(
  user: DirectoryUser,
  record: RosterRecord,
  scope: Scope,
  names: AttributeNames,
): boolean {
  const [school] = record.schools;
  if (school === undefined || record.schools.length !== 1 || !hasNone(record.attributes)) return false;
  // The entry's one school is the record's, and its roles all name that school (below): a scoped run that
  // manages it keeps nothing of the entry's beside the record's.
  if (!scope.includes(school)) return false;
  const { firstname, lastname } = record;
  return (
    firstname !== '' &&
    lastname !== '' &&
    user.firstname === firstname &&
    user.lastname === lastname &&
    isFullName(user.commonName, firstname, lastname) &&
    isFullName(user.displayName, firstname, lastname) &&
    (record.email === undefined || (record.email !== '' && user.email === record.email)) &&
    user.schools.length === 1 &&
    user.schools[0] === school &&
    sameList(user.roles, sharedRoles(record.roles, record.schools)) &&
    // Schools and roles kept in attributes of their own, as they are unless a mapping says otherwise.
    !NAMED_FIELDS.has(names.school) &&
    !NAMED_FIELDS.has(names.role)
  );
}

/** The attributes `desiredUser` fills from the record's names and address. */
const NAMED_FIELDS: ReadonlySet<string> = new Set(['givenName', 'sn', 'cn', 'displayName', 'mail']);

/** Which comparison the server applies: case-insensitive for schools and roles, exact for the rest. */
function foldFor(attribute: string, names: AttributeNames): (value: string) => string {
  return attribute === names.school || attribute === names.role || attribute === 'mail' ? lower : exact;
}

function currentValues(user: DirectoryUser, attribute: string, names: AttributeNames): string[] {
  switch (attribute) {
    case 'givenName':
      return user.firstname ? [user.firstname] : [];
    case 'sn':
      return user.lastname ? [user.lastname] : [];
    case 'cn':
      return user.commonName ? [user.commonName] : [];
    case 'displayName':
      return user.displayName ? [user.displayName] : [];
    case 'mail':
      return user.email ? [user.email] : [];
    default:
      if (attribute === names.school) return user.schools;
      if (attribute === names.role) return user.roles;
      return user.mapped[attribute] ?? [];
  }
}

/** Roster field names of attributes, for a plan people can read. */
function fieldOf(attribute: string, names: AttributeNames): string {
  if (attribute === 'givenName') return 'firstname';
  if (attribute === 'sn') return 'lastname';
  if (attribute === 'cn' || attribute === 'displayName') return 'name';
  if (attribute === 'mail') return 'email';
  if (attribute === names.school) return 'schools';
  if (attribute === names.role) return 'roles';
  return `attr:${attribute}`;
}

export function sameValues(a: string[], b: string[], fold: (value: string) => string): boolean {
  if (a.length !== b.length) return false;
  // The usual case on a re-import: the server returns the values as they were written.
  if (a.every((value, index) => value === b[index])) return true;
  const left = new Set(a.map(fold));
  return b.every((value) => left.has(fold(value)));
}

export interface UserDiff {
  changes: Modification[];
  fields: string[];
}

export function diffUser(user: DirectoryUser, desired: DesiredUser, names: AttributeNames): UserDiff {
  const changes: Modification[] = [];
  const fields = new Set<string>();
  for (const [attribute, values] of Object.entries(desired.attributes)) {
    const current = currentValues(user, attribute, names);
    if (sameValues(current, values, foldFor(attribute, names))) continue;
    if (values.length === 0) changes.push({ operation: 'delete', attribute, values: [] });
    else changes.push({ operation: 'replace', attribute, values });
    fields.add(fieldOf(attribute, names));
  }
  return { changes, fields: [...fields] };
}
