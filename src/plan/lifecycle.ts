/**
 * The lifecycle rule engine (SPEC §7; ILIAS's multi-trigger job, OLAT's notify → ready → delete): for one
 * user and one rule, which list the user is on today and what, if anything, this run does. Pure: the user's
 * dates come in as plain values, the decision goes out; reading the directory, sending mail and writing
 * are the job's.
 *
 * The workflow: **candidate** (the trigger matches, the warning day has not come) → **warned** (on
 * reference + `days` − `warning_days` one mail goes out; recorded only once the SMTP server took it) →
 * **ready** (reference + `days` has come and the warning is at least `warning_days` old, so a late warning
 * still gets its full reaction period) → the action. A login after the warning, or `rostersync keep`,
 * cancels it and restarts the clock. Days are calendar days in `timezone`: a step comes at the start of its
 * day.
 */
import type { LifecycleRule } from '../config/index.js';
import { dayStartInZone } from '../dates.js';
import type { LifecycleUser } from '../snapshot/lifecycle.js';

export type { LifecycleUser };

export type Trigger = LifecycleRule['trigger'];

export type LifecycleStep =
  /** The trigger does not match: the rule has nothing to do with this user. */
  | { list: 'none' }
  /** The trigger matches; the warning (or, without one, the action) is still to come on `warnOn`. */
  | { list: 'candidate'; reference: Date; warnOn: Date; actOn: Date }
  /** Today the warning goes out; the action comes on `actOn` at the earliest. */
  | { list: 'warn'; reference: Date; actOn: Date }
  /** Warned; the action comes on `actOn`. */
  | { list: 'warned'; reference: Date; warnedAt: Date; actOn: Date }
  /** Its day has come: the rule's action runs now. */
  | { list: 'ready'; reference: Date; actOn: Date }
  /** It would be warned but cannot be (no address) and the rule says `unwarnable: keep`. */
  | { list: 'unwarnable'; reference: Date; actOn: Date }
  /** A login after the warning: the warning is lifted and the clock restarts. */
  | { list: 'cancelled'; warnedAt: Date; loginAt: Date };

/** The trigger's reference time, or undefined when the trigger does not match (SPEC §7's table). */
export function referenceTime(trigger: Trigger, user: LifecycleUser, now: Date): Date | undefined {
  switch (trigger) {
    case 'no_login':
      return user.lastLogin;
    case 'never_logged_in':
      return user.lastLogin === undefined ? user.created : undefined;
    case 'unconfirmed':
      return user.mustChangePassword ? (user.passwordChanged ?? user.created) : undefined;
    case 'deactivated':
      // A lock found without rostersync's stamp is stamped with the run's time: its clock starts now.
      return user.locked ? (user.deactivated ?? now) : undefined;
    case 'expired':
      return user.ends !== undefined && user.ends.getTime() <= now.getTime() ? user.ends : undefined;
  }
}

const later = (a: Date, b: Date | undefined): Date => (b !== undefined && b.getTime() > a.getTime() ? b : a);
const reached = (now: Date, day: Date): boolean => now.getTime() >= day.getTime();

/**
 * Where the user stands with the rule today. A `notify` rule's action is its mail: it goes out when the
 * warning day comes (reference + `days` − `warning_days`, naming the day reference + `days`), and once sent
 * the user stays warned until a login or a keep restarts the clock, so it is never sent twice.
 */
export function lifecycleStep(
  rule: Pick<LifecycleRule, 'name' | 'trigger' | 'days' | 'warning_days' | 'unwarnable'> &
    Partial<Pick<LifecycleRule, 'action'>>,
  user: LifecycleUser,
  now: Date,
  timeZone: string,
): LifecycleStep {
  const record = user.ruleMail?.get(rule.name);
  // A notify rule's mail is its action, not a step that makes other rules wait: its marks may be replaced
  // by another rule's warning, so it keeps its own record of the mail too.
  const sent =
    user.warning?.rule === rule.name
      ? user.warning
      : rule.action === 'notify' && record?.status === 'sent'
        ? { at: record.at, rule: rule.name }
        : undefined;
  // A login after this rule's warning cancels it, whatever the trigger.
  if (sent && user.lastLogin !== undefined && user.lastLogin.getTime() > sent.at.getTime()) {
    return { list: 'cancelled', warnedAt: sent.at, loginAt: user.lastLogin };
  }
  const matched = referenceTime(rule.trigger, user, now);
  if (matched === undefined) return { list: 'none' };
  // A keep (or a cancelled warning) restarts the clock.
  const reference = later(matched, user.kept);
  // A warning from before the reference time was about an earlier episode (an end date since extended, a lock
  // since lifted, a password since reset): this one has not been warned about yet.
  const warning = sent !== undefined && sent.at.getTime() >= reference.getTime() ? sent : undefined;
  const dueOn = dayStartInZone(reference, timeZone, rule.days);
  const unwarnable = { list: 'unwarnable', reference, actOn: dueOn } as const;

  const notify = rule.action === 'notify';
  if (notify) {
    if (warning) return { list: 'warned', reference, warnedAt: warning.at, actOn: dueOn };
    const warnOn = dayStartInZone(reference, timeZone, rule.days - rule.warning_days);
    if (!reached(now, warnOn)) return { list: 'candidate', reference, warnOn, actOn: dueOn };
    // Sent late (the rule is new, or the run did not run), it names today rather than a day gone by.
    const actOn = later(dueOn, dayStartInZone(now, timeZone, 0));
    return user.canBeMailed ? { list: 'warn', reference, actOn } : unwarnable;
  }
  if (rule.warning_days === 0) {
    return reached(now, dueOn)
      ? { list: 'ready', reference, actOn: dueOn }
      : { list: 'candidate', reference, warnOn: dueOn, actOn: dueOn };
  }
  if (warning) {
    // The reaction period counts from the warning actually sent, so a late one still gets all of it.
    const actOn = later(dueOn, dayStartInZone(warning.at, timeZone, rule.warning_days));
    return reached(now, actOn)
      ? { list: 'ready', reference, actOn }
      : { list: 'warned', reference, warnedAt: warning.at, actOn };
  }
  const warnOn = dayStartInZone(reference, timeZone, rule.days - rule.warning_days);
  if (!reached(now, warnOn)) return { list: 'candidate', reference, warnOn, actOn: dueOn };
  if (!user.canBeMailed) {
    return rule.unwarnable === 'act' && reached(now, dueOn)
      ? { list: 'ready', reference, actOn: dueOn }
      : rule.unwarnable === 'act'
        ? { list: 'candidate', reference, warnOn: dueOn, actOn: dueOn }
        : unwarnable;
  }
  // The SMTP server refused this rule's mail for good in this cycle: the user cannot be warned (SPEC §7).
  // Each run tries again; `unwarnable: act` acts once the action's day has come, as without an address.
  const refused = record?.status === 'refused' && record.at.getTime() >= reference.getTime();
  if (refused && rule.unwarnable === 'act' && reached(now, dueOn))
    return { list: 'ready', reference, actOn: dueOn };
  // Warned today: the action comes `warning_days` from now at the earliest.
  return { list: 'warn', reference, actOn: later(dueOn, dayStartInZone(now, timeZone, rule.warning_days)) };
}
