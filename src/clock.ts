/**
 * The one clock of a run. `--now` / `ROSTERSYNC_NOW` replaces it for every date computation, so that
 * grace periods can be tested and runs replayed.
 */
import { TZDate } from '@date-fns/tz';
import { UsageError } from './errors.js';

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const LOCAL_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?$/;
const DATE_TIME_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

type Fields = [
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  milliseconds: number,
];

/** The calendar fields of a match, checked for range (the 31st of February is no date). */
function fields(match: RegExpExecArray): Fields | undefined {
  const number = (index: number) => Number(match[index] ?? 0);
  const milliseconds = Number((match[7] ?? '0').padEnd(3, '0').slice(0, 3));
  const wanted: Fields = [number(1), number(2), number(3), number(4), number(5), number(6), milliseconds];
  const [year, month, day, hour, minute, second] = wanted;
  const utc = new Date(Date.UTC(year, month - 1, day, hour, minute, second, milliseconds));
  const found = [
    utc.getUTCFullYear(),
    utc.getUTCMonth() + 1,
    utc.getUTCDate(),
    utc.getUTCHours(),
    utc.getUTCMinutes(),
    utc.getUTCSeconds(),
  ];
  return found.every((value, index) => value === wanted[index]) ? wanted : undefined;
}

/**
 * `value` as an instant. With an offset or `Z` it is that instant. Without, it is read in `timeZone`, the
 * config's: a date-time as that wall-clock time there; a bare date as the first moment that is that day
 * both in UTC (where LDAP's timestamps are written) and in `timeZone` (where grace days are counted) — its
 * UTC midnight east of Greenwich, the zone's own midnight west of it — so it means that day wherever it
 * is read.
 */
export function parseNow(value: string, source: string, timeZone: string): Date {
  const trimmed = value.trim();
  const date = DATE.exec(trimmed);
  const local = date ?? LOCAL_DATE_TIME.exec(trimmed);
  const parts = local === null ? undefined : fields(local);
  let instant: Date | undefined;
  if (parts !== undefined) {
    const [year, month, day, hour, minute, second, milliseconds] = parts;
    const inZone = new TZDate(year, month - 1, day, hour, minute, second, milliseconds, timeZone).getTime();
    instant = new Date(date === null ? inZone : Math.max(Date.UTC(year, month - 1, day), inZone));
  } else if (DATE_TIME_WITH_OFFSET.test(trimmed)) {
    instant = new Date(trimmed);
  }
  if (instant === undefined || Number.isNaN(instant.getTime())) {
    throw new UsageError(
      `${source}: '${value}' is not an ISO-8601 date or date-time (e.g. 2026-12-22, 2026-12-22T06:00:00 in the config's timezone, or 2026-12-22T06:00:00+01:00)`,
    );
  }
  return instant;
}

/** The instant a run treats as now: the flag wins over the environment, both over the system clock. */
export function resolveNow(flag: string | undefined, env: NodeJS.ProcessEnv, timeZone: string): Date {
  if (flag !== undefined) return parseNow(flag, '--now', timeZone);
  const fromEnv = env.ROSTERSYNC_NOW;
  if (fromEnv !== undefined && fromEnv !== '') return parseNow(fromEnv, 'ROSTERSYNC_NOW', timeZone);
  return new Date();
}
