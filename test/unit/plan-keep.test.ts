/** `rostersync keep`: which users a name stands for, and what keeping them writes. */
import { describe, expect, it } from 'vitest';
import { attributeNames, parseConfig } from '../../src/config/index.js';
import { type KeepCandidate, planKeep } from '../../src/plan/keep.js';

const config = parseConfig(
  { source_uid: 'sis', ldap: { base_dn: 'dc=example,dc=org' }, csv: { mapping: { id: 'record_uid' } } },
  'test',
);
const names = attributeNames(config);
const NOW = new Date('2026-12-01T08:00:00Z');

const candidate = (username: string, recordUid: string, warned = false): KeepCandidate => ({
  dn: `uid=${username},ou=people,dc=example,dc=org`,
  username,
  recordUid,
  schools: ['gym1'],
  warned,
  warningRule: warned,
});

describe('planKeep', () => {
  it('lifts the warning and restarts the clock of users named by username or record uid', () => {
    const plan = planKeep({
      config,
      names,
      now: NOW,
      asked: ['E.Kurz', 'S-2'],
      candidates: [candidate('e.kurz', 'S-1', true), candidate('t.lind', 'S-2')],
    });
    expect(plan).toMatchObject({ version: 2, job: 'keep', asked: ['E.Kurz', 'S-2'], problems: [] });
    expect(
      plan.actions.flatMap((action) => (action.kind === 'keep' ? [[action.username, action.changes]] : [])),
    ).toEqual([
      [
        'e.kurz',
        [
          { operation: 'delete', attribute: 'rostersyncWarningTimestamp', values: [] },
          { operation: 'delete', attribute: 'rostersyncWarningRule', values: [] },
          { operation: 'replace', attribute: 'rostersyncKeptTimestamp', values: ['20261201080000Z'] },
        ],
      ],
      [
        't.lind',
        [{ operation: 'replace', attribute: 'rostersyncKeptTimestamp', values: ['20261201080000Z'] }],
      ],
    ]);
  });

  it('names a name that matches no one, or more than one user', () => {
    const plan = planKeep({
      config,
      names,
      now: NOW,
      asked: ['nobody', 'x'],
      candidates: [candidate('x', 'S-1'), candidate('y', 'x')],
    });
    expect(plan.actions).toEqual([]);
    expect(plan.problems.map((problem) => problem.where)).toEqual(['nobody', 'x']);
  });

  it('keeps a user named twice once', () => {
    const plan = planKeep({
      config,
      names,
      now: NOW,
      asked: ['e.kurz', 'S-1'],
      candidates: [candidate('e.kurz', 'S-1')],
    });
    expect(plan.actions).toHaveLength(1);
  });
});
