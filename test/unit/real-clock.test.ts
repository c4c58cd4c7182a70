/** The tests' real-clock dates (test/support/real-clock.ts): calendar days in Berlin, GeneralizedTime in UTC. */
import { describe, expect, it } from 'vitest';
import { dayStart, nowStamp, plusDays, today } from '../support/real-clock.js';

describe('real-clock test dates', () => {
  it("today is the real clock's calendar date in Berlin", () => {
    const berlin = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Berlin' });
    const before = berlin.format(new Date());
    const value = today();
    const after = berlin.format(new Date());
    expect([before, after]).toContain(value);
  });

  it('adds calendar days across months, years and leap days', () => {
    expect(plusDays('2026-11-28', 5)).toBe('2026-12-03');
    expect(plusDays('2026-12-30', 3)).toBe('2027-01-02');
    expect(plusDays('2028-02-28', 1)).toBe('2028-02-29');
    expect(plusDays('2026-03-01', -1)).toBe('2026-02-28');
  });

  it('gives the start of a Berlin day in UTC, in winter and in summer time', () => {
    expect(dayStart('2026-11-30')).toBe('20261129230000Z');
    expect(dayStart('2026-04-01')).toBe('20260331220000Z');
    expect(dayStart('2026-03-29')).toBe('20260328230000Z'); // the switch to summer time is at 02:00
  });

  it('gives the instant a bare --now date stands for: 00:00 UTC', () => {
    expect(nowStamp('2026-11-23')).toBe('20261123000000Z');
  });
});
