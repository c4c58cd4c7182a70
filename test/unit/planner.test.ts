/**
 * The planner is a pure function: these tests feed it a roster and a directory snapshot as plain values
 * and check the plan, rule by rule (SPEC §4.3–4.6).
 */
import { describe, expect, it } from 'vitest';
import { type Config, parseConfig } from '../../src/config/index.js';
import { planImport } from '../../src/plan/planner.js';
import { Scope } from '../../src/plan/scope.js';
import type { DeactivateAction, PlanAction } from '../../src/plan/types.js';
import type { Roster, RosterRecord } from '../../src/roster/index.js';
import type { DirectoryUser, Snapshot } from '../../src/snapshot/types.js';
import { rosterRecord } from '../support/roster-record.js';
import { directoryUser } from '../support/directory-user.js';

const BASE = 'dc=example,dc=org';
const NOW = new Date('2026-11-23T06:00:00Z');

function config(overrides: Record<string, unknown> = {}): Config {
  return parseConfig(
    {
      source_uid: 'sis',
      timezone: 'Europe/Berlin',
      ldap: {
        base_dn: BASE,
        users_dn: 'ou=people,ou={school},{base_dn}',
        groups_dn: 'ou=groups,ou={school},{base_dn}',
      },
      csv: { mapping: { id: 'record_uid' } },
      deletion_grace_period: { deactivation: 0, deletion: 30 },
      safety: { max_deletions: '100%' },
      ...overrides,
    },
    'test',
  );
}

const record = rosterRecord;

function roster(records: RosterRecord[], invalidRecordUids: string[] = []): Roster {
  return {
    file: 'roster.csv',
    records,
    invalidRecordUids,
    problems: [],
    rowCount: records.length,
    complete: true,
  };
}

const user = directoryUser;

function snapshot(users: DirectoryUser[], extra: Partial<Snapshot> = {}): Snapshot {
  return {
    users,
    groups: [],
    danglingMembers: [],
    existingContainers: [],
    reservations: [],
    taken: { usernames: users.map((u) => u.username), emails: [], uidNumbers: [], gidNumbers: [] },
    ...extra,
  };
}

function plan(input: {
  config?: Config;
  roster: Roster;
  snapshot: Snapshot;
  schools?: string[];
  noDelete?: boolean;
}) {
  const effective = input.config ?? config();
  return planImport({
    config: effective,
    roster: input.roster,
    snapshot: input.snapshot,
    now: NOW,
    scope: new Scope(input.schools ?? []),
    noDelete: input.noDelete ?? false,
    maxDeletions: effective.safety.max_deletions,
  });
}

const kinds = (actions: PlanAction[]) => actions.map((action) => action.kind);
const userActions = (actions: PlanAction[], recordUid: string) =>
  actions.filter((action) => 'recordUid' in action && action.recordUid === recordUid);

