/**
 * Reads what ownership planning needs (SPEC §8, seed 003): every entry under the base DN whose `owner` names
 * a user the run removes, found by the server a batch of users at a time, and the `owner` values of the
 * ancestors such an entry may inherit its next owner from. Nothing here writes.
 */
import { anyOf, type Directory, isDescendantOf, normalizeDn, parentDn } from '../directory/index.js';
import type { LeavingUser } from './types.js';

/** An entry that a leaving user owns. */
export interface OwnedEntry {
  dn: string;
  /** Every owner value it has, as it spells them. */
  owner: string[];
  entryCSN?: string | undefined;
}

export interface OwnershipSnapshot {
  /** Entries whose `owner` names one of the users. */
  owned: OwnedEntry[];
  /**
   * The owner values of the ancestors (up to the base DN) of entries the users own every owner of, by
   * normalized DN; an ancestor missing here has none.
   */
  ancestorOwners: ReadonlyMap<string, readonly string[]>;
}

/** How many users one search for the entries they own looks for. */
const OWNER_BATCH = 100;

/**
 * Reads the entries `users` own and, when an entry may be left without an owner and `inherit` decides the
 * next one, the owners of its ancestors: each ancestor read once, however many entries lie below it.
 */
export async function readOwnership(
  directory: Directory,
  baseDn: string,
  users: readonly LeavingUser[],
  inherit: boolean,
): Promise<OwnershipSnapshot> {
  const owned = await readOwnedEntries(directory, baseDn, users);
  const ancestorOwners = new Map<string, readonly string[]>();
  if (!inherit || owned.length === 0) return { owned, ancestorOwners };
  const leaving = new Set(users.map((user) => normalizeDn(user.dn)));
  // Only an entry all of whose owners leave needs a new one; the run may keep some users, never add any.
  const orphans = owned.filter((entry) => entry.owner.every((owner) => leaving.has(normalizeDn(owner))));
  const reads = new Map<string, Promise<void>>();
  const readOwners = (dn: string): Promise<void> => {
    const key = normalizeDn(dn);
    let read = reads.get(key);
    if (!read) {
      read = directory.searchOne(dn, ['owner']).then((entry) => {
        const owners = entry?.attributes.owner ?? [];
        if (owners.length > 0) ancestorOwners.set(key, owners);
      });
      reads.set(key, read);
    }
    return read;
  };
  await Promise.all(orphans.flatMap((entry) => ancestorsOf(entry.dn, baseDn).map(readOwners)));
  return { owned, ancestorOwners };
}

/** The DNs above `dn` up to and including `baseDn`, nearest first. */
function ancestorsOf(dn: string, baseDn: string): string[] {
  const ancestors: string[] = [];
  const base = normalizeDn(baseDn);
  for (let parent = parentDn(dn); parent; parent = parentDn(parent)) {
    if (normalizeDn(parent) === base) return [...ancestors, parent];
    if (!isDescendantOf(parent, baseDn)) break;
    ancestors.push(parent);
  }
  return ancestors;
}

async function readOwnedEntries(
  directory: Directory,
  baseDn: string,
  users: readonly LeavingUser[],
): Promise<OwnedEntry[]> {
  const entries = new Map<string, OwnedEntry>();
  for (let start = 0; start < users.length; start += OWNER_BATCH) {
    const dns = users.slice(start, start + OWNER_BATCH).map((user) => user.dn);
    for await (const entry of directory.search(baseDn, {
      scope: 'sub',
      filter: anyOf('owner', dns),
      attributes: ['owner', 'entryCSN'],
    })) {
      entries.set(normalizeDn(entry.dn), {
        dn: entry.dn,
        owner: entry.attributes.owner ?? [],
        entryCSN: entry.attributes.entryCSN?.[0],
      });
    }
  }
  return [...entries.values()];
}
