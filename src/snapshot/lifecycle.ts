/**
 * What the lifecycle rules read (SPEC §7): per rule, this source's users whose trigger matches and whose
 * next step may have come, found by the server — it compares the GeneralizedTime values (`<=` filters on
 * `pwdLastSuccess`, `createTimestamp`, `pwdChangedTime`, rostersync's own times), so a run never pulls
 * every user to compare dates in Node. Users a rule has warned are read whatever their dates, so a login
 * after the warning is seen. Users in retirement (SPEC §8) and users of other sources are never read.
 */
import type { AttributeNames, LifecycleRule } from '../config/index.js';
import {
  ADMIN_LOCK_TIME,
  dayStartInZone,
  parseGeneralizedTime,
  shadowExpireDays,
  toGeneralizedTime,
} from '../dates.js';
import {
  and,
  type Directory,
  type DirectoryEntry,
  eq,
  type Filter,
  lte,
  not,
  or,
  present,
} from '../directory/index.js';
import type { DirectoryLayout } from '../directory/layout.js';
import { sourceUsersFilter } from './read.js';

/** What the engine needs to know of a user: the dates the triggers read, and the rule's own marks. */
export interface LifecycleUser {
  /** `pwdLastSuccess` (slapd's `lastbind`): the last login. */
  lastLogin: Date | undefined;
  /** `createTimestamp`. */
  created: Date | undefined;
  /** `pwdReset: TRUE`: the password is still the one an admin set. */
  mustChangePassword: boolean;
  /** `pwdChangedTime`. */
  passwordChanged: Date | undefined;
  /** `pwdAccountLockedTime` is set. */
  locked: boolean;
  /** `rostersyncDeactivatedTimestamp`: when rostersync locked it (a lock found without it is stamped). */
  deactivated: Date | undefined;
  /** `pwdEndTime`, else the day `shadowExpire` names: the account's end. */
  ends: Date | undefined;
  /** `rostersyncWarningTimestamp` and `rostersyncWarningRule`: the warning sent, and for which rule. */
  warning: { at: Date; rule: string } | undefined;
  /** `rostersyncKeptTimestamp`: an admin's keep, or the cancellation by a login after a warning. */
  kept: Date | undefined;
  /**
   * `rostersyncRuleMail`, by rule: a notify rule's mail sent, or any rule's mail the SMTP server refused.
   * Kept per rule, where the warning marks hold one rule at a time. Optional: plain values in tests.
   */
  ruleMail?: ReadonlyMap<string, RuleMailRecord>;
  /** The user has an address to warn. */
  canBeMailed: boolean;
}

/** One value of `rostersyncRuleMail`: `sent TIME RULE` or `refused TIME RULE` (rule names may hold spaces). */
export interface RuleMailRecord {
  status: 'sent' | 'refused';
  at: Date;
  /** The rule's values as stored (the newest, and any older one left over), to delete when it is replaced. */
  values: string[];
}

export function ruleMailValue(status: RuleMailRecord['status'], at: Date, rule: string): string {
  return `${status} ${toGeneralizedTime(at)} ${rule}`;
}

/** The records by rule; a value that does not parse is left out (and so stands for nothing). */
export function parseRuleMail(values: readonly string[]): Map<string, RuleMailRecord> {
  const records = new Map<string, RuleMailRecord>();
  for (const value of values) {
    const match = /^(sent|refused) (\S+) (.+)$/.exec(value);
    if (match === null) continue;
    let at: Date;
    try {
      at = parseGeneralizedTime(match[2] ?? '');
    } catch {
      continue;
    }
    const rule = match[3] ?? '';
    const known = records.get(rule);
    const values = [...(known?.values ?? []), value];
    if (known === undefined || known.at.getTime() < at.getTime())
      records.set(rule, { status: match[1] as RuleMailRecord['status'], at, values });
    else known.values = values;
  }
  return records;
}