describe('creating users', () => {
  it('new users with the same schools and roles share their constant lists, frozen', async () => {
    // As the roster shares one list per set of schools and roles among its records.
    const schools = ['gym1'];
    const roles = ['student'];
    const result = await plan({
      roster: roster([
        record('S-1', { schools, roles }),
        record('S-2', { schools, roles, firstname: 'Ida' }),
      ]),
      snapshot: snapshot([]),
    });
    const [first, second] = result.actions.filter((action) => action.kind === 'create');
    if (!first || !second) throw new Error('two creates expected');
    for (const name of ['objectClass', 'rostersyncSourceUid', 'rostersyncRole']) {
      expect(first.attributes[name], name).toBe(second.attributes[name]);
      expect(Object.isFrozen(first.attributes[name]), name).toBe(true);
    }
    expect(first.attributes.rostersyncRole).toEqual(['student:school:gym1']);
    expect(first.attributes.cn).toBe(first.attributes.displayName);
    expect(second.attributes.cn).toEqual(['Ida Meier']);
    expect(first.attributes.uid).not.toBe(second.attributes.uid);
  });

  it('creates a user with a unique username, containers first and the class group last', async () => {
    const result = await plan({
      roster: roster([record('S-1', { firstname: 'Jürgen', lastname: 'Müller' })]),
      snapshot: snapshot([], {
        taken: { usernames: ['j.mueller'], emails: [], uidNumbers: [], gidNumbers: [] },
      }),
    });
    expect(kinds(result.actions)).toEqual([
      'create-container',
      'create-container',
      'create-container',
      'create',
      'create-group',
    ]);
    const create = result.actions.find((action) => action.kind === 'create');
    expect(create).toMatchObject({
      dn: `uid=j.mueller2,ou=people,ou=gym1,${BASE}`,
      username: 'j.mueller2',
      attributes: {
        rostersyncSourceUid: ['sis'],
        rostersyncRecordUid: ['S-1'],
        givenName: ['Jürgen'],
        sn: ['Müller'],
        rostersyncRole: ['student:school:gym1'],
      },
    });
    expect(JSON.stringify(result)).not.toContain('userPassword');
  });

  it('changes nothing for a user who is already as the roster says', async () => {
    const result = await plan({ roster: roster([record('S-1')]), snapshot: snapshot([user('S-1')]) });
    expect(userActions(result.actions, 'S-1')).toEqual([]);
    expect(result.unchanged).toBe(1);
  });

  it('modifies only what changed', async () => {
    const result = await plan({
      roster: roster([record('S-1', { lastname: 'Meyer' })]),
      snapshot: snapshot([user('S-1')]),
    });
    const [modify] = userActions(result.actions, 'S-1');
    expect(modify).toMatchObject({ kind: 'modify', fields: ['lastname', 'name'] });
    expect(modify && 'changes' in modify ? modify.changes.map((c) => c.attribute).sort() : []).toEqual([
      'cn',
      'displayName',
      'sn',
    ]);
  });
});

describe('users missing from the roster (SPEC §4.5)', () => {
  const missing = (grace: { deactivation: number; deletion: number }, extra: Partial<DirectoryUser> = {}) =>
    plan({
      config: config({ deletion_grace_period: grace }),
      roster: roster([]),
      snapshot: snapshot([user('S-1', extra)]),
    });

  it('row 1: deletion 0 deletes now and reserves the username', async () => {
    const { actions } = await missing({ deactivation: 0, deletion: 0 });
    expect(kinds(actions)).toEqual(['create-container', 'delete']);
    const action = actions[1];
    expect(action).toMatchObject({ kind: 'delete', phase: 'removals' });
    expect(action && action.kind === 'delete' ? action.reservation?.attributes.uid : []).toEqual(['us-1']);
  });

  it('row 2: 0 < deletion ≤ deactivation keeps the user active with a purge timestamp', async () => {
    const [action] = (await missing({ deactivation: 14, deletion: 7 })).actions;
    expect(action).toMatchObject({ kind: 'schedule-deletion', purgeAt: '20261129230000Z' });
    const attributes = action && 'changes' in action ? action.changes.map((c) => c.attribute) : [];
    expect(attributes).toEqual(['rostersyncMissingSince', 'rostersyncPurgeTimestamp']);
  });

  it('row 3: deletion > deactivation = 0 locks now', async () => {
    const [action] = (await missing({ deactivation: 0, deletion: 30 })).actions as DeactivateAction[];
    expect(action).toMatchObject({ kind: 'deactivate', when: 'now', purgeAt: '20261222230000Z' });
    expect(action?.changes).toContainEqual({
      operation: 'replace',
      attribute: 'pwdAccountLockedTime',
      values: ['000001010000Z'],
    });
  });

  it('row 4: deletion > deactivation > 0 ends the account on a later day', async () => {
    const [action] = (await missing({ deactivation: 7, deletion: 30 })).actions as DeactivateAction[];
    expect(action).toMatchObject({ kind: 'deactivate', when: 'later', deactivateAt: '20261129230000Z' });
    expect(action?.changes).toContainEqual({
      operation: 'replace',
      attribute: 'pwdEndTime',
      values: ['20261129230000Z'],
    });
  });

  it('grace dates are sticky: a user already marked missing gets no new dates', async () => {
    const result = await missing(
      { deactivation: 7, deletion: 30 },
      {
        missingSince: '20261101000000Z',
        purgeTimestamp: '20261130230000Z',
        endTime: '20261107230000Z',
        deactivatedTimestamp: '20261107230000Z',
      },
    );
    expect(result.actions).toEqual([]);
    expect(result.unchanged).toBe(1);
  });

  it('a row that failed validation counts as present', async () => {
    const result = await plan({ roster: roster([], ['S-1']), snapshot: snapshot([user('S-1')]) });
    expect(result.actions).toEqual([]);
  });

  it('--no-delete computes no removals', async () => {
    const result = await plan({ roster: roster([]), snapshot: snapshot([user('S-1')]), noDelete: true });
    expect(result.actions).toEqual([]);
  });

  it('the safety limit counts removals against the in-scope users', async () => {
    const result = await plan({
      config: config({ safety: { max_deletions: 1 } }),
      roster: roster([]),
      snapshot: snapshot([user('S-1'), user('S-2')]),
    });
    expect(result.safety).toMatchObject({ removals: 2, inScope: 2, limit: 1, exceeded: true });
  });
});

