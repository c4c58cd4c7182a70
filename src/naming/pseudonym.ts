/**
 * The pseudonyms of a retired user (SPEC §8), as Open edX's `user_util` makes them so that an LMS retiring
 * the same people with the same salts arrives at the same names: HASH(v) = lower-case hex of
 * SHA-1(salt ‖ lower-case v) (or SHA-256), then a prefix, and for the e-mail address a domain. Pure.
 */
import { createHash } from 'node:crypto';

export type RetirementHash = 'sha1' | 'sha256';

export interface PseudonymSettings {
  username_prefix: string;
  email_prefix: string;
  email_domain: string;
  hash: RetirementHash;
}

/** The record uid of a retired user starts with this, so no roster row ever matches it again. */
export const RETIRED_RECORD_PREFIX = 'retired__';

/** HASH(value) under one salt: the salt's bytes, then the lower-cased value's, both UTF-8. */
export function retiredHash(value: string, salt: string, hash: RetirementHash = 'sha1'): string {
  return createHash(hash).update(salt, 'utf8').update(value.toLowerCase(), 'utf8').digest('hex');
}

export const retiredUsername = (username: string, salt: string, settings: PseudonymSettings): string =>
  settings.username_prefix + retiredHash(username, salt, settings.hash);

export const retiredEmail = (email: string, salt: string, settings: PseudonymSettings): string =>
  `${settings.email_prefix}${retiredHash(email, salt, settings.hash)}@${settings.email_domain}`;

export const retiredRecordUid = (recordUid: string, salt: string, settings: PseudonymSettings): string =>
  RETIRED_RECORD_PREFIX + retiredHash(recordUid, salt, settings.hash);

/**
 * Every name `username` would have had if it was retired under any of `salts`: a name is retired when one
 * of these is in the directory (old salts stay, so names retired before a salt change stay taken).
 */
export function retiredUsernameCandidates(
  username: string,
  salts: readonly string[],
  settings: PseudonymSettings,
): string[] {
  return salts.map((salt) => retiredUsername(username, salt, settings));
}

export function retiredEmailCandidates(
  email: string,
  salts: readonly string[],
  settings: PseudonymSettings,
): string[] {
  return salts.map((salt) => retiredEmail(email, salt, settings));
}
