/**
 * The deletion grace table of SPEC §4.5 (seed 002, to the letter) for one in-scope user missing from the
 * roster: delete now, purge timestamp only, lock now + purge timestamp, or an end date later + purge
 * timestamp. Dates are sticky: they count from the first import that missed the user, and a later import
 * that still misses it moves nothing. Pure: plain values in, a decision out.
 */
import { dayStartInZone, parseGeneralizedTime, toGeneralizedTime } from '../dates.js';
import type { Modification } from '../directory/index.js';
import type { DirectoryUser } from '../snapshot/types.js';
import { expireLaterChanges, lockNowChanges } from './deactivation.js';
import type { AttributeNames } from '../config/index.js';

export interface GracePeriod {
  /** Days until the account stops working (0: at once). */
  deactivation: number;
  /** Days until the purge deletes it (0: the import deletes it now). */
  deletion: number;
}

export type GraceDecision =
  /** Row 1: deleted by this import. */
  | { kind: 'delete' }
  /** Row 2: stays active; the purge deletes it on `purgeAt`. */
  | { kind: 'schedule-deletion'; purgeAt: string; changes: Modification[] }
  /** Rows 3 and 4: locked now, or refused by the server from `deactivateAt` on; purged on `purgeAt`. */
  | {
      kind: 'deactivate';
      when: 'now' | 'later';
      deactivateAt: string;
      purgeAt: string;
      changes: Modification[];
    }
  /** Everything the table asks for is there already (a later import that still misses the user). */
  | { kind: 'unchanged' };

export function graceDecision(
  user: DirectoryUser,
  period: GracePeriod,
  timeZone: string,
  now: Date,
  names: AttributeNames,
): GraceDecision {
  const { deactivation, deletion } = period;
  if (deletion === 0) return { kind: 'delete' };

  const missingSince = user.missingSince !== undefined ? parseGeneralizedTime(user.missingSince) : now;
  const purgeAt = dayStartInZone(missingSince, timeZone, deletion);
  const sticky: Modification[] = [];
  if (user.missingSince === undefined) {
    sticky.push({ operation: 'replace', attribute: names.missingSince, values: [toGeneralizedTime(now)] });
  }
  if (user.purgeTimestamp === undefined) {
    sticky.push({
      operation: 'replace',
      attribute: names.purgeTimestamp,
      values: [toGeneralizedTime(purgeAt)],
    });
  }

  if (deletion <= deactivation) {
    return sticky.length === 0
      ? { kind: 'unchanged' }
      : { kind: 'schedule-deletion', purgeAt: toGeneralizedTime(purgeAt), changes: sticky };
  }

  // Only an earlier grace decision counts (it wrote missingSince): a lifecycle stamp may date a lock that
  // is gone or a lockout that lapses, and lockNowChanges/expireLaterChanges leave an admin lock alone.
  const alreadyDeactivated = user.missingSince !== undefined;
  const when = deactivation === 0 ? 'now' : 'later';
  const deactivateAt = when === 'now' ? now : dayStartInZone(missingSince, timeZone, deactivation);
  const enforce = alreadyDeactivated
    ? []
    : when === 'now'
      ? lockNowChanges(user, now, names)
      : expireLaterChanges(user, deactivateAt, timeZone, names);
  const changes = [...enforce, ...sticky];
  if (changes.length === 0) return { kind: 'unchanged' };
  return {
    kind: 'deactivate',
    when,
    deactivateAt: toGeneralizedTime(deactivateAt),
    purgeAt: toGeneralizedTime(purgeAt),
    changes,
  };
}