describe('reactivation', () => {
  it('lifts what rostersync set and keeps a lock set by hand', async () => {
    const ours = await plan({
      roster: roster([record('S-1')]),
      snapshot: snapshot([
        user('S-1', {
          lockedTime: '000001010000Z',
          deactivatedTimestamp: '20261101000000Z',
          missingSince: '20261101000000Z',
          purgeTimestamp: '20261130230000Z',
        }),
      ]),
    });
    const [reactivate] = userActions(ours.actions, 'S-1');
    expect(reactivate).toMatchObject({ kind: 'reactivate', keptByAdmin: [] });
    expect(reactivate && 'changes' in reactivate ? reactivate.changes.map((c) => c.attribute) : []).toEqual([
      'pwdAccountLockedTime',
      'rostersyncDeactivatedTimestamp',
      'rostersyncMissingSince',
      'rostersyncPurgeTimestamp',
    ]);

    const byHand = await plan({
      roster: roster([record('S-1')]),
      snapshot: snapshot([user('S-1', { lockedTime: '000001010000Z', missingSince: '20261101000000Z' })]),
    });
    const [kept] = userActions(byHand.actions, 'S-1');
    expect(kept).toMatchObject({ kind: 'reactivate', keptByAdmin: ['pwdAccountLockedTime=000001010000Z'] });
    expect(kept && 'changes' in kept ? kept.changes.map((c) => c.attribute) : []).toEqual([
      'rostersyncMissingSince',
    ]);
  });
});

describe('scope and schools', () => {
  it('--school takes away only that school from a multi-school user who is missing', async () => {
    const result = await plan({
      roster: roster([]),
      schools: ['gym1'],
      snapshot: snapshot([
        user('L-1', { schools: ['gym1', 'rs2'], roles: ['teacher:school:gym1', 'teacher:school:rs2'] }),
      ]),
    });
    // It leaves gym1's people container for the school it stays in.
    expect(userActions(result.actions, 'L-1')).toEqual([
      expect.objectContaining({ kind: 'remove-school', removedSchools: ['gym1'] }),
      expect.objectContaining({ kind: 'move', newDn: `uid=ul-1,ou=people,ou=rs2,${BASE}` }),
    ]);
    expect(result.safety.removals).toBe(0);
  });

  it('leaves users of schools outside --school alone', async () => {
    const result = await plan({
      roster: roster([]),
      schools: ['gym1'],
      snapshot: snapshot([user('S-9', { schools: ['rs2'], roles: ['student:school:rs2'] })]),
    });
    expect(result.actions).toEqual([]);
  });
});

describe('deletions before creations', () => {
  it('an e-mail freed by a deletion is given to a new user in the same run', async () => {
    const result = await plan({
      config: config({ deletion_grace_period: { deactivation: 0, deletion: 0 } }),
      roster: roster([record('S-2', { email: 'jan@school.example', classes: [] })]),
      snapshot: snapshot([user('S-1', { email: 'jan@school.example' })], {
        taken: { usernames: ['us-1'], emails: ['jan@school.example'], uidNumbers: [], gidNumbers: [] },
      }),
    });
    expect(result.problems).toEqual([]);
    const order = kinds(result.actions).filter((kind) => kind === 'delete' || kind === 'create');
    expect(order).toEqual(['delete', 'create']);
  });

  it('a group whose only member is deleted goes before the entry', async () => {
    const gone = user('S-1');
    const result = await plan({
      config: config({ deletion_grace_period: { deactivation: 0, deletion: 0 } }),
      roster: roster([]),
      snapshot: snapshot([gone], {
        groups: [
          {
            dn: `cn=gym1-5a,ou=groups,ou=gym1,${BASE}`,
            school: 'gym1',
            className: '5a',
            objectClasses: ['groupofnames', 'rostersyncgroup'],
            members: [gone.dn],
            memberUids: [],
          },
        ],
      }),
    });
    expect(result.actions.map((action) => `${action.phase}:${action.kind}`)).toEqual([
      'containers:create-container',
      'removals:delete-group',
      'removals:delete',
    ]);
  });
});

