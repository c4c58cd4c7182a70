/**
 * How deactivation is enforced by the server and undone again (SPEC §3), for the `openldap` profile:
 * deactivate now = ppolicy admin lock; deactivate on a later day = `pwdEndTime`; both also set
 * `shadowExpire` on shadowAccount entries. `rostersyncDeactivatedTimestamp` records that rostersync did
 * it, so that reactivation lifts only what rostersync set and never a lock an admin set by hand. A lock a
 * lifecycle run found without that stamp gets it too (its `deactivated` trigger needs a time), along with
 * `rostersyncLockFound`, which keeps the lock the admin's.
 */
import type { Modification } from '../directory/index.js';
import { ADMIN_LOCK_TIME, parseGeneralizedTime, toGeneralizedTime } from '../dates.js';
import type { DirectoryUser } from '../snapshot/types.js';
import { type AttributeNames, attributeNames, type Config } from '../config/index.js';
import type { DeleteUserAction } from './types.js';

const isShadowAccount = (user: Pick<DirectoryUser, 'objectClasses'>): boolean =>
  user.objectClasses.some((objectClass) => objectClass.toLowerCase() === 'shadowaccount');

const sameInstant = (a: string | undefined, b: string | undefined): boolean => {
  if (a === undefined || b === undefined) return false;
  try {
    return parseGeneralizedTime(a).getTime() === parseGeneralizedTime(b).getTime();
  } catch {
    return false;
  }
};

const remove = (attribute: string): Modification => ({ operation: 'delete', attribute, values: [] });

/**
 * The changes that lock the user now (grace row 3). A permanent lock an admin set is already stricter and
 * stays theirs (with the stamp and mark of a lifecycle run that found it); a temporary lockout after failed
 * binds would lapse, so it is replaced by the permanent one, which is then rostersync's own.
 */
export function lockNowChanges(
  user: Pick<DirectoryUser, 'lockedTime' | 'lockFound' | 'objectClasses'>,
  now: Date,
  names: AttributeNames,
): Modification[] {
  const changes: Modification[] = [];
  if (user.lockedTime === ADMIN_LOCK_TIME) return changes;
  changes.push({ operation: 'replace', attribute: 'pwdAccountLockedTime', values: [ADMIN_LOCK_TIME] });
  changes.push({
    operation: 'replace',
    attribute: names.deactivatedTimestamp,
    values: [toGeneralizedTime(now)],
  });
  if (user.lockFound) changes.push(remove(names.lockFound));
  if (isShadowAccount(user)) {
    // Day 1 of the epoch: long past, so every shadow-aware service refuses the account at once.
    changes.push({ operation: 'replace', attribute: 'shadowExpire', values: ['1'] });
  }
  return changes;
}

/** `shadowExpire` counts days since 1970-01-01 of the calendar date in the configured zone. */
function localEpochDays(at: Date, timeZone: string): number {
  const [year = 1970, month = 1, day = 1] = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  })
    .format(at)
    .split('-')
    .map(Number);
  return Math.floor(Date.UTC(year, month - 1, day) / 86_400_000);
}

/** The changes that end the account on a later day, enforced by the server (grace row 4). */
export function expireLaterChanges(
  user: DirectoryUser,
  at: Date,
  timeZone: string,
  names: AttributeNames,
): Modification[] {
  const changes: Modification[] = [];
  // A permanent admin lock, or an admin end time on or before ours, already ends the account sooner.
  if (user.lockedTime === ADMIN_LOCK_TIME) return changes;
  if (user.endTime !== undefined && !isLater(user.endTime, at)) return changes;
  const time = toGeneralizedTime(at);
  changes.push({ operation: 'replace', attribute: 'pwdEndTime', values: [time] });
  changes.push({ operation: 'replace', attribute: names.deactivatedTimestamp, values: [time] });
  // An admin's later end time is kept aside and comes back if the user returns.
  if (user.endTime !== undefined) {
    changes.push({ operation: 'replace', attribute: names.priorEndTime, values: [user.endTime] });
  }
  if (isShadowAccount(user)) {
    changes.push({
      operation: 'replace',
      attribute: 'shadowExpire',
      values: [String(localEpochDays(at, timeZone))],
    });
  }
  return changes;
}

function isLater(generalizedTime: string, than: Date): boolean {
  try {
    return parseGeneralizedTime(generalizedTime).getTime() > than.getTime();
  } catch {
    return true; // unreadable: do not trust it to end the account
  }
}

export interface Reactivation {
  changes: Modification[];
  /** What stays because an admin set it by hand. */
  keptByAdmin: string[];
}

