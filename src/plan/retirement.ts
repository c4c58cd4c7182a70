/**
 * What a retirement writes (SPEC §8, Open edX's user_util): the pseudonyms of a user — username, e-mail
 * address, record uid, and the DN whose RDN follows the new username — and the attributes it wipes. Pure:
 * the plan shows them, and the DIRECTORY step computes them again from the entry as it finds it, so a step
 * interrupted halfway finishes with the same names.
 */
import type { Config } from '../config/index.js';
import { dn, parentDn, rdn } from '../dn.js';
import {
  type PseudonymSettings,
  RETIRED_RECORD_PREFIX,
  retiredEmail,
  retiredRecordUid,
  retiredUsername,
} from '../naming/index.js';

export interface RetirementPseudonyms {
  /** The entry's DN after the retirement: the RDN follows the new username. */
  dn: string;
  username: string;
  /** Absent when the user has no address. */
  email?: string;
  recordUid: string;
}

/** The names as they are on the entry (some may be pseudonyms already, after an interrupted step). */
export interface NamesOnEntry {
  dn: string;
  username: string;
  email: string | undefined;
  recordUid: string;
}

export function pseudonymSettings(config: Config): PseudonymSettings {
  const { username_prefix, email_prefix, email_domain, hash } = config.retirement;
  return { username_prefix, email_prefix, email_domain, hash };
}

const HEX = { sha1: 40, sha256: 64 } as const;

/** Whether `username` is a pseudonym already: the prefix and a hash of the configured length. */
export function isRetiredUsername(username: string, settings: PseudonymSettings): boolean {
  const hash = username.slice(settings.username_prefix.length);
  return (
    username.startsWith(settings.username_prefix) &&
    new RegExp(`^[0-9a-f]{${HEX[settings.hash]}}$`).test(hash)
  );
}

function isRetiredEmail(email: string, settings: PseudonymSettings): boolean {
  const suffix = `@${settings.email_domain}`;
  if (!email.startsWith(settings.email_prefix) || !email.endsWith(suffix)) return false;
  const hash = email.slice(settings.email_prefix.length, email.length - suffix.length);
  return new RegExp(`^[0-9a-f]{${HEX[settings.hash]}}$`).test(hash);
}

/** The pseudonyms for the names on the entry, hashed with `salt` (the newest); a pseudonym stays as it is. */
export function pseudonymsFor(
  entry: NamesOnEntry,
  salt: string,
  settings: PseudonymSettings,
): RetirementPseudonyms {
  const username = isRetiredUsername(entry.username, settings)
    ? entry.username
    : retiredUsername(entry.username, salt, settings);
  const recordUid = entry.recordUid.startsWith(RETIRED_RECORD_PREFIX)
    ? entry.recordUid
    : retiredRecordUid(entry.recordUid, salt, settings);
  const email =
    entry.email === undefined || entry.email === ''
      ? undefined
      : isRetiredEmail(entry.email, settings)
        ? entry.email
        : retiredEmail(entry.email, salt, settings);
  return {
    dn: dn(rdn('uid', username), parentDn(entry.dn) ?? ''),
    username,
    ...(email !== undefined ? { email } : {}),
    recordUid,
  };
}

/**
 * The attributes a retirement removes besides the names and the password: `retirement.wipe_attributes` and
 * the attributes the import fills from `attr:` fields of the roster.
 */
export function wipedAttributes(config: Config): string[] {
  const fromRoster = Object.values(config.csv.mapping)
    .filter((field) => field.startsWith('attr:'))
    .map((field) => field.slice('attr:'.length));
  const seen = new Set<string>();
  return [...config.retirement.wipe_attributes, ...fromRoster].filter((attribute) => {
    const key = attribute.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
