/** Date maths: day starts in a time zone across DST switches, GeneralizedTime and shadowExpire. */
import { describe, expect, it } from 'vitest';
import {
  ADMIN_LOCK_TIME,
  dayStartInZone,
  parseGeneralizedTime,
  shadowExpireDays,
  toGeneralizedTime,
} from '../../src/dates.js';

const at = (iso: string): Date => new Date(iso);

describe('dayStartInZone', () => {
  it('0 days is the start of today in the zone', () => {
    expect(dayStartInZone(at('2026-06-15T14:30:00Z'), 'Europe/Berlin', 0)).toEqual(
      at('2026-06-14T22:00:00Z'),
    );
    expect(dayStartInZone(at('2026-06-15T14:30:00Z'), 'UTC', 0)).toEqual(at('2026-06-15T00:00:00Z'));
    expect(dayStartInZone(at('2026-06-15T14:30:00Z'), 'America/New_York', 0)).toEqual(
      at('2026-06-15T04:00:00Z'),
    );
  });

  it('uses the calendar day in the zone, not in UTC', () => {
    // 23:30 UTC on 14 June is already 15 June in Berlin, still 14 June in New York.
    const now = at('2026-06-14T23:30:00Z');
    expect(dayStartInZone(now, 'Europe/Berlin', 1)).toEqual(at('2026-06-15T22:00:00Z'));
    expect(dayStartInZone(now, 'America/New_York', 1)).toEqual(at('2026-06-15T04:00:00Z'));
    expect(dayStartInZone(now, 'UTC', 1)).toEqual(at('2026-06-15T00:00:00Z'));
  });

  it('crosses the spring DST switch in Berlin (2026-03-29)', () => {
    const now = at('2026-03-28T10:00:00Z'); // 11:00 CET
    expect(dayStartInZone(now, 'Europe/Berlin', 0)).toEqual(at('2026-03-27T23:00:00Z'));
    expect(dayStartInZone(now, 'Europe/Berlin', 1)).toEqual(at('2026-03-28T23:00:00Z')); // 29 March, still CET at 00:00
    expect(dayStartInZone(now, 'Europe/Berlin', 2)).toEqual(at('2026-03-29T22:00:00Z')); // 30 March, CEST
  });

  it('crosses the autumn DST switch in Berlin (2026-10-25)', () => {
    const now = at('2026-10-24T12:00:00Z'); // 14:00 CEST
    expect(dayStartInZone(now, 'Europe/Berlin', 1)).toEqual(at('2026-10-24T22:00:00Z')); // 25 Oct, CEST at 00:00
    expect(dayStartInZone(now, 'Europe/Berlin', 2)).toEqual(at('2026-10-25T23:00:00Z')); // 26 Oct, CET
    expect(dayStartInZone(now, 'Europe/Berlin', 90)).toEqual(at('2027-01-21T23:00:00Z'));
  });

  it('counts from the switch day itself', () => {
    // 03:30 CEST on 29 March, after the clocks jumped.
    expect(dayStartInZone(at('2026-03-29T01:30:00Z'), 'Europe/Berlin', 0)).toEqual(
      at('2026-03-28T23:00:00Z'),
    );
  });

  it('handles New York DST (2026-03-08 and 2026-11-01)', () => {
    expect(dayStartInZone(at('2026-03-07T17:00:00Z'), 'America/New_York', 2)).toEqual(
      at('2026-03-09T04:00:00Z'),
    );
    expect(dayStartInZone(at('2026-10-31T17:00:00Z'), 'America/New_York', 2)).toEqual(
      at('2026-11-02T05:00:00Z'),
    );
  });
});

describe('GeneralizedTime', () => {
  it('formats UTC without fractions', () => {
    expect(toGeneralizedTime(at('2026-12-22T00:00:00.789Z'))).toBe('20261222000000Z');
    expect(toGeneralizedTime(at('2026-03-29T01:02:03+02:00'))).toBe('20260328230203Z');
  });

  it('round-trips', () => {
    for (const iso of ['2026-12-22T00:00:00Z', '1999-01-31T23:59:59Z', '2030-02-28T12:34:56Z']) {
      expect(parseGeneralizedTime(toGeneralizedTime(at(iso)))).toEqual(at(iso));
    }
    expect(toGeneralizedTime(parseGeneralizedTime('20261222000000Z'))).toBe('20261222000000Z');
  });

  it('accepts omitted minutes and seconds, fractions and offsets', () => {
    expect(parseGeneralizedTime('2026122215Z')).toEqual(at('2026-12-22T15:00:00Z'));
    expect(parseGeneralizedTime('202612221530Z')).toEqual(at('2026-12-22T15:30:00Z'));
    expect(parseGeneralizedTime('20261222153045.123Z')).toEqual(at('2026-12-22T15:30:45.123Z'));
    expect(parseGeneralizedTime('202612221530.5Z')).toEqual(at('2026-12-22T15:30:30Z'));
    expect(parseGeneralizedTime('20261222000000+0100')).toEqual(at('2026-12-21T23:00:00Z'));
    expect(parseGeneralizedTime('20261222000000-0200')).toEqual(at('2026-12-22T02:00:00Z'));
    expect(parseGeneralizedTime('20261222000000+0530')).toEqual(at('2026-12-21T18:30:00Z'));
    expect(parseGeneralizedTime('2026122200+01')).toEqual(at('2026-12-21T23:00:00Z'));
  });

  it('parses the ppolicy admin lock as year 0', () => {
    expect(ADMIN_LOCK_TIME).toBe('000001010000Z');
    expect(parseGeneralizedTime(ADMIN_LOCK_TIME).getUTCFullYear()).toBe(0);
    expect(toGeneralizedTime(parseGeneralizedTime(ADMIN_LOCK_TIME))).toBe('00000101000000Z');
  });

  it.each([
    '',
    'garbage',
    '2026-12-22T00:00:00Z',
    '20261222000000',
    '20261322000000Z',
    '20260231000000Z',
    '20261222250000Z',
    '20261222006000Z',
    '20261222000000+2500',
    '20261222000000ZZ',
  ])('rejects %j', (text) => {
    expect(() => parseGeneralizedTime(text)).toThrow('not an LDAP GeneralizedTime');
  });
});

describe('shadowExpireDays', () => {
  it('counts whole days since 1970-01-01 of the UTC date', () => {
    expect(shadowExpireDays(at('1970-01-01T00:00:00Z'))).toBe(0);
    expect(shadowExpireDays(at('1970-01-02T23:59:59Z'))).toBe(1);
    expect(shadowExpireDays(at('2026-12-22T00:00:00Z'))).toBe(20809);
    expect(shadowExpireDays(at('2026-12-22T00:30:00+01:00'))).toBe(20808);
    expect(shadowExpireDays(at('1969-12-31T12:00:00Z'))).toBe(-1);
  });
});
