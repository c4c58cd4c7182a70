/**
 * All date maths of rostersync in one place: grace-period days in the configured time zone, and the
 * LDAP encodings of instants (GeneralizedTime, shadowExpire days).
 */
import { TZDate } from '@date-fns/tz';
// Per-function entry points: the package index pulls in some 250 modules and costs seconds at start-up.
import { addDays as addCalendarDays } from 'date-fns/addDays';
import { startOfDay } from 'date-fns/startOfDay';

const MS_PER_DAY = 86_400_000;

/** The ppolicy value for "locked by an administrator, forever" (`pwdAccountLockedTime`). */
export const ADMIN_LOCK_TIME = '000001010000Z';

/**
 * "Today + N days" (SPEC §4.5): the start (00:00) of that calendar day in `timeZone`. Counted in calendar
 * days, not 24-hour steps, so a DST switch in between does not shift the result by an hour.
 */
export function dayStartInZone(now: Date, timeZone: string, addDays: number): Date {
  const local = new TZDate(now.getTime(), timeZone);
  return new Date(startOfDay(addCalendarDays(local, addDays)).getTime());
}

/** `20261222000000Z`: UTC, seconds precision, as LDAP GeneralizedTime attributes store instants. */
export function toGeneralizedTime(date: Date): string {
  if (Number.isNaN(date.getTime())) throw new RangeError('cannot encode an invalid date as GeneralizedTime');
  const pad = (value: number, width = 2): string => String(value).padStart(width, '0');
  return (
    pad(date.getUTCFullYear(), 4) +
    pad(date.getUTCMonth() + 1) +
    pad(date.getUTCDate()) +
    pad(date.getUTCHours()) +
    pad(date.getUTCMinutes()) +
    pad(date.getUTCSeconds()) +
    'Z'
  );
}

// RFC 4517 §3.3.13: hour required, minutes and seconds optional, a fraction of the last unit, Z or ±hh[mm].
const GENERALIZED_TIME =
  /^(\d{4})(\d{2})(\d{2})(\d{2})(?:(\d{2})(\d{2})?)?(?:[.,](\d+))?(Z|[+-]\d{2}(?:\d{2})?)$/;

/** Parses LDAP GeneralizedTime (`20261222000000Z`, `2026122200Z`, `20261222000000.5+0100`…); throws on garbage. */
export function parseGeneralizedTime(text: string): Date {
  const match = GENERALIZED_TIME.exec(text);
  const invalid = (): never => {
    throw new RangeError(`'${text}' is not an LDAP GeneralizedTime (expected e.g. 20261222000000Z)`);
  };
  if (match === null) return invalid();
  const [, year, month, day, hour, minute, second, fraction, zone] = match;
  const numbers = [year, month, day, hour, minute ?? '0', second ?? '0'].map(Number);
  const [y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0] = numbers;
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 60) return invalid();

  const date = new Date(0);
  // setUTCFullYear, not Date.UTC: Date.UTC maps years 0–99 to 1900–1999, and ppolicy's lock is year 0.
  date.setUTCFullYear(y, mo - 1, d);
  if (date.getUTCDate() !== d) return invalid(); // e.g. 20260231
  date.setUTCHours(h, mi, s, 0);

  const unitMs = second !== undefined ? 1000 : minute !== undefined ? 60_000 : 3_600_000;
  const fractionMs = fraction === undefined ? 0 : Number(`0.${fraction}`) * unitMs;
  const offsetMs = zone === undefined || zone === 'Z' ? 0 : parseOffsetMs(zone, invalid);
  return new Date(date.getTime() + Math.round(fractionMs) - offsetMs);
}

function parseOffsetMs(zone: string, invalid: () => never): number {
  const hours = Number(zone.slice(1, 3));
  const minutes = zone.length > 3 ? Number(zone.slice(3, 5)) : 0;
  if (hours > 23 || minutes > 59) invalid();
  return (zone.startsWith('-') ? -1 : 1) * (hours * 60 + minutes) * 60_000;
}

/** shadowExpire's unit: whole days from 1970-01-01 to the UTC calendar date of `date`. */
export function shadowExpireDays(date: Date): number {
  return Math.floor(date.getTime() / MS_PER_DAY);
}
