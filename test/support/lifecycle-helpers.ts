/**
 * Helpers for lifecycle tests: roster rows, real logins (and a user's own password change), the plan a run
 * prints, each user's `entryCSN` to tell "nothing was written", and days counted from the real clock in the
 * test zone (never a fixed calendar date).
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'vitest';
import { dayStartInZone } from '../../src/dates.js';
import type { LifecycleListName, LifecyclePlan } from '../../src/plan/types.js';
import type { CliResult } from './cli.js';
import type { RosterRow } from './import.js';
import type { LifecycleFixture } from './lifecycle.js';
import { plusDays, TEST_ZONE, today } from './real-clock.js';

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
export const dayFromToday = (days: number): string =>
  dayStartInZone(new Date(), TEST_ZONE, days).toISOString();

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

/** A roster row at gym1, class 5a, with an address `<id>@school.example` unless `email` says otherwise. */
export function person(
  id: string,
  role = 'student',
  options: { email?: string | null; first?: string; schools?: string } = {},
): RosterRow {
  const email = options.email === undefined ? `${id.toLowerCase()}@school.example` : options.email;
  return {
    id,
    first: options.first ?? 'Kim',
    last: id.replaceAll('-', ''),
    schools: options.schools ?? 'gym1',
    role,
    classes: '5a',
    ...(email === null ? {} : { email }),
  };
}

/** The address `person` gives a row. */
export const addressOf = (id: string): string => `${id.toLowerCase()}@school.example`;

/** The plan of a dry run, printed as JSON; fails the test on another exit code than `code`. */
export async function dryPlan(fx: LifecycleFixture, args: string[] = [], code = 0): Promise<LifecyclePlan> {
  const result = await fx.lifecycle(['--dry-run', '--format', 'json', ...args]);
  expect(result.code, result.stderr).toBe(code);
  return JSON.parse(result.stdout) as LifecyclePlan;
}

/** A rule's non-empty lists, as sorted record uids. */
export function listsOf(plan: LifecyclePlan, rule: string): Partial<Record<LifecycleListName, string[]>> {
  const found = plan.rules.find((entry) => entry.rule === rule);
  if (found === undefined) throw new Error(`the plan has no rule ${rule}`);
  const lists: Partial<Record<LifecycleListName, string[]>> = {};
  for (const [name, users] of Object.entries(found.lists) as [LifecycleListName, { recordUid: string }[]][]) {
    if (users.length > 0) lists[name] = users.map((user) => user.recordUid).sort();
  }
  return lists;
}

/** The user `recordUid` on `list` of `rule`. */
export function listed(plan: LifecyclePlan, rule: string, list: LifecycleListName, recordUid: string) {
  const user = plan.rules
    .find((entry) => entry.rule === rule)
    ?.lists[list].find((u) => u.recordUid === recordUid);
  if (user === undefined) throw new Error(`${recordUid} is not on ${rule}'s ${list} list`);
  return user;
}

/** Whether the user can log in with its initial password now. */
export async function bindsWithInitialPassword(fx: LifecycleFixture, recordUid: string): Promise<boolean> {
  const user = await fx.user(recordUid);
  if (user === undefined) throw new Error(`no user ${recordUid}`);
  const password = (await fx.passwords()).get(String(user.uid));
  return fx.canBind(String(user.dn), password ?? '');
}

/** Every user's `entryCSN` by record uid: equal snapshots mean nothing was written to any of them. */
export async function entryCsns(fx: LifecycleFixture): Promise<Record<string, string>> {
  return Object.fromEntries(
    (await fx.users()).map((user) => [String(user.rostersyncRecordUid), String(user.entryCSN)]),
  );
}

/** The user changes its own password with the Password Modify extended operation (slapd drops pwdReset). */
export async function changeOwnPassword(fx: LifecycleFixture, recordUid: string, to: string): Promise<void> {
  const user = await fx.user(recordUid);
  const old = (await fx.passwords()).get(String(user?.uid)) ?? '';
  const oldFile = join(fx.dir, 'old.pw');
  const newFile = join(fx.dir, 'new.pw');
  await writeFile(oldFile, old, { mode: 0o600 });
  await writeFile(newFile, to, { mode: 0o600 });
  const dn = String(user?.dn);
  await promisify(execFile)('ldappasswd', [
    '-x',
    '-H',
    fx.server.url,
    '-D',
    dn,
    '-y',
    oldFile,
    '-t',
    oldFile,
    '-T',
    newFile,
    dn,
  ]);
}
