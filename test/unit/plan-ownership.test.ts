/**
 * What a removed user owned (SPEC §8, seed 003), as pure functions of plain values: its owner values go,
 * `ownership.last_owner` picks who owns an entry it owned last, a group it owned and was the last member of
 * takes that owner as its member in the same modify, and only with nobody to take over is the user kept.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';
import { DirectoryLayout } from '../../src/directory/layout.js';
import { type OwnershipInput, planReferencesAndOwners } from '../../src/plan/ownership.js';
import { planRemovals } from '../../src/plan/removal.js';
import { renderPlanLdif } from '../../src/plan/render-ldif.js';
import { renderPlanTable } from '../../src/plan/render-table.js';
import type { ChangeOwnerAction, PurgePlan } from '../../src/plan/types.js';
import type { OwnedEntry } from '../../src/snapshot/ownership.js';
import type { ReferencingGroup } from '../../src/snapshot/types.js';

const BASE = 'dc=example,dc=org';
const SCHOOL = `ou=gym1,${BASE}`;
const dnOf = (name: string) => `uid=${name},ou=people,${SCHOOL}`;
const anna = { dn: dnOf('anna'), username: 'anna' };
const ben = { dn: dnOf('ben'), username: 'ben' };
const head = dnOf('head');
const other = dnOf('other');
const ADMIN = `cn=admin,${BASE}`;
const club = `ou=club,ou=clubs,${SCHOOL}`;

const owned = (dn: string, ...owner: string[]): OwnedEntry => ({ dn, owner });
const group = (dn: string, overrides: Partial<ReferencingGroup> = {}): ReferencingGroup => ({
  dn,
  member: [],
  uniqueMember: [],
  memberUid: [],
  ours: false,
  ...overrides,
});

function ownership(
  entries: OwnedEntry[],
  overrides: Partial<OwnershipInput> = {},
  ancestors: Record<string, string[]> = {},
): OwnershipInput {
  return {
    owned: entries,
    ancestorOwners: new Map(Object.entries(ancestors).map(([dn, owners]) => [dn.toLowerCase(), owners])),
    lastOwner: 'inherit',
    adminDn: ADMIN,
    ...overrides,
  };
}

const ownerActions = (actions: { kind: string }[]) =>
  actions.filter((action): action is ChangeOwnerAction => action.kind === 'change-owner');

describe('owner values of removed users', () => {
  it('inherit: an entry the user owned last goes to the owner of its nearest ancestor that has one', () => {
    const plan = planReferencesAndOwners(
      [],
      [anna],
      ownership(
        [owned(club, anna.dn)],
        {},
        { [`ou=clubs,${SCHOOL}`]: [], [SCHOOL]: [head], [BASE]: [other] },
      ),
    );
    expect(plan.actions).toEqual([
      {
        kind: 'change-owner',
        phase: 'removals',
        dn: club,
        removed: [anna.dn],
        added: [head],
        membersRemoved: [],
        membersAdded: [],
        changes: [
          { operation: 'delete', attribute: 'owner', values: [anna.dn] },
          { operation: 'add', attribute: 'owner', values: [head] },
        ],
      },
    ]);
    expect(plan.kept).toEqual(new Set());
  });

  it('inherit: an ancestor owner who leaves in the same run does not count; the others of that ancestor do', () => {
    const leavingAncestor = planReferencesAndOwners(
      [],
      [anna, ben],
      ownership([owned(club, anna.dn)], {}, { [SCHOOL]: [ben.dn], [BASE]: [other] }),
    );
    expect(ownerActions(leavingAncestor.actions).map((action) => action.added)).toEqual([[other]]);
    const shared = planReferencesAndOwners(
      [],
      [anna, ben],
      ownership([owned(club, anna.dn)], {}, { [SCHOOL]: [ben.dn, head], [BASE]: [other] }),
    );
    expect(ownerActions(shared.actions).map((action) => action.added)).toEqual([[head]]);
  });

  it('inherit: without an owned ancestor, ownership.admin_dn; without that either, nobody', () => {
    const toAdmin = planReferencesAndOwners([], [anna], ownership([owned(club, anna.dn)]));
    expect(ownerActions(toAdmin.actions).map((action) => action.added)).toEqual([[ADMIN]]);
    const ownerless = planReferencesAndOwners(
      [],
      [anna],
      ownership([owned(club, anna.dn)], { adminDn: undefined }),
    );
    expect(ownerActions(ownerless.actions)).toMatchObject([
      {
        removed: [anna.dn],
        added: [],
        changes: [{ operation: 'delete', attribute: 'owner', values: [anna.dn] }],
      },
    ]);
  });

  it('admin: ownership.admin_dn, whatever the ancestors; none: the entry becomes ownerless', () => {
    const ancestors = { [SCHOOL]: [head] };
    const admin = planReferencesAndOwners(
      [],
      [anna],
      ownership([owned(club, anna.dn)], { lastOwner: 'admin' }, ancestors),
    );
    expect(ownerActions(admin.actions).map((action) => action.added)).toEqual([[ADMIN]]);
    const none = planReferencesAndOwners(
      [],
      [anna],
      ownership([owned(club, anna.dn)], { lastOwner: 'none' }, ancestors),
    );
    expect(ownerActions(none.actions).map((action) => [action.removed, action.added])).toEqual([
      [[anna.dn], []],
    ]);
  });

  it('an entry that keeps another owner only loses the user, as the entry spells it', () => {
    const spelled = anna.dn.toUpperCase();
    const plan = planReferencesAndOwners([], [anna], ownership([owned(club, spelled, head)]));
    expect(ownerActions(plan.actions)).toMatchObject([
      {
        removed: [spelled],
        added: [],
        changes: [{ operation: 'delete', attribute: 'owner', values: [spelled] }],
      },
    ]);
  });

  it('a groupOfNames the user owned and was the last member of takes the new owner as member, in one modify', () => {
    const team = `cn=team,${SCHOOL}`;
    const plan = planReferencesAndOwners(
      [group(team, { member: [anna.dn] })],
      [anna],
      ownership([owned(team, anna.dn)], {}, { [SCHOOL]: [head] }),
    );
    expect(plan.actions).toEqual([
      {
        kind: 'change-owner',
        phase: 'removals',
        dn: team,
        removed: [anna.dn],
        added: [head],
        membersRemoved: [anna.dn],
        membersAdded: [head],
        changes: [
          { operation: 'delete', attribute: 'owner', values: [anna.dn] },
          { operation: 'add', attribute: 'owner', values: [head] },
          { operation: 'delete', attribute: 'member', values: [anna.dn] },
          { operation: 'add', attribute: 'member', values: [head] },
        ],
      },
    ]);
    expect(plan.problems).toEqual([]);
    expect(plan.kept).toEqual(new Set());
  });

  it('the owner such a group is left with takes the place of its last member', () => {
    const team = `cn=team,${SCHOOL}`;
    const plan = planReferencesAndOwners(
      [group(team, { member: [anna.dn] })],
      [anna],
      ownership([owned(team, anna.dn, head)], { lastOwner: 'none' }),
    );
    expect(ownerActions(plan.actions)).toMatchObject([
      { removed: [anna.dn], added: [], membersRemoved: [anna.dn], membersAdded: [head] },
    ]);
    expect(plan.kept).toEqual(new Set());
  });

  it('with nobody to take over (none), the user is kept with every owner value, and reported', () => {
    const team = `cn=team,${SCHOOL}`;
    const plan = planReferencesAndOwners(
      [group(team, { member: [anna.dn] }), group(`cn=library,${BASE}`, { member: [anna.dn, other] })],
      [anna],
      ownership([owned(team, anna.dn), owned(club, anna.dn)], { lastOwner: 'none' }),
    );
    expect(plan.actions).toEqual([]);
    expect(plan.kept).toEqual(new Set([anna.dn.toLowerCase()]));
    expect(plan.problems).toMatchObject([{ where: team, userKept: true }]);
  });

  it('a group the user did not own keeps its last member, as before', () => {
    const chess = `cn=chess,${SCHOOL}`;
    const plan = planReferencesAndOwners(
      [group(chess, { member: [anna.dn] })],
      [anna],
      ownership([owned(club, anna.dn)], {}, { [SCHOOL]: [head] }),
    );
    expect(plan.kept).toEqual(new Set([anna.dn.toLowerCase()]));
    expect(plan.actions).toEqual([]);
  });

  it('a group the user owned and leaves with other members left changes in one modify', () => {
    const team = `cn=team,${SCHOOL}`;
    const plan = planReferencesAndOwners(
      [group(team, { member: [anna.dn, other], memberUid: ['anna', 'other'] })],
      [anna],
      ownership([owned(team, anna.dn)], { lastOwner: 'admin' }),
    );
    expect(plan.actions).toEqual([
      expect.objectContaining({
        kind: 'change-owner',
        dn: team,
        membersRemoved: [anna.dn],
        membersAdded: [],
        changes: [
          { operation: 'delete', attribute: 'owner', values: [anna.dn] },
          { operation: 'add', attribute: 'owner', values: [ADMIN] },
          { operation: 'delete', attribute: 'member', values: [anna.dn] },
          { operation: 'delete', attribute: 'memberUid', values: ['anna'] },
        ],
      }),
    ]);
  });

  it('a class group its last members leave is deleted, its owner with it', () => {
    const classGroup = `cn=gym1-5a,ou=groups,${SCHOOL}`;
    const plan = planReferencesAndOwners(
      [group(classGroup, { member: [anna.dn], ours: true })],
      [anna],
      ownership([owned(classGroup, anna.dn)]),
    );
    expect(plan.actions.map((action) => action.kind)).toEqual(['delete-group']);
  });

  it('a deleted user’s own entry keeps its owner values; a moved one loses those of users leaving with it', () => {
    const entries = [owned(ben.dn, anna.dn)];
    const deleting = planReferencesAndOwners([], [anna, ben], ownership(entries));
    expect(deleting.actions).toEqual([]);
    const moving = planReferencesAndOwners(
      [],
      [anna, ben],
      ownership(entries, { leavingEntriesStay: true }, { [SCHOOL]: [head] }),
    );
    expect(ownerActions(moving.actions)).toMatchObject([{ dn: ben.dn, removed: [anna.dn], added: [head] }]);
  });

  it('several leaving owners of one entry go in one change, and actions come in DN order', () => {
    const plan = planReferencesAndOwners(
      [],
      [anna, ben],
      ownership([owned(`ou=b,${BASE}`, anna.dn, ben.dn), owned(`ou=a,${BASE}`, ben.dn)], {
        lastOwner: 'admin',
      }),
    );
    expect(ownerActions(plan.actions).map((action) => [action.dn, action.removed, action.added])).toEqual([
      [`ou=a,${BASE}`, [ben.dn], [ADMIN]],
      [`ou=b,${BASE}`, [anna.dn, ben.dn], [ADMIN]],
    ]);
  });
});

describe('a purge plan with owner changes', () => {
  const config = parseConfig(
    {
      source_uid: 'sis',
      timezone: 'Europe/Berlin',
      ldap: {
        base_dn: BASE,
        users_dn: 'ou=people,ou={school},{base_dn}',
        groups_dn: 'ou=groups,ou={school},{base_dn}',
      },
      csv: { mapping: { id: 'record_uid' } },
      ownership: { last_owner: 'admin', admin_dn: ADMIN },
    },
    'test',
  );
  const team = `cn=team,${SCHOOL}`;
  const removals = planRemovals({
    config,
    layout: new DirectoryLayout(config),
    now: new Date('2026-12-23T06:00:00Z'),
    users: [{ ...anna, recordUid: 'S-1', schools: ['gym1'] }],
    groups: [group(team, { member: [anna.dn] })],
    ownership: { owned: [owned(team, anna.dn)], ancestorOwners: new Map() },
    reservations: ['anna'],
    reservationsContainerExists: true,
  });
  const plan: PurgePlan = {
    version: 2,
    job: 'purge',
    sourceUid: 'sis',
    now: '2026-12-23T06:00:00.000Z',
    timezone: 'Europe/Berlin',
    basedOn: { configDigest: '' },
    due: 1,
    skipped: [],
    problems: removals.problems,
    actions: removals.actions,
  };

  it('changes the owner before the delete, from the config’s ownership.last_owner', () => {
    expect(removals.actions.map((action) => action.kind)).toEqual(['change-owner', 'delete']);
    expect(removals.problems).toEqual([]);
  });

  it('shows the change in the table and as one LDIF modify', () => {
    expect(renderPlanTable(plan)).toContain(
      `change owner (1)\n  ${team}  owner −${anna.dn} +${ADMIN}  member −${anna.dn} +${ADMIN}`,
    );
    expect(renderPlanLdif(plan)).toContain(
      [
        `dn: ${team}`,
        'changetype: modify',
        'delete: owner',
        `owner: ${anna.dn}`,
        '-',
        'add: owner',
        `owner: ${ADMIN}`,
        '-',
        'delete: member',
        `member: ${anna.dn}`,
        '-',
        'add: member',
        `member: ${ADMIN}`,
        '-',
      ].join('\n'),
    );
  });
});