/** A user as a rule sees it: who it is, where to mail it, and the dates its triggers read. */
export interface LifecycleEntry {
  dn: string;
  username: string;
  recordUid: string;
  firstname: string;
  lastname: string;
  mail: string | undefined;
  /** The first tag of `preferredLanguage`, lower-cased (`de-DE` → `de`). */
  language: string | undefined;
  /** Raw `ROLE:school:SCHOOL` values. */
  roles: string[];
  schools: string[];
  objectClasses: string[];
  /** `pwdAccountLockedTime` as stored: the admin lock value, or the time of a lockout. */
  lockedTime: string | undefined;
  /** `rostersyncLockFound`: the lock is not rostersync's; a lifecycle run found and stamped it. */
  lockFound: boolean;
  state: LifecycleUser;
}

/**
 * The last instant a reference time may have for a step `days` after it to have come by `now`: a step
 * comes at the start of the day, in `timeZone`, `days` days after the reference's day.
 */
export function latestReference(now: Date, timeZone: string, days: number): string {
  return toGeneralizedTime(new Date(dayStartInZone(now, timeZone, 1 - days).getTime() - 1000));
}

/**
 * The server-side filter of the users a rule may have to act on now: those whose warning day (or, without
 * a warning, action day) has come by the trigger's reference time, and every user the rule has warned. A
 * superset: the rule engine decides on each (a keep restarts the clock, say).
 */
export function lifecycleFilter(
  rule: Pick<LifecycleRule, 'name' | 'trigger' | 'days' | 'warning_days'>,
  names: AttributeNames,
  sourceUid: string,
  now: Date,
  timeZone: string,
  /** Every user the trigger matches, whatever its dates: the candidates a dry run lists. */
  allCandidates = false,
): Filter {
  const cutoff = latestReference(now, timeZone, rule.days - rule.warning_days);
  const upTo = (attribute: string): Filter => (allCandidates ? present(attribute) : lte(attribute, cutoff));
  const byTrigger: Record<LifecycleRule['trigger'], Filter> = {
    no_login: upTo('pwdLastSuccess'),
    never_logged_in: and(not(present('pwdLastSuccess')), upTo('createTimestamp')),
    unconfirmed: and(
      eq('pwdReset', 'TRUE'),
      or(upTo('pwdChangedTime'), and(not(present('pwdChangedTime')), upTo('createTimestamp'))),
    ),
    // A lock without rostersync's stamp is read too: the run stamps it, and its clock starts then.
    deactivated: and(
      present('pwdAccountLockedTime'),
      or(upTo(names.deactivatedTimestamp), not(present(names.deactivatedTimestamp))),
    ),
    // shadowExpire has no ordering rule in the NIS schema: those users are compared here. An end date
    // still to come is no candidate: the trigger matches once it has passed.
    expired: or(
      lte('pwdEndTime', allCandidates ? toGeneralizedTime(now) : cutoff),
      and(not(present('pwdEndTime')), present('shadowExpire')),
    ),
  };
  return and(
    sourceUsersFilter(names, sourceUid),
    not(present(names.retirementState)),
    or(byTrigger[rule.trigger], eq(names.warningRule, rule.name)),
  );
}

const first = (entry: DirectoryEntry, attribute: string): string | undefined =>
  entry.attributes[attribute]?.[0];
const time = (entry: DirectoryEntry, attribute: string): Date | undefined => {
  const value = first(entry, attribute);
  return value === undefined ? undefined : parseGeneralizedTime(value);
};

function lifecycleAttributes(names: AttributeNames): string[] {
  return [
    'uid',
    'objectClass',
    names.school,
    'givenName',
    'sn',
    'mail',
    'preferredLanguage',
    names.recordUid,
    names.role,
    'pwdLastSuccess',
    'createTimestamp',
    'pwdReset',
    'pwdChangedTime',
    'pwdAccountLockedTime',
    'pwdEndTime',
    'shadowExpire',
    names.deactivatedTimestamp,
    names.lockFound,
    names.warningTimestamp,
    names.warningRule,
    names.keptTimestamp,
    names.ruleMail,
  ];
}

/** The end of the account: `pwdEndTime`, else the day `shadowExpire` counts to (days since 1970-01-01). */
function endOf(entry: DirectoryEntry): Date | undefined {
  const end = time(entry, 'pwdEndTime');
  if (end !== undefined) return end;
  const shadow = first(entry, 'shadowExpire');
  if (shadow === undefined || !/^-?\d+$/.test(shadow) || Number(shadow) < 0) return undefined;
  // The `1` rostersync writes beside its admin lock (lockNowChanges) is the lock's shadow form, the
  // `deactivated` trigger's, not an end date: else every posix user it locks would have ended in 1970.
  if (shadow === '1' && first(entry, 'pwdAccountLockedTime') === ADMIN_LOCK_TIME) return undefined;
  return new Date(Number(shadow) * 86_400_000);
}

