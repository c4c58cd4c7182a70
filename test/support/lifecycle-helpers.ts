/**
 * Small helpers for lifecycle tests: roster rows, real logins, the plan a run prints, and days counted from the
 * real clock in the test zone (never a fixed calendar date).
 */
import { expect } from 'vitest';
import type { CliResult } from './cli.js';
import type { RosterRow } from './import.js';
import type { LifecycleFixture } from './lifecycle.js';
import { dayStart, plusDays, today } from './real-clock.js';

export const student = (id: string, first: string, email?: string): RosterRow => ({
  id,
  first,
  last: 'Test',
  schools: 'gym1',
  role: 'student',
  classes: '5a',
  ...(email ? { email } : {}),
});

/** Each user (by record uid) logs in once with its initial password, so slapd writes `pwdLastSuccess`. */
export async function logIn(fx: LifecycleFixture, recordUids: readonly string[]): Promise<void> {
  const passwords = await fx.passwords();
  for (const recordUid of recordUids) {
    const user = await fx.user(recordUid);
    expect(user, recordUid).toBeDefined();
    expect(await fx.canBind(String(user?.dn), passwords.get(String(user?.uid)) ?? ''), recordUid).toBe(true);
  }
}

export interface Listed {
  username: string;
  recordUid: string;
  reference?: string;
  warnOn?: string;
  actOn?: string;
  warnedAt?: string;
  note?: string;
}

export interface PrintedPlan {
  rules: { rule: string; lists: Record<string, Listed[]> }[];
  actions: { kind: string; username?: string; dn: string; rule?: string }[];
}

/** The plan a run printed with `--format json`. */
export function printedPlan(result: CliResult): PrintedPlan {
  return JSON.parse(result.stdout) as PrintedPlan;
}

/** The usernames on one list of one rule. */
export function listOf(plan: PrintedPlan, rule: string, list: string): string[] {
  return (plan.rules.find((entry) => entry.rule === rule)?.lists[list] ?? []).map((user) => user.username);
}

/** The ISO instant of 00:00 (test zone) of the day `days` days from today: how the plan writes a day. */
export function dayFromToday(days: number): string {
  const time = dayStart(plusDays(today(), days));
  const [, y, mo, d, h, mi, s] = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(time) ?? [];
  return new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}Z`).toISOString();
}

/** The day `days` days from today as a language writes it in a long date (what `{date}` becomes). */
export function longDate(days: number, language: string): string {
  const [year, month, day] = plusDays(today(), days).split('-').map(Number);
  return new Intl.DateTimeFormat(language, { dateStyle: 'long', timeZone: 'UTC' }).format(
    new Date(Date.UTC(year ?? 0, (month ?? 1) - 1, day ?? 1)),
  );
}

/** Each entry's `entryCSN`, by DN: unchanged means nothing was written. */
export async function csns(fx: LifecycleFixture): Promise<Record<string, string>> {
  return Object.fromEntries((await fx.users()).map((user) => [String(user.dn), String(user.entryCSN)]));
}
