/**
 * What `rostersync retirement status|check|set` read (SPEC §8): this source's users in retirement, and
 * whether a name is retired — found by its hashes under every salt, the only trace a retired name leaves.
 */
import type { AttributeNames, Config } from '../config/index.js';
import { and, anyOf, type Directory, eq, or, present } from '../directory/index.js';
import type { DirectoryLayout } from '../directory/layout.js';
import { retiredEmailCandidates, retiredRecordUid, retiredUsernameCandidates } from '../naming/index.js';
import { pseudonymSettings } from '../plan/retirement.js';

export interface RetiringUser {
  dn: string;
  username: string;
  recordUid: string;
  state: string;
  updated: string | undefined;
  error: string | undefined;
}

const first = (attributes: Record<string, string[]>, name: string): string | undefined =>
  attributes[name]?.[0];

/** The names a user may be given by on the command line: as it is, or as it was before its retirement. */
export function namesFor(given: string, config: Config, salts: readonly string[]): string[] {
  const settings = pseudonymSettings(config);
  return [
    given,
    ...retiredUsernameCandidates(given, salts, settings),
    ...salts.map((salt) => retiredRecordUid(given, salt, settings)),
  ];
}

/** This source's users with a retirement state; only those named (username or record uid, now or before). */
export async function readRetiringUsers(
  directory: Directory,
  layout: DirectoryLayout,
  config: Config,
  options: { names?: readonly string[]; salts?: readonly string[] } = {},
): Promise<RetiringUser[]> {
  const names = layout.attributes;
  const wanted = (options.names ?? []).flatMap((name) => namesFor(name, config, options.salts ?? []));
  const users: RetiringUser[] = [];
  for await (const entry of directory.search(layout.baseDn, {
    scope: 'sub',
    filter: and(
      eq('objectClass', 'inetOrgPerson'),
      eq(names.sourceUid, config.source_uid),
      present(names.retirementState),
      ...(wanted.length > 0 ? [or(anyOf('uid', wanted), anyOf(names.recordUid, wanted))] : []),
    ),
    attributes: [
      'uid',
      names.recordUid,
      names.retirementState,
      names.retirementUpdated,
      names.retirementError,
    ],
  })) {
    users.push(toRetiringUser(entry.dn, entry.attributes, names));
  }
  return users.sort((a, b) => a.username.localeCompare(b.username));
}

function toRetiringUser(
  dn: string,
  attributes: Record<string, string[]>,
  names: AttributeNames,
): RetiringUser {
  return {
    dn,
    username: first(attributes, 'uid') ?? '',
    recordUid: first(attributes, names.recordUid) ?? '',
    state: first(attributes, names.retirementState) ?? '',
    updated: first(attributes, names.retirementUpdated),
    error: first(attributes, names.retirementError),
  };
}

/**
 * Whether each name (a username, or an address when it has an `@`) is retired: an entry anywhere under the
 * base DN carries its pseudonym under one of the salts.
 */
export async function checkRetired(
  directory: Directory,
  layout: DirectoryLayout,
  config: Config,
  salts: readonly string[],
  given: readonly string[],
): Promise<Map<string, boolean>> {
  const settings = pseudonymSettings(config);
  const candidates = new Map(
    given.map((name) => [
      name,
      name.includes('@')
        ? { attribute: 'mail', values: retiredEmailCandidates(name, salts, settings) }
        : { attribute: 'uid', values: retiredUsernameCandidates(name, salts, settings) },
    ]),
  );
  const found = new Set<string>();
  const usernames = [...candidates.values()].filter((c) => c.attribute === 'uid').flatMap((c) => c.values);
  const emails = [...candidates.values()].filter((c) => c.attribute === 'mail').flatMap((c) => c.values);
  const filters = [
    ...(usernames.length > 0 ? [anyOf('uid', usernames)] : []),
    ...(emails.length > 0 ? [anyOf('mail', emails)] : []),
  ];
  if (filters.length > 0) {
    for await (const entry of directory.search(layout.baseDn, {
      scope: 'sub',
      filter: or(...filters),
      attributes: ['uid', 'mail'],
    })) {
      for (const value of [...(entry.attributes.uid ?? []), ...(entry.attributes.mail ?? [])]) {
        found.add(value.toLowerCase());
      }
    }
  }
  return new Map(
    [...candidates].map(([name, { values }]) => [
      name,
      values.some((value) => found.has(value.toLowerCase())),
    ]),
  );
}
