/**
 * Whether a held plan still matches the directory (SPEC §11): each entry it writes has the `entryCSN` it had
 * when planned, each entry it adds is still absent, and each name it gives out is still free. Read with
 * batched searches by DN (`entryDN`, which OpenLDAP lets a filter match) and by name.
 */
import type { Config } from '../config/index.js';
import { anyOf, type Directory, eq, isDescendantOf, normalizeDn, or } from '../directory/index.js';
import type { PlanBasis } from '../plan/types.js';
import { ENTRY_CSN } from '../snapshot/read.js';

/** An entry or name that moved since the plan was made. */
export interface MovedEntry {
  dn: string;
  reason: string;
}

/** How many DNs or names one search looks for. */
const BATCH = 100;

function batches<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let start = 0; start < items.length; start += BATCH) out.push(items.slice(start, start + BATCH));
  return out;
}

/** The current CSN of each of `dns` that exists, by normalized DN. */
export async function readCsns(
  directory: Directory,
  baseDn: string,
  dns: readonly string[],
): Promise<Map<string, string>> {
  const csns = new Map<string, string>();
  const below = dns.filter((dn) => isDescendantOf(dn, baseDn));
  const elsewhere = dns.filter((dn) => !isDescendantOf(dn, baseDn));
  for (const batch of batches(below)) {
    for await (const entry of directory.search(baseDn, {
      scope: 'sub',
      filter: anyOf('entryDN', batch),
      attributes: [ENTRY_CSN],
    })) {
      csns.set(normalizeDn(entry.dn), entry.attributes[ENTRY_CSN]?.[0] ?? '');
    }
  }
  // Outside the base DN (a `purge.move_to_dn` elsewhere, the base's own parents): one read each.
  for (const dn of elsewhere) {
    const entry = await directory.searchOne(dn, [ENTRY_CSN]);
    if (entry) csns.set(normalizeDn(dn), entry.attributes[ENTRY_CSN]?.[0] ?? '');
  }
  return csns;
}

/**
 * The entries and names that moved since the plan was made, at most `limit` of them, in the plan's order.
 * `exempt` (normalized DNs): entries an earlier, interrupted run of this plan wrote, whose CSNs are new by design.
 */
export async function findMoved(
  directory: Directory,
  config: Config,
  basis: Required<Omit<PlanBasis, 'configDigest'>>,
  exempt: ReadonlySet<string>,
  limit = 10,
): Promise<MovedEntry[]> {
  const baseDn = config.ldap.base_dn;
  const checked = Object.entries(basis.entries).filter(([dn]) => !exempt.has(normalizeDn(dn)));
  const current = await readCsns(
    directory,
    baseDn,
    checked.map(([dn]) => dn),
  );
  const moved: MovedEntry[] = [];
  for (const [dn, planned] of checked) {
    const now = current.get(normalizeDn(dn));
    if (planned === null && now !== undefined) moved.push({ dn, reason: 'exists now; the plan creates it' });
    else if (planned !== null && now === undefined) moved.push({ dn, reason: 'is gone' });
    else if (planned !== null && now !== planned)
      moved.push({ dn, reason: `changed since the plan was made (entryCSN ${planned} → ${now ?? ''})` });
    if (moved.length >= limit) return moved;
  }

  // A name the plan gives out, held now by an entry the plan does not write (those are checked above).
  const touched = new Set(Object.keys(basis.entries).map(normalizeDn));
  const usernames = new Set(basis.names.usernames);
  const wanted = [
    ...basis.names.usernames.map((name) => ['uid', name] as const),
    ...basis.names.emails.map((mail) => ['mail', mail] as const),
  ];
  for (const batch of batches(wanted)) {
    const filter = or(...batch.map(([type, value]) => eq(type, value)));
    for await (const entry of directory.search(baseDn, {
      scope: 'sub',
      filter,
      attributes: ['uid', 'mail'],
    })) {
      if (touched.has(normalizeDn(entry.dn)) || exempt.has(normalizeDn(entry.dn))) continue;
      const uid = (entry.attributes.uid ?? []).find((value) => usernames.has(value.toLowerCase()));
      const mail = (entry.attributes.mail ?? []).find((value) =>
        basis.names.emails.includes(value.toLowerCase()),
      );
      moved.push({
        dn: entry.dn,
        reason:
          uid !== undefined
            ? `holds username ${uid}, which the plan gives out`
            : `holds address ${mail ?? ''}, which the plan gives out`,
      });
      if (moved.length >= limit) return moved;
    }
  }
  return moved;
}
