/**
 * Dates relative to the real clock, for tests whose outcome the server decides by its own clock (a bind
 * refused once `pwdEndTime` has passed): a fixed `--now` would turn such a test into a time bomb. Days are
 * calendar days in the zone of the test config (`testConfig`: Europe/Berlin).
 */
import { TZDate } from '@date-fns/tz';

export const TEST_ZONE = 'Europe/Berlin';

const pad = (value: number, width = 2): string => String(value).padStart(width, '0');

/** Today's calendar date in the zone, as `--now` takes it: `2026-11-23`. */
export function today(zone = TEST_ZONE): string {
  const now = TZDate.tz(zone);
  return `${pad(now.getFullYear(), 4)}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

function parts(date: string): [number, number, number] {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (match === null) throw new Error(`'${date}' is not a YYYY-MM-DD date`);
  return [Number(match[1]), Number(match[2]), Number(match[3])];
}

/** `date` plus `days` calendar days: `plusDays('2026-11-28', 5)` is `2026-12-03`. */
export function plusDays(date: string, days: number): string {
  const [year, month, day] = parts(date);
  const later = new Date(Date.UTC(year, month - 1, day + days));
  return `${pad(later.getUTCFullYear(), 4)}-${pad(later.getUTCMonth() + 1)}-${pad(later.getUTCDate())}`;
}

const generalizedTime = (instant: Date): string =>
  instant
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replaceAll(/[-:T]/g, '');

/** GeneralizedTime of 00:00 of `date` in the zone: `dayStart('2026-11-30')` is `20261129230000Z`. */
export function dayStart(date: string, zone = TEST_ZONE): string {
  const [year, month, day] = parts(date);
  return generalizedTime(new Date(new TZDate(year, month - 1, day, zone).getTime()));
}

/** GeneralizedTime of the instant a bare `--now date` stands for (00:00 UTC): `20261123000000Z`. */
export function nowStamp(date: string): string {
  const [year, month, day] = parts(date);
  return generalizedTime(new Date(Date.UTC(year, month - 1, day)));
}
