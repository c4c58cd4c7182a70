/**
 * The one clock of a run. `--now` / `ROSTERSYNC_NOW` replaces it for every date computation, so that
 * grace periods can be tested and runs replayed.
 */
import { UsageError } from './errors.js';

/** ISO-8601 date or date-time; a date-time needs an explicit offset or Z, so a replay means the same instant everywhere. */
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2}))?$/;

export function parseNow(value: string, source: string): Date {
  const trimmed = value.trim();
  // A bare date means the start of that day in UTC; date maths then moves it into the configured zone.
  const normalized = /^\d{4}-\d{2}-\d{2}$/.test(trimmed) ? `${trimmed}T00:00:00Z` : trimmed;
  const date = new Date(normalized);
  if (!ISO_DATE_TIME.test(trimmed) || Number.isNaN(date.getTime())) {
    throw new UsageError(
      `${source}: '${value}' is not an ISO-8601 date or date-time with offset (e.g. 2026-12-22 or 2026-12-22T06:00:00+01:00)`,
    );
  }
  return date;
}

/** The instant a run treats as now: the flag wins over the environment, both over the system clock. */
export function resolveNow(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): Date {
  if (flag !== undefined) return parseNow(flag, '--now');
  const fromEnv = env.ROSTERSYNC_NOW;
  if (fromEnv !== undefined && fromEnv !== '') return parseNow(fromEnv, 'ROSTERSYNC_NOW');
  return new Date();
}
