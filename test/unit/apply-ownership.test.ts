/**
 * An owner change at apply time keeps a user whose removal was refused or failed exactly as it was: its
 * owner and member values stay, and nobody is added in its place. The summary lists what changed.
 */
import { describe, expect, it } from 'vitest';
import { keepingOwners, ownerChanges } from '../../src/apply/ownership.js';
import type { ChangeOwnerAction } from '../../src/plan/types.js';

const BASE = 'dc=example,dc=org';
const anna = `uid=anna,ou=people,${BASE}`;
const ben = `uid=ben,ou=people,${BASE}`;
const head = `uid=head,ou=people,${BASE}`;
const team = `cn=team,${BASE}`;

const action: ChangeOwnerAction = {
  kind: 'change-owner',
  phase: 'removals',
  dn: team,
  removed: [anna, ben],
  added: [head],
  membersRemoved: [anna],
  membersAdded: [head],
  changes: [
    { operation: 'delete', attribute: 'owner', values: [anna, ben] },
    { operation: 'add', attribute: 'owner', values: [head] },
    { operation: 'delete', attribute: 'member', values: [anna] },
    { operation: 'add', attribute: 'member', values: [head] },
    { operation: 'delete', attribute: 'memberUid', values: ['anna'] },
  ],
};

describe('keepingOwners', () => {
  it('sends the change as planned when nobody is kept', () => {
    expect(keepingOwners(action, new Map())).toBe(action);
    expect(keepingOwners(action, new Map([[`uid=other,${BASE}`, 'other']]))).toBe(action);
  });

  it('a kept owner and member keeps its values, and nobody takes its place', () => {
    const kept = keepingOwners(action, new Map([[anna, 'anna']]));
    expect(kept).toEqual({
      ...action,
      removed: [ben],
      added: [],
      membersRemoved: [],
      membersAdded: [],
      changes: [{ operation: 'delete', attribute: 'owner', values: [ben] }],
    });
  });

  it('a kept co-owner only stops the new owner; the member change goes out', () => {
    const kept = keepingOwners(action, new Map([[ben, 'ben']]));
    expect(kept.changes).toEqual([
      { operation: 'delete', attribute: 'owner', values: [anna] },
      { operation: 'delete', attribute: 'member', values: [anna] },
      { operation: 'add', attribute: 'member', values: [head] },
      { operation: 'delete', attribute: 'memberUid', values: ['anna'] },
    ]);
    expect([kept.removed, kept.added]).toEqual([[anna], []]);
  });
});

describe('ownerChanges', () => {
  it('lists every entry whose owner changed, with what was removed and added', () => {
    const nothing = { ...action, dn: `cn=other,${BASE}`, removed: [], added: [] };
    expect(ownerChanges([action, nothing])).toEqual([{ dn: team, removed: [anna, ben], added: [head] }]);
  });
});