/**
 * What a lifecycle run writes on a lock it finds without rostersync's stamp (SPEC §7): the stamp, the
 * reference time of the `deactivated` trigger, and the mark that the lock is not rostersync's to lift.
 */
export function stampFoundLockChanges(now: Date, names: AttributeNames): Modification[] {
  return [
    { operation: 'replace', attribute: names.deactivatedTimestamp, values: [toGeneralizedTime(now)] },
    { operation: 'replace', attribute: names.lockFound, values: ['TRUE'] },
  ];
}

/** Undoes what rostersync's deletion grace did, and only that. */
export function reactivation(user: DirectoryUser, names: AttributeNames): Reactivation {
  const changes: Modification[] = [];
  const keptByAdmin: string[] = [];
  const ours = user.deactivatedTimestamp;
  // A found lock stays an admin's, and its stamp and mark stay with it: they only date it.
  const foundLock = user.lockFound && user.lockedTime !== undefined;
  const ourExpiry = ours !== undefined && sameInstant(user.endTime, ours);
  const ourLock = ours !== undefined && !user.lockFound && !ourExpiry && user.lockedTime === ADMIN_LOCK_TIME;

  if (user.lockedTime !== undefined) {
    if (ourLock) changes.push(remove('pwdAccountLockedTime'));
    else keptByAdmin.push(`pwdAccountLockedTime=${user.lockedTime}`);
  }
  if (user.endTime !== undefined) {
    if (ourExpiry && user.priorEndTime !== undefined) {
      changes.push({ operation: 'replace', attribute: 'pwdEndTime', values: [user.priorEndTime] });
      keptByAdmin.push(`pwdEndTime=${user.priorEndTime}`);
    } else if (ourExpiry) changes.push(remove('pwdEndTime'));
    else keptByAdmin.push(`pwdEndTime=${user.endTime}`);
  }
  if (user.priorEndTime !== undefined) changes.push(remove(names.priorEndTime));
  if (user.shadowExpire !== undefined && ours !== undefined && (ourLock || ourExpiry)) {
    changes.push(remove('shadowExpire'));
  }
  if (ours !== undefined && !foundLock) changes.push(remove(names.deactivatedTimestamp));
  // The found lock is gone (lifted by hand): its mark goes with the stamp.
  if (user.lockFound && !foundLock) changes.push(remove(names.lockFound));
  if (user.missingSince !== undefined) changes.push(remove(names.missingSince));
  if (user.purgeTimestamp !== undefined) changes.push(remove(names.purgeTimestamp));
  // Back in the roster, the user starts afresh with the lifecycle rules too (SPEC §7).
  if (user.warnedAt !== undefined) changes.push(remove(names.warningTimestamp));
  if (user.warningRule !== undefined) changes.push(remove(names.warningRule));
  if (user.keptAt !== undefined) changes.push(remove(names.keptTimestamp));
  return { changes, keptByAdmin };
}

/**
 * Whether rostersync's deletion grace has marked this user (missing from the roster before). The grace
 * table writes `missingSince` with every lock it sets; a lock stamped without it is the lifecycle's (or
 * one a lifecycle run found), which a user in the roster keeps.
 */
export function isMarkedMissing(user: DirectoryUser): boolean {
  return user.missingSince !== undefined || user.purgeTimestamp !== undefined;
}

/**
 * What `purge.mode: move` writes before it moves the entry: the admin lock with the time rostersync set it
 * (as every lock of rostersync's), and the mark that the user has left its source
 * (`rostersyncRemovedTimestamp`), so no later import, purge or lifecycle run acts on it.
 */
export function moveOutChanges(now: Date, names: AttributeNames): Modification[] {
  return [
    { operation: 'replace', attribute: 'pwdAccountLockedTime', values: [ADMIN_LOCK_TIME] },
    { operation: 'replace', attribute: names.deactivatedTimestamp, values: [toGeneralizedTime(now)] },
    removedMark(now, names),
  ];
}

/** The mark alone, for an entry an integrator's `doDelete` kept in place. */
export function removedMark(now: Date, names: AttributeNames): Modification {
  return { operation: 'replace', attribute: names.removedTimestamp, values: [toGeneralizedTime(now)] };
}

/** What doDelete will do with a user's entry under `purge.mode` (see DeleteUserAction). */
export function deleteMode(
  config: Config,
  now: Date,
): Pick<DeleteUserAction, 'mode' | 'moveTo' | 'moveChanges'> {
  if (config.purge.mode === 'retire') return { mode: 'retire' };
  return config.purge.mode === 'move' && config.purge.move_to_dn !== undefined
    ? {
        mode: 'move',
        moveTo: config.purge.move_to_dn,
        moveChanges: moveOutChanges(now, attributeNames(config)),
      }
    : { mode: 'delete' };
}