describe('users streamed to the planner', () => {
  it('plans the same whatever order the directory returns the users in', async () => {
    const users = [
      user('A-1', { firstname: 'Old' }),
      user('B-2', { dn: `uid=ub-2,ou=people,ou=gym2,${BASE}` }),
      user('C-3'),
      user('D-4', { email: 'd@example.org' }),
    ];
    const records = [
      record('A-1'),
      record('B-2'),
      record('D-4', { email: 'new@example.org' }),
      record('E-5'),
    ];
    const forward = await plan({ roster: roster(records), snapshot: snapshot(users) });
    const backward = await plan({ roster: roster(records), snapshot: snapshot([...users].reverse()) });
    expect(backward).toEqual(forward);
    expect(kinds(userActions(forward.actions, 'A-1'))).toEqual(['modify']);
    expect(kinds(userActions(forward.actions, 'B-2'))).toEqual(['move']);
    expect(kinds(userActions(forward.actions, 'C-3'))).toEqual(['deactivate']);
    expect(kinds(userActions(forward.actions, 'D-4'))).toEqual(['modify']);
    expect(kinds(userActions(forward.actions, 'E-5'))).toEqual(['create']);
  });

  it('leaves every holder of a duplicated record uid alone and creates no third entry', async () => {
    const result = await plan({
      roster: roster([record('S-1', { firstname: 'New' })]),
      snapshot: snapshot([
        user('S-1'),
        user('S-1', { username: 'other', dn: `uid=other,ou=people,ou=gym1,${BASE}` }),
        user('S-1', { username: 'third', dn: `uid=third,ou=people,ou=gym1,${BASE}` }),
      ]),
    });
    expect(result.actions.filter((action) => action.kind !== 'create-container')).toEqual([]);
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]?.message).toContain("record uid 'S-1' is held by 3 entries");
    expect(result.problems[0]?.where).toContain('uid=third');
  });

  it('checks a changed e-mail address against every address in use, read after the users', async () => {
    const result = await plan({
      roster: roster([record('S-1', { email: 'taken@example.org' })]),
      snapshot: snapshot([user('S-1', { email: 'old@example.org' })], {
        taken: { usernames: ['us-1'], emails: ['taken@example.org'], uidNumbers: [], gidNumbers: [] },
      }),
    });
    expect(userActions(result.actions, 'S-1')).toEqual([]);
    expect(result.problems.map((problem) => problem.message)).toEqual([
      'e-mail taken@example.org is already used by another entry; not changed',
    ]);
  });
});

describe('one address for one entry within a run', () => {
  it('gives a new address to the first of two users asking for it, and not to a new user either', async () => {
    const result = await plan({
      roster: roster([
        record('S-2', { email: 'same@example.org' }),
        record('S-1', { email: 'same@example.org' }),
        record('N-1', { email: 'same@example.org' }),
      ]),
      snapshot: snapshot([user('S-2'), user('S-1')]),
    });
    const modify = result.actions.find((action) => action.kind === 'modify');
    expect(modify && 'recordUid' in modify ? modify.recordUid : undefined).toBe('S-1');
    expect(result.actions.filter((action) => action.kind === 'modify')).toHaveLength(1);
    expect(result.actions.some((action) => action.kind === 'create')).toBe(false);
    expect(result.problems.map((problem) => problem.message)).toEqual([
      'e-mail same@example.org is already used by another entry; not changed',
      'e-mail same@example.org is already used by another entry; user not created',
    ]);
  });
});
