/**
 * The testkit moves the times no LDAP client may write (pwdLastSuccess, createTimestamp, pwdChangedTime)
 * into the past, offline, so lifecycle tests can age a user without waiting a year. The server itself
 * must then see the moved times: its own `<=`/`>=` filters decide, not a re-read in the test. Every time
 * is computed from the real clock. The test has a server of its own: the move stops and reloads it.
 */
import { Client, type Entry } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toGeneralizedTime } from '../../src/dates.js';
import { type SlapdServer, startSlapd } from '../../testkit/slapd.js';
import { canBind } from '../support/ldap.js';

const DAY_MS = 86_400_000;
const daysAgo = (days: number): string => toGeneralizedTime(new Date(Date.now() - days * DAY_MS));

let server: SlapdServer;
let admin: Client;
let userDn: string;

beforeAll(async () => {
  server = await startSlapd();
  admin = new Client({ url: server.url, timeout: 5000 });
  await admin.bind(server.adminDn, server.adminPassword);
  await admin.add(`ou=people,${server.suffix}`, { objectClass: 'organizationalUnit', ou: 'people' });
  userDn = `uid=aged,ou=people,${server.suffix}`;
  await admin.add(userDn, {
    objectClass: ['inetOrgPerson'],
    uid: 'aged',
    cn: 'Aged Pupil',
    sn: 'Pupil',
    mail: 'aged@example.org',
    userPassword: 'pupil-password',
  });
  // lastbind writes pwdLastSuccess at this bind.
  expect(await canBind(server.url, userDn, 'pupil-password')).toBe(true);
});
afterAll(async () => {
  await admin.unbind().catch(() => {});
  await server.stop();
});

/** The admin connection dies with the old slapd process: bind a new one. */
async function reconnect(): Promise<void> {
  await admin.unbind().catch(() => {});
  admin = new Client({ url: server.url, timeout: 5000 });
  await admin.bind(server.adminDn, server.adminPassword);
}

/** The user's entry with its operational attributes. */
async function readUser(): Promise<Entry> {
  const { searchEntries } = await admin.search(userDn, { scope: 'base', attributes: ['*', '+'] });
  const [entry] = searchEntries;
  if (entry === undefined) throw new Error(`${userDn} is gone`);
  return entry;
}

/** Whether the server's own filter matches the user. */
async function serverMatches(filter: string): Promise<boolean> {
  const { searchEntries } = await admin.search(`ou=people,${server.suffix}`, {
    scope: 'sub',
    filter: `(&(uid=aged)${filter})`,
    attributes: ['1.1'],
  });
  return searchEntries.length === 1;
}

/** The entry without the three times the move rewrites. */
function withoutMovedTimes(entry: Entry): Record<string, unknown> {
  const rest: Record<string, unknown> = { ...entry };
  for (const name of ['pwdLastSuccess', 'createTimestamp', 'pwdChangedTime']) delete rest[name];
  return rest;
}

describe('moving operational times into the past (testkit setOperationalTimes)', () => {
  it('makes the server filter the user as one who last logged in 400 days ago and was created 500 days ago', async () => {
    const before = await readUser();
    expect(before.pwdLastSuccess, 'lastbind recorded the bind').toBeDefined();
    // No password aging (pwdMaxAge/pwdMinAge) in the test policy: ppolicy stamps no pwdChangedTime on
    // the add, so the move adds one.
    expect(before.pwdChangedTime).toBeUndefined();
    // Fresh times: the year-old filters do not match yet.
    expect(await serverMatches(`(pwdLastSuccess<=${daysAgo(365)})`)).toBe(false);
    expect(await serverMatches(`(createTimestamp<=${daysAgo(365)})`)).toBe(false);

    const moved = {
      pwdLastSuccess: daysAgo(400),
      createTimestamp: daysAgo(500),
      pwdChangedTime: daysAgo(450),
    };
    const pidBefore = server.pid;
    await server.setOperationalTimes({ [userDn]: moved });
    expect(server.pid).not.toBe(pidBefore);
    await reconnect();

    expect(await serverMatches(`(pwdLastSuccess<=${daysAgo(365)})`)).toBe(true);
    expect(await serverMatches(`(pwdLastSuccess>=${daysAgo(1)})`)).toBe(false);
    expect(await serverMatches(`(createTimestamp<=${daysAgo(365)})`)).toBe(true);
    expect(await serverMatches(`(createTimestamp>=${daysAgo(1)})`)).toBe(false);
    expect(await serverMatches(`(pwdChangedTime<=${daysAgo(365)})`)).toBe(true);
    expect(await serverMatches(`(pwdChangedTime>=${daysAgo(1)})`)).toBe(false);

    const after = await readUser();
    expect(after).toMatchObject(moved);
    expect(after.entryUUID).toBe(before.entryUUID);
    expect(withoutMovedTimes(after)).toEqual(withoutMovedTimes(before));
    // Still a working account: the password and the ppolicy state came through the reload.
    expect(await canBind(server.url, userDn, 'pupil-password')).toBe(true);
  });

  it('refuses a DN that is not in the directory and leaves the server running', async () => {
    await expect(
      server.setOperationalTimes({
        [`uid=nobody,ou=people,${server.suffix}`]: { createTimestamp: daysAgo(10) },
      }),
    ).rejects.toThrow(/not in the directory: uid=nobody/);
    expect(await canBind(server.url, userDn, 'pupil-password')).toBe(true);
  });
});
