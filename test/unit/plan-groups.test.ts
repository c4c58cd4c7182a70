/** Class group membership as a pure function: shared groups, groups made by hand, users kept as they are. */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';
import { type GroupPlanInput, planGroups, wantedGroups } from '../../src/plan/groups.js';
import { DirectoryLayout } from '../../src/directory/layout.js';
import { Scope } from '../../src/plan/scope.js';
import type { DirectoryGroup } from '../../src/snapshot/types.js';

const BASE = 'dc=example,dc=org';
const layout = new DirectoryLayout(
  parseConfig(
    {
      source_uid: 'sis',
      ldap: { base_dn: BASE, groups_dn: 'ou=groups,ou={school},{base_dn}' },
      csv: { mapping: { id: 'record_uid' } },
    },
    'test',
  ),
);
const GROUP = `cn=gym1-5a,ou=groups,ou=gym1,${BASE}`;
const ours = (name: string) => `uid=${name},ou=people,ou=gym1,${BASE}`;
const theirs = `uid=other,ou=people,ou=office,${BASE}`;

function group(overrides: Partial<DirectoryGroup> = {}): DirectoryGroup {
  return {
    dn: GROUP,
    school: 'gym1',
    className: '5a',
    objectClasses: ['groupofnames', 'rostersyncgroup'],
    members: [],
    memberUids: [],
    ...overrides,
  };
}

function input(overrides: Partial<GroupPlanInput>): GroupPlanInput {
  return {
    layout,
    scope: new Scope([]),
    sourceUid: 'sis',
    current: [],
    wanted: [],
    managed: new Set(),
    managedUsernames: new Set(),
    deleted: new Set(),
    deletedUsernames: new Set(),
    renamed: new Map(),
    nextGidNumber: undefined,
    ...overrides,
  };
}

const wantAnna = [{ school: 'gym1', className: '5a', members: [{ dn: ours('anna'), username: 'anna' }] }];

describe('planGroups', () => {
  it('keeps another source’s members of a shared group and manages only its own', () => {
    const actions = planGroups(
      input({
        current: [group({ members: [theirs, ours('ben')] })],
        wanted: wantAnna,
        managed: new Set([ours('anna'), ours('ben')]),
      }),
    );
    expect(actions).toEqual([
      expect.objectContaining({ kind: 'modify-group', added: [ours('anna')], removed: [ours('ben')] }),
    ]);
  });

  it('takes up a group made by hand instead of creating it, keeping the admin’s member', () => {
    const admin = `uid=admin,ou=staff,${BASE}`;
    const [action, ...rest] = planGroups(
      input({
        current: [group({ objectClasses: ['groupofnames'], members: [admin] })],
        wanted: wantAnna,
        managed: new Set([ours('anna')]),
      }),
    );
    expect(rest).toEqual([]);
    expect(action?.kind).toBe('modify-group');
    if (action?.kind !== 'modify-group') return;
    expect(action.changes).toEqual([
      { operation: 'add', attribute: 'objectClass', values: ['rostersyncGroup'] },
      { operation: 'replace', attribute: 'rostersyncSourceUid', values: ['sis'] },
      { operation: 'replace', attribute: 'rostersyncSchool', values: ['gym1'] },
      { operation: 'replace', attribute: 'rostersyncClass', values: ['5a'] },
      { operation: 'add', attribute: 'member', values: [ours('anna')] },
    ]);
  });

  it('leaves a member alone that the run does not manage (kept users are not in `managed`)', () => {
    const actions = planGroups(
      input({
        current: [group({ members: [ours('kept'), ours('anna')] })],
        wanted: wantAnna,
        managed: new Set([ours('anna')]),
      }),
    );
    expect(actions).toEqual([]);
  });

  it('deletes a group its last member leaves, listing the members it held', () => {
    const actions = planGroups(
      input({ current: [group({ members: [ours('ben')] })], managed: new Set([ours('ben')]) }),
    );
    expect(actions).toEqual([
      expect.objectContaining({
        kind: 'delete-group',
        phase: 'groups',
        members: [ours('ben')],
        memberUids: [],
      }),
    ]);
  });

  it('creates a group no one has made yet', () => {
    const actions = planGroups(input({ wanted: wantAnna }));
    expect(actions).toEqual([expect.objectContaining({ kind: 'create-group', dn: GROUP })]);
  });
});

describe('wantedGroups', () => {
  it('puts a user in the classes of the run’s schools it belongs to', () => {
    const wanted = wantedGroups(
      [
        {
          dn: ours('anna'),
          username: 'anna',
          schools: ['gym1'],
          record: {
            classes: [
              { school: 'gym1', name: '5a' },
              { school: 'rs2', name: '7b' },
            ],
          },
        },
      ],
      new Scope(['gym1']),
    );
    // A member is the placement itself; what a member is, is its DN and username.
    const members = wanted.map((group) => ({
      ...group,
      members: group.members.map(({ dn, username }) => ({ dn, username })),
    }));
    expect(members).toEqual(wantAnna);
  });
});
