/**
 * The import plans every group that names a user it deletes, as the purge does: another tool's group loses
 * the member before the entry goes, and the last member of such a group stays, untouched, with the group
 * reported. Plain values in, the plan out.
 */
import { describe, expect, it } from 'vitest';
import { type Config, parseConfig } from '../../src/config/index.js';
import { ImportPlanner } from '../../src/plan/planner.js';
import { Scope } from '../../src/plan/scope.js';
import type { ImportPlan } from '../../src/plan/types.js';
import type { Roster } from '../../src/roster/index.js';
import type {
  DirectoryGroup,
  DirectoryUser,
  ReferencingGroup,
  SnapshotRest,
} from '../../src/snapshot/types.js';
import { rosterRecord } from '../support/roster-record.js';
import { directoryUser } from '../support/directory-user.js';

const BASE = 'dc=example,dc=org';
const NOW = new Date('2026-11-23T06:00:00Z');
const CLASS_GROUP = `cn=gym1-5a,ou=groups,ou=gym1,${BASE}`;
const LIBRARY = `cn=library,${BASE}`;
const CHESS = `cn=chess,${BASE}`;
const ADMIN = `uid=k.admin,ou=staff,${BASE}`;

const config: Config = parseConfig(
  {
    source_uid: 'sis',
    timezone: 'Europe/Berlin',
    ldap: {
      base_dn: BASE,
      users_dn: 'ou=people,ou={school},{base_dn}',
      groups_dn: 'ou=groups,ou={school},{base_dn}',
    },
    csv: { mapping: { id: 'record_uid' } },
    deletion_grace_period: { deactivation: 0, deletion: 0 },
    safety: { max_deletions: '100%' },
    scheme: { reserve_deleted: false },
  },
  'test',
);

function user(recordUid: string, username: string): DirectoryUser {
  return directoryUser(recordUid, { username, email: `${username}@school.example` });
}

const record = (recordUid: string) => rosterRecord(recordUid);

const staying = user('S-1', 'j.meier');
const leaving = user('S-2', 'j.meier2');

const classGroup: DirectoryGroup = {
  dn: CLASS_GROUP,
  school: 'gym1',
  className: '5a',
  objectClasses: ['groupofnames', 'rostersyncgroup'],
  members: [staying.dn, leaving.dn],
  memberUids: [],
};

function foreign(dn: string, member: string[]): ReferencingGroup {
  return { dn, member, uniqueMember: [], memberUid: [], ours: false };
}

/** Plans an import whose roster keeps `staying` and drops `leaving`; `referencing` as the snapshot read them. */
async function planWith(
  referencing: ReferencingGroup[],
  rosterRecords = [record('S-1')],
): Promise<ImportPlan> {
  const roster: Roster = {
    file: 'roster.csv',
    records: rosterRecords,
    invalidRecordUids: [],
    problems: [],
    rowCount: rosterRecords.length,
    complete: true,
  };
  const planner = new ImportPlanner({
    config,
    roster,
    now: NOW,
    scope: new Scope([]),
    noDelete: false,
    maxDeletions: config.safety.max_deletions,
    reservations: [],
  });
  planner.addUser(staying);
  planner.addUser(leaving);
  expect(planner.deletedUsers()).toEqual([{ dn: leaving.dn, username: leaving.username }]);
  const rest: SnapshotRest = {
    groups: [classGroup],
    referencingGroups: referencing,
    danglingMembers: [],
    existingContainers: [
      `ou=people,ou=gym1,${BASE}`,
      `ou=groups,ou=gym1,${BASE}`,
      `ou=gym1,${BASE}`,
      BASE,
    ].map((dn) => dn.toLowerCase()),
    taken: {
      usernames: ['j.meier', 'j.meier2'],
      emails: ['j.meier@school.example', 'j.meier2@school.example'],
      uidNumbers: [],
      gidNumbers: [],
    },
  };
  return planner.finish(rest);
}

const summary = (plan: ImportPlan) =>
  plan.actions.map((action) => `${action.phase} ${action.kind} ${action.dn}`);

describe('the import plans every group naming a user it deletes', () => {
  it('another tool’s group loses the member before the entry goes; doDelete has nothing left to sweep', async () => {
    const plan = await planWith([
      foreign(LIBRARY, [leaving.dn, ADMIN]),
      foreign(CLASS_GROUP, classGroup.members),
    ]);
    // The class group, read by both searches, is planned once, by the class group rules.
    expect(summary(plan)).toEqual([
      `removals modify-group ${LIBRARY}`,
      `removals modify-group ${CLASS_GROUP}`,
      `removals delete ${leaving.dn}`,
    ]);
    expect(plan.actions[0]).toMatchObject({
      removed: [leaving.dn],
      changes: [{ operation: 'delete', attribute: 'member', values: [leaving.dn] }],
    });
    expect(plan.actions[2]).toMatchObject({ kind: 'delete', sweepReferences: false });
    expect(plan.problems).toEqual([]);
  });

  it('the last member of another tool’s group is kept, untouched, and the group is reported', async () => {
    // The new user would take the freed username and address if the deletion went ahead.
    const newcomer = { ...record('S-3'), line: 3 };
    const plan = await planWith(
      [foreign(LIBRARY, [leaving.dn, ADMIN]), foreign(CHESS, [leaving.dn])],
      [record('S-1'), newcomer],
    );
    expect(plan.problems).toEqual([
      {
        where: CHESS,
        message: `would lose its last member (${leaving.dn}); left as it is, the user stays until it is fixed`,
        userKept: true,
      },
    ]);
    expect(plan.actions.filter((action) => action.phase === 'removals')).toEqual([]);
    // Still in its class group, which gains the newcomer only.
    expect(plan.actions.find((action) => action.kind === 'modify-group')).toMatchObject({
      dn: CLASS_GROUP,
      removed: [],
    });
    expect(plan.actions.find((action) => action.kind === 'create')).toMatchObject({
      username: 'j.meier3',
    });
    expect(plan.unchanged).toBe(2);
    expect(plan.safety.removals).toBe(0);
  });

  it('reads and plans nothing more when no group outside the class groups names the user', async () => {
    const plan = await planWith([]);
    expect(summary(plan)).toEqual([`removals modify-group ${CLASS_GROUP}`, `removals delete ${leaving.dn}`]);
  });
});
