/**
 * What the lifecycle rules read (SPEC §7): the server picks the users with its own date comparisons. The
 * users are aged offline (testkit setOperationalTimes), every time from the real clock, on a server of this
 * test's own.
 */
import { Client } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';
import { dayStartInZone, toGeneralizedTime } from '../../src/dates.js';
import { Directory } from '../../src/directory/index.js';
import { DirectoryLayout } from '../../src/directory/layout.js';
import { lifecycleStep } from '../../src/plan/lifecycle.js';
import { readLifecycleUsers } from '../../src/snapshot/lifecycle.js';
import { type SlapdServer, startSlapd } from '../../testkit/slapd.js';
import { canBind } from '../support/ldap.js';

const ZONE = 'Europe/Berlin';
/** Noon in Berlin of the day `days` days before today: the calendar day, whatever the time of the run. */
const daysAgo = (days: number): string =>
  toGeneralizedTime(new Date(dayStartInZone(new Date(), ZONE, -days).getTime() + 12 * 3_600_000));

let server: SlapdServer;
let layout: DirectoryLayout;
let directory: Directory;
const dn = (uid: string): string => `uid=${uid},ou=people,${server.suffix}`;

async function addUser(
  admin: Client,
  uid: string,
  extra: Record<string, string | string[]> = {},
): Promise<void> {
  await admin.add(dn(uid), {
    objectClass: ['inetOrgPerson', 'rostersyncUser'],
    uid,
    cn: uid,
    sn: uid,
    mail: `${uid}@school.example`,
    userPassword: 'pupil-password',
    rostersyncSourceUid: 'sis',
    rostersyncRecordUid: `R-${uid}`,
    rostersyncRole: 'student:school:gym1',
    ...extra,
  });
}

beforeAll(async () => {
  server = await startSlapd();
  const admin = new Client({ url: server.url });
  await admin.bind(server.adminDn, server.adminPassword);
  await admin.add(`ou=people,${server.suffix}`, { objectClass: 'organizationalUnit', ou: 'people' });
  await addUser(admin, 'stale');
  await addUser(admin, 'fresh');
  await addUser(admin, 'never');
  await addUser(admin, 'other', { rostersyncSourceUid: 'office' });
  await addUser(admin, 'warned', { rostersyncWarningTimestamp: daysAgo(3), rostersyncWarningRule: 'stale' });
  await admin.unbind();
  for (const uid of ['stale', 'fresh', 'other', 'warned']) {
    expect(await canBind(server.url, dn(uid), 'pupil-password')).toBe(true);
  }
  await server.setOperationalTimes({
    [dn('stale')]: { pwdLastSuccess: daysAgo(400), createTimestamp: daysAgo(500) },
    [dn('other')]: { pwdLastSuccess: daysAgo(400) },
    [dn('never')]: { createTimestamp: daysAgo(200) },
  });
  const config = parseConfig(
    {
      source_uid: 'sis',
      ldap: { url: server.url, base_dn: server.suffix, bind_dn: server.adminDn },
      csv: { mapping: { id: 'record_uid' } },
    },
    'test',
  );
  layout = new DirectoryLayout(config);
  directory = await Directory.connect({
    url: server.url,
    bindDn: server.adminDn,
    bindPassword: server.adminPassword,
    timeoutMs: 5000,
    pageSize: 100,
    starttls: false,
    tls: { rejectUnauthorized: true },
  });
});
afterAll(async () => {
  await directory?.close();
  await server?.stop();
});

async function read(rule: Parameters<typeof readLifecycleUsers>[2]): Promise<string[]> {
  const found: string[] = [];
  for await (const user of readLifecycleUsers(directory, layout, rule, 'sis', new Date(), ZONE)) {
    found.push(user.username);
  }
  return found.sort();
}

describe('readLifecycleUsers', () => {
  it('no_login: the server picks who has not logged in for the rule’s days, and every user the rule warned', async () => {
    expect(await read({ name: 'stale', trigger: 'no_login', days: 365, warning_days: 30 })).toEqual([
      'stale',
      'warned',
    ]);
    // The day before the warning day of a one-year-old login: not yet.
    expect(await read({ name: 'late', trigger: 'no_login', days: 430, warning_days: 29 })).toEqual([]);
    expect(await read({ name: 'late', trigger: 'no_login', days: 430, warning_days: 30 })).toEqual(['stale']);
  });

  it('never_logged_in: only users without a login, by createTimestamp', async () => {
    expect(await read({ name: 'n', trigger: 'never_logged_in', days: 180, warning_days: 0 })).toEqual([
      'never',
    ]);
    expect(await read({ name: 'n', trigger: 'never_logged_in', days: 250, warning_days: 0 })).toEqual([]);
  });

  it('hands the engine what it needs: a login after the warning cancels it', async () => {
    const rule = {
      name: 'stale',
      trigger: 'no_login' as const,
      days: 365,
      warning_days: 30,
      unwarnable: 'keep' as const,
    };
    const steps = new Map<string, string>();
    for await (const user of readLifecycleUsers(directory, layout, rule, 'sis', new Date(), ZONE)) {
      steps.set(user.username, lifecycleStep(rule, user.state, new Date(), ZONE).list);
    }
    expect(Object.fromEntries(steps)).toEqual({ stale: 'warn', warned: 'cancelled' });
  });
});
