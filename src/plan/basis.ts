/** What a plan was based on: the digest of the effective config, computed the same way every time. */
import { createHash } from 'node:crypto';
import type { Config } from '../config/index.js';
import { normalizeDn } from '../directory/index.js';
import type { PlanAction, PlanBasis } from './types.js';

/** JSON with object keys sorted at every level, so equal configs give equal text whatever their order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** SHA-256 (hex) of the effective config. It holds no secrets: those come from files and env. */
export function configDigest(config: Config): string {
  return createHash('sha256').update(canonicalJson(config)).digest('hex');
}

/** The entries an action writes: `csn` for one that must be as planned, `absent` for one it creates. */
export function touchedBy(action: PlanAction): { csn: string[]; absent: string[] } {
  switch (action.kind) {
    case 'create-container':
    case 'create':
    case 'create-group':
      return { csn: [], absent: [action.dn] };
    case 'restore':
      return { csn: action.reservation ? [action.reservation] : [], absent: [action.dn] };
    case 'move':
      return { csn: [action.dn], absent: [action.newDn] };
    case 'delete':
      return {
        csn: [action.dn],
        absent: action.reservation ? [action.reservation.dn] : [],
      };
    case 'write-retirement-states':
      return { csn: [], absent: [] };
    default:
      return { csn: [action.dn], absent: [] };
  }
}

/**
 * What a held plan (SPEC §11) records of the directory besides the config: the `entryCSN` each touched entry
 * had when planned (from `csnOf`, by normalized DN), the absence of each entry it adds, and the names it gives
 * out. An entry whose CSN was not read is left out rather than guessed.
 */
export function heldBasis(
  actions: readonly PlanAction[],
  csnOf: (normalizedDn: string) => string | undefined,
): Required<Omit<PlanBasis, 'configDigest'>> {
  const entries: Record<string, string | null> = {};
  const usernames = new Set<string>();
  const emails = new Set<string>();
  for (const action of actions) {
    const { csn, absent } = touchedBy(action);
    for (const dn of absent) entries[dn] ??= null;
    for (const dn of csn) {
      const value = csnOf(normalizeDn(dn));
      if (value !== undefined && entries[dn] === undefined) entries[dn] = value;
    }
    if (action.kind === 'create') {
      usernames.add(action.username.toLowerCase());
      for (const mail of action.attributes.mail ?? []) emails.add(mail.toLowerCase());
    }
    if (action.kind === 'modify') {
      for (const change of action.changes)
        if (change.attribute === 'mail' && change.operation !== 'delete')
          for (const mail of change.values) emails.add(mail.toLowerCase());
    }
  }
  return { entries, names: { usernames: [...usernames], emails: [...emails] } };
}
