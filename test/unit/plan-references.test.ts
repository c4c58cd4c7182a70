/**
 * Groups that name a removed user, whoever manages them, as a pure function of plain values: the user
 * leaves each, a class group it empties goes, and the last member of anyone else's group stays.
 */
import { describe, expect, it } from 'vitest';
import { planReferences } from '../../src/plan/references.js';
import type { ReferencingGroup } from '../../src/snapshot/types.js';

const BASE = 'dc=example,dc=org';
const dnOf = (name: string) => `uid=${name},ou=people,ou=gym1,${BASE}`;
const anna = { dn: dnOf('anna'), username: 'anna' };
const ben = { dn: dnOf('ben'), username: 'ben' };
const other = `uid=other,ou=staff,${BASE}`;

function group(name: string, overrides: Partial<ReferencingGroup> = {}): ReferencingGroup {
  return { dn: `cn=${name},${BASE}`, member: [], uniqueMember: [], memberUid: [], ours: false, ...overrides };
}

describe('planReferences', () => {
  it('takes the user out of another tool’s group that keeps other members', () => {
    const plan = planReferences([group('library', { member: [anna.dn, other] })], [anna]);
    expect(plan.actions).toEqual([
      {
        kind: 'modify-group',
        phase: 'removals',
        dn: `cn=library,${BASE}`,
        school: '',
        className: '',
        added: [],
        removed: [anna.dn],
        changes: [{ operation: 'delete', attribute: 'member', values: [anna.dn] }],
      },
    ]);
    expect(plan.problems).toEqual([]);
    expect(plan.kept).toEqual(new Set());
  });

  it('removes member, uniqueMember and memberUid values, the DNs as the group spells them', () => {
    const spelled = anna.dn.toUpperCase();
    const plan = planReferences(
      [
        group('mixed', {
          member: [spelled, other],
          uniqueMember: [anna.dn, other],
          memberUid: ['anna', 'other'],
        }),
      ],
      [anna],
    );
    expect(plan.actions.map((action) => (action.kind === 'modify-group' ? action.changes : []))).toEqual([
      [
        { operation: 'delete', attribute: 'member', values: [spelled] },
        { operation: 'delete', attribute: 'uniqueMember', values: [anna.dn] },
        { operation: 'delete', attribute: 'memberUid', values: ['anna'] },
      ],
    ]);
  });

  it('a posixGroup may lose its last memberUid', () => {
    const plan = planReferences([group('unix', { memberUid: ['anna'] })], [anna]);
    expect(plan.actions).toMatchObject([
      { kind: 'modify-group', changes: [{ operation: 'delete', attribute: 'memberUid', values: ['anna'] }] },
    ]);
    expect(plan.kept).toEqual(new Set());
  });

  it('deletes a class group its last members leave, listing what it held', () => {
    const plan = planReferences(
      [group('gym1-5a', { member: [anna.dn, ben.dn], memberUid: ['anna', 'ben'], ours: true })],
      [anna, ben],
    );
    expect(plan.actions).toEqual([
      {
        kind: 'delete-group',
        phase: 'removals',
        dn: `cn=gym1-5a,${BASE}`,
        school: '',
        className: '',
        members: [anna.dn, ben.dn],
        memberUids: ['anna', 'ben'],
      },
    ]);
  });

  it('keeps the last member of another tool’s group, and reports the group', () => {
    const plan = planReferences([group('chess', { member: [anna.dn] })], [anna, ben]);
    expect(plan.actions).toEqual([]);
    expect(plan.problems).toEqual([
      {
        where: `cn=chess,${BASE}`,
        message: `would lose its last member (${anna.dn}); left as it is, the user stays until it is fixed`,
        userKept: true,
      },
    ]);
    expect(plan.kept).toEqual(new Set([anna.dn.toLowerCase()]));
  });

  it('a user kept by one group stays in every other group, whatever the order they are read in', () => {
    const groups = [
      group('library', { member: [anna.dn, other] }),
      group('gym1-5a', { member: [anna.dn, ben.dn], ours: true }),
      group('chess', { member: [anna.dn] }),
    ];
    for (const order of [groups, [...groups].reverse()]) {
      const plan = planReferences(order, [anna, ben]);
      expect(plan.kept).toEqual(new Set([anna.dn.toLowerCase()]));
      expect(plan.problems.map((problem) => problem.where)).toEqual([`cn=chess,${BASE}`]);
      // Only Ben leaves the class group, which keeps Anna; the library keeps her too.
      expect(plan.actions).toEqual([
        {
          kind: 'modify-group',
          phase: 'removals',
          dn: `cn=gym1-5a,${BASE}`,
          school: '',
          className: '',
          added: [],
          removed: [ben.dn],
          changes: [{ operation: 'delete', attribute: 'member', values: [ben.dn] }],
        },
      ]);
    }
  });

  it('plans nothing for groups that name no one leaving', () => {
    const plan = planReferences([group('library', { member: [other], memberUid: ['other'] })], [anna]);
    expect(plan).toEqual({ actions: [], problems: [], kept: new Set() });
  });
});