export function toLifecycleEntry(entry: DirectoryEntry, names: AttributeNames): LifecycleEntry {
  const warnedAt = time(entry, names.warningTimestamp);
  const warningRule = first(entry, names.warningRule);
  const mail = first(entry, 'mail');
  const language = first(entry, 'preferredLanguage')
    ?.split(/[-_,;\s]/)[0]
    ?.toLowerCase();
  return {
    dn: entry.dn,
    username: first(entry, 'uid') ?? '',
    recordUid: first(entry, names.recordUid) ?? '',
    firstname: first(entry, 'givenName') ?? '',
    lastname: first(entry, 'sn') ?? '',
    mail,
    language: language === '' ? undefined : language,
    roles: entry.attributes[names.role] ?? [],
    schools: entry.attributes[names.school] ?? [],
    objectClasses: entry.attributes.objectClass ?? [],
    lockedTime: first(entry, 'pwdAccountLockedTime'),
    lockFound: first(entry, names.lockFound)?.toUpperCase() === 'TRUE',
    state: {
      lastLogin: time(entry, 'pwdLastSuccess'),
      created: time(entry, 'createTimestamp'),
      mustChangePassword: first(entry, 'pwdReset')?.toUpperCase() === 'TRUE',
      passwordChanged: time(entry, 'pwdChangedTime'),
      locked: first(entry, 'pwdAccountLockedTime') !== undefined,
      deactivated: time(entry, names.deactivatedTimestamp),
      ends: endOf(entry),
      warning:
        warnedAt !== undefined && warningRule !== undefined ? { at: warnedAt, rule: warningRule } : undefined,
      kept: time(entry, names.keptTimestamp),
      ruleMail: parseRuleMail(entry.attributes[names.ruleMail] ?? []),
      canBeMailed: mail !== undefined && mail !== '',
    },
  };
}

/** Streams the users a rule may have to act on now (see `lifecycleFilter`), one page at a time. */
export async function* readLifecycleUsers(
  directory: Directory,
  layout: DirectoryLayout,
  rule: Pick<LifecycleRule, 'name' | 'trigger' | 'days' | 'warning_days'>,
  sourceUid: string,
  now: Date,
  timeZone: string,
  allCandidates = false,
): AsyncGenerator<LifecycleEntry> {
  const names = layout.attributes;
  const today = shadowExpireDays(now);
  for await (const entry of directory.search(layout.baseDn, {
    scope: 'sub',
    filter: lifecycleFilter(rule, names, sourceUid, now, timeZone, allCandidates),
    attributes: lifecycleAttributes(names),
  })) {
    const user = toLifecycleEntry(entry, names);
    // The shadowExpire users the server could not compare: only those whose day has passed.
    if (rule.trigger === 'expired' && first(entry, 'pwdEndTime') === undefined) {
      const shadow = Number(first(entry, 'shadowExpire'));
      if (!(shadow <= today) && user.state.warning?.rule !== rule.name) continue;
    }
    yield user;
  }
}

/**
 * How many of this source's users hold one of `roles` and are not in retirement: the users in scope of the
 * rules, which the safety limit is a share of. Reads only the role values, a page at a time.
 */
export async function countInScope(
  directory: Directory,
  layout: DirectoryLayout,
  sourceUid: string,
  roles: ReadonlySet<string>,
): Promise<number> {
  const names = layout.attributes;
  let count = 0;
  for await (const entry of directory.search(layout.baseDn, {
    scope: 'sub',
    filter: and(sourceUsersFilter(names, sourceUid), not(present(names.retirementState))),
    attributes: [names.role],
  })) {
    if (hasRole(entry.attributes[names.role] ?? [], roles)) count += 1;
  }
  return count;
}

/** Whether any `ROLE:school:SCHOOL` value names one of `roles` (lower-case). */
export function hasRole(values: readonly string[], roles: ReadonlySet<string>): boolean {
  return values.some((value) => roles.has((value.split(':')[0] ?? '').toLowerCase()));
}
