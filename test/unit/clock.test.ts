import { describe, expect, it } from 'vitest';
import { parseNow, resolveNow } from '../../src/clock.js';
import { UsageError } from '../../src/errors.js';

const iso = (date: Date) => date.toISOString();

describe('parseNow', () => {
  it('takes an instant with an offset or Z as it is', () => {
    expect(iso(parseNow('2026-12-22T06:00:00+01:00', '--now', 'America/New_York'))).toBe(
      '2026-12-22T05:00:00.000Z',
    );
    expect(iso(parseNow('2026-12-22T06:00Z', '--now', 'Europe/Berlin'))).toBe('2026-12-22T06:00:00.000Z');
  });

  it("reads a date-time without an offset as the wall-clock time in the config's zone", () => {
    expect(iso(parseNow('2026-12-22T06:00:00', '--now', 'Europe/Berlin'))).toBe('2026-12-22T05:00:00.000Z');
    expect(iso(parseNow('2026-07-01T06:00', '--now', 'Europe/Berlin'))).toBe('2026-07-01T04:00:00.000Z');
    expect(iso(parseNow('2026-12-22T06:00:00.5', '--now', 'UTC'))).toBe('2026-12-22T06:00:00.500Z');
  });

  it('reads a bare date as the first moment that is that day both in UTC and in the zone', () => {
    // East of Greenwich: UTC midnight, already that day in Berlin.
    expect(iso(parseNow('2026-11-23', '--now', 'Europe/Berlin'))).toBe('2026-11-23T00:00:00.000Z');
    expect(iso(parseNow('2026-11-23', '--now', 'UTC'))).toBe('2026-11-23T00:00:00.000Z');
    // West of it: the zone's midnight, not the evening before.
    expect(iso(parseNow('2026-11-23', '--now', 'America/New_York'))).toBe('2026-11-23T05:00:00.000Z');
    expect(iso(parseNow('2026-07-01', '--now', 'America/Los_Angeles'))).toBe('2026-07-01T07:00:00.000Z');
  });

  it('refuses what is not a date, naming where it came from', () => {
    for (const bad of ['2026-02-30', '2026-12-22T25:00', '22.12.2026', 'tomorrow', '2026-12-22 06:00', '']) {
      expect(() => parseNow(bad, 'ROSTERSYNC_NOW', 'Europe/Berlin')).toThrow(UsageError);
    }
    expect(() => parseNow('2026-13-01', '--now', 'UTC')).toThrow(
      /^--now: '2026-13-01' is not an ISO-8601 date/,
    );
  });
});

describe('resolveNow', () => {
  it('prefers the flag to the environment, and both to the system clock', () => {
    const env = { ROSTERSYNC_NOW: '2026-01-02' };
    expect(iso(resolveNow('2026-03-04', env, 'UTC'))).toBe('2026-03-04T00:00:00.000Z');
    expect(iso(resolveNow(undefined, env, 'UTC'))).toBe('2026-01-02T00:00:00.000Z');
    const before = Date.now();
    const now = resolveNow(undefined, { ROSTERSYNC_NOW: '' }, 'UTC').getTime();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now());
  });
});
