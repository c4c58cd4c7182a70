/**
 * What a held plan records of the directory (SPEC §11): the CSN of each entry it writes, the absence of each
 * entry it adds, the names it gives out — and the plan reader refuses a basis it cannot trust.
 */
import { describe, expect, it } from 'vitest';
import { ExitCode, exitCodeOf } from '../../src/errors.js';
import { heldBasis } from '../../src/plan/basis.js';
import { parsePlan } from '../../src/plan/read-plan.js';
import { PLAN_VERSION, type PlanAction } from '../../src/plan/types.js';

const user = { recordUid: 'R-1', username: 'a.b', school: 'gym1' };
const actions: PlanAction[] = [
  { kind: 'create-container', phase: 'containers', dn: 'ou=people,ou=gym1,dc=x', attributes: {} },
  {
    kind: 'modify',
    phase: 'updates',
    dn: 'uid=a.b,ou=people,ou=gym1,dc=x',
    ...user,
    fields: ['email'],
    changes: [{ operation: 'replace', attribute: 'mail', values: ['New@School.example'] }],
  },
  {
    kind: 'move',
    phase: 'updates',
    dn: 'uid=a.b,ou=people,ou=gym1,dc=x',
    ...user,
    newDn: 'uid=a.b,ou=people,ou=rs2,dc=x',
  },
  {
    kind: 'create',
    phase: 'creates',
    dn: 'uid=c.d,ou=people,ou=gym1,dc=x',
    recordUid: 'R-2',
    username: 'C.D',
    school: 'gym1',
    line: 3,
    attributes: { mail: ['c.d@school.example'] },
    passwordFromRoster: false,
  },
  {
    kind: 'delete',
    phase: 'removals',
    dn: 'uid=e.f,ou=people,ou=gym1,dc=x',
    recordUid: 'R-3',
    username: 'e.f',
    school: 'gym1',
    reservation: { dn: 'uid=e.f,ou=reserved,dc=x', attributes: {} },
  },
  {
    kind: 'modify-group',
    phase: 'groups',
    dn: 'cn=gym1-5a,ou=groups,ou=gym1,dc=x',
    school: 'gym1',
    className: '5a',
    added: [],
    removed: [],
    changes: [],
  },
];

const csns: Record<string, string> = {
  'uid=a.b,ou=people,ou=gym1,dc=x': '20261201000000.000001Z#000000#000#000000',
  'uid=e.f,ou=people,ou=gym1,dc=x': '20261201000000.000002Z#000000#000#000000',
  'cn=gym1-5a,ou=groups,ou=gym1,dc=x': '20261201000000.000003Z#000000#000#000000',
};

describe('heldBasis', () => {
  it('records the CSN of each entry written, null for each entry added, and the names given out', () => {
    const basis = heldBasis(actions, (dn) => csns[dn]);
    expect(basis.entries).toEqual({
      'ou=people,ou=gym1,dc=x': null,
      'uid=a.b,ou=people,ou=gym1,dc=x': csns['uid=a.b,ou=people,ou=gym1,dc=x'],
      'uid=a.b,ou=people,ou=rs2,dc=x': null,
      'uid=c.d,ou=people,ou=gym1,dc=x': null,
      'uid=e.f,ou=people,ou=gym1,dc=x': csns['uid=e.f,ou=people,ou=gym1,dc=x'],
      'uid=e.f,ou=reserved,dc=x': null,
      'cn=gym1-5a,ou=groups,ou=gym1,dc=x': csns['cn=gym1-5a,ou=groups,ou=gym1,dc=x'],
    });
    expect(basis.names).toEqual({ usernames: ['c.d'], emails: ['new@school.example', 'c.d@school.example'] });
  });

  it('leaves out an entry whose CSN was not read rather than guess it', () => {
    expect(heldBasis(actions.slice(5), () => undefined).entries).toEqual({});
  });
});

describe('parsePlan and a held basis', () => {
  const plan = (basedOn: Record<string, unknown>) =>
    JSON.stringify({
      version: PLAN_VERSION,
      job: 'purge',
      sourceUid: 'sis',
      now: '2026-12-01T06:00:00.000Z',
      timezone: 'Europe/Berlin',
      basedOn: { configDigest: 'a'.repeat(64), ...basedOn },
      due: 0,
      skipped: [],
      problems: [],
      actions: [],
    });
  const refusal = (text: string) => {
    try {
      parsePlan(text, 'plan.json');
    } catch (error) {
      expect(exitCodeOf(error)).toBe(ExitCode.usage);
      return (error as Error).message;
    }
    throw new Error('accepted');
  };

  it('reads entries and names', () => {
    const basedOn = {
      entries: { 'uid=a,dc=x': 'csn', 'uid=b,dc=x': null },
      names: { usernames: [], emails: [] },
    };
    expect(parsePlan(plan(basedOn), 'plan.json').basedOn).toMatchObject(basedOn);
  });

  it('refuses entries that are not CSNs or null, and names that are not lists', () => {
    expect(refusal(plan({ entries: { 'uid=a,dc=x': 5 } }))).toMatch(/basedOn\.entries must map/);
    expect(refusal(plan({ entries: ['uid=a,dc=x'] }))).toMatch(/basedOn\.entries must map/);
    expect(refusal(plan({ names: { usernames: 'a' } }))).toMatch(/basedOn\.names must list/);
  });
});
