/** Which containers a plan must create first: a pure function of the planned actions. */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';
import { containerEntry, missingContainers } from '../../src/plan/containers.js';
import { DirectoryLayout } from '../../src/directory/layout.js';
import type { PlanAction } from '../../src/plan/types.js';

const BASE = 'dc=example,dc=org';
const layout = new DirectoryLayout(
  parseConfig(
    {
      source_uid: 'sis',
      ldap: { base_dn: BASE, users_dn: 'ou=people,ou={school},{base_dn}' },
      csv: { mapping: { id: 'record_uid' } },
    },
    'test',
  ),
);

const create = (dn: string): PlanAction => ({
  kind: 'create',
  phase: 'creates',
  dn,
  recordUid: 'S-1',
  username: 'x',
  school: 'gym1',
  line: 2,
  attributes: {},
  passwordFromRoster: false,
});

describe('missingContainers', () => {
  it('creates each missing container once, parents first, and none that exist', () => {
    const { actions, problems } = missingContainers(
      [create(`uid=a,ou=people,ou=gym1,${BASE}`), create(`uid=b,ou=people,ou=gym1,${BASE}`)],
      [`ou=gym1,${BASE}`],
      layout,
    );
    expect(problems).toEqual([]);
    expect(actions.map((action) => action.dn)).toEqual([`ou=people,ou=gym1,${BASE}`]);
  });

  it('covers moves, reservations and the target of purge.mode move', () => {
    const { actions } = missingContainers(
      [
        {
          kind: 'move',
          phase: 'updates',
          dn: `uid=a,ou=people,ou=gym1,${BASE}`,
          newDn: `uid=a,ou=people,ou=rs2,${BASE}`,
          recordUid: 'S-1',
          username: 'a',
          school: 'rs2',
        },
        {
          kind: 'delete',
          phase: 'removals',
          dn: `uid=b,ou=people,ou=gym1,${BASE}`,
          recordUid: 'S-2',
          username: 'b',
          school: 'gym1',
          reservation: { dn: `uid=b,ou=reserved,${BASE}`, attributes: {} },
          mode: 'move',
          moveTo: `ou=removed,${BASE}`,
        },
      ],
      [`ou=gym1,${BASE}`, `ou=people,ou=gym1,${BASE}`],
      layout,
    );
    expect(actions.map((action) => action.dn)).toEqual([
      `ou=rs2,${BASE}`,
      `ou=people,ou=rs2,${BASE}`,
      `ou=reserved,${BASE}`,
      `ou=removed,${BASE}`,
    ]);
  });

  it('reports a missing container it cannot make', () => {
    const { actions, problems } = missingContainers([create(`uid=a,l=Berlin,${BASE}`)], [], layout);
    expect(actions).toEqual([]);
    expect(problems.map((problem) => problem.where)).toEqual([`l=Berlin,${BASE}`]);
    expect(problems[0]?.message).toContain('create it first');
  });
});

describe('containerEntry', () => {
  it('makes an organizationalUnit for ou= and an organizationalRole for cn=', () => {
    expect(containerEntry(`ou=people,${BASE}`)?.attributes).toEqual({
      objectClass: ['organizationalUnit'],
      ou: ['people'],
    });
    expect(containerEntry(`cn=apps,${BASE}`)?.attributes).toEqual({
      objectClass: ['organizationalRole'],
      cn: ['apps'],
    });
    expect(containerEntry(`l=Berlin,${BASE}`)).toBeUndefined();
  });
});
