/** The grace table of SPEC §4.5 for one missing user, as a pure function of plain values. */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';
import { graceDecision } from '../../src/plan/grace.js';
import { attributeNames } from '../../src/config/index.js';
import { directoryUser } from '../support/directory-user.js';

const names = attributeNames(
  parseConfig(
    { source_uid: 'sis', ldap: { base_dn: 'dc=example,dc=org' }, csv: { mapping: { id: 'record_uid' } } },
    'test',
  ),
);
const ZONE = 'Europe/Berlin';
const NOW = new Date('2026-11-23T06:00:00Z');
const fresh = directoryUser('S-1');

describe('graceDecision', () => {
  it('row 1: deletion 0 deletes now', () => {
    expect(graceDecision(fresh, { deactivation: 0, deletion: 0 }, ZONE, NOW, names)).toEqual({
      kind: 'delete',
    });
  });

  it('row 2: 0 < deletion <= deactivation stays active with a purge timestamp', () => {
    const decision = graceDecision(fresh, { deactivation: 30, deletion: 14 }, ZONE, NOW, names);
    expect(decision).toEqual({
      kind: 'schedule-deletion',
      purgeAt: '20261206230000Z',
      changes: [
        { operation: 'replace', attribute: 'rostersyncMissingSince', values: ['20261123060000Z'] },
        { operation: 'replace', attribute: 'rostersyncPurgeTimestamp', values: ['20261206230000Z'] },
      ],
    });
  });

  it('row 3: deactivation 0 locks now', () => {
    const decision = graceDecision(fresh, { deactivation: 0, deletion: 30 }, ZONE, NOW, names);
    expect(decision.kind).toBe('deactivate');
    if (decision.kind !== 'deactivate') return;
    expect(decision.when).toBe('now');
    expect(decision.purgeAt).toBe('20261222230000Z');
    expect(decision.changes.map((change) => change.attribute)).toEqual([
      'pwdAccountLockedTime',
      'rostersyncDeactivatedTimestamp',
      'rostersyncMissingSince',
      'rostersyncPurgeTimestamp',
    ]);
  });

  it('row 4: deletion > deactivation > 0 ends the account at the start of a later day', () => {
    const decision = graceDecision(fresh, { deactivation: 7, deletion: 30 }, ZONE, NOW, names);
    expect(decision).toMatchObject({ kind: 'deactivate', when: 'later', deactivateAt: '20261129230000Z' });
    if (decision.kind !== 'deactivate') return;
    expect(decision.changes).toContainEqual({
      operation: 'replace',
      attribute: 'pwdEndTime',
      values: ['20261129230000Z'],
    });
  });

  it('is sticky: a later import that still misses the user changes nothing and moves no date', () => {
    const missing = directoryUser('S-1', {
      missingSince: '20261123060000Z',
      purgeTimestamp: '20261222230000Z',
      deactivatedTimestamp: '20261123060000Z',
      lockedTime: '000001010000Z',
    });
    const later = new Date('2026-12-01T06:00:00Z');
    expect(graceDecision(missing, { deactivation: 0, deletion: 30 }, ZONE, later, names)).toEqual({
      kind: 'unchanged',
    });
    expect(graceDecision(missing, { deactivation: 30, deletion: 14 }, ZONE, later, names)).toEqual({
      kind: 'unchanged',
    });
  });

  it('counts from the first import that missed the user when a date is missing', () => {
    const missing = directoryUser('S-1', { missingSince: '20261123060000Z' });
    const decision = graceDecision(
      missing,
      { deactivation: 30, deletion: 14 },
      ZONE,
      new Date('2026-12-01T06:00:00Z'),
      names,
    );
    expect(decision).toEqual({
      kind: 'schedule-deletion',
      purgeAt: '20261206230000Z',
      changes: [{ operation: 'replace', attribute: 'rostersyncPurgeTimestamp', values: ['20261206230000Z'] }],
    });
  });
});
