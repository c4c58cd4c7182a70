/**
 * A purge plan says what the purge does: under `purge.mode: move` the table, its summary and the LDIF show
 * the lock and the move that doDelete sends, not a delete; the LDIF header names the job.
 */
import { describe, expect, it } from 'vitest';
import { type Config, parseConfig } from '../../src/config/index.js';
import { buildSummary, summaryLine } from '../../src/apply/summary.js';
import { DirectoryLayout } from '../../src/directory/layout.js';
import { renderPlanLdif } from '../../src/plan/render-ldif.js';
import { renderPlanJson, renderPlanTable } from '../../src/plan/render-table.js';
import type { PurgePlan } from '../../src/plan/types.js';
import { type DueUser, planPurge } from '../../src/purge/plan-purge.js';

const BASE = 'dc=example,dc=org';
const NOW = new Date('2026-12-23T06:00:00Z');
const MOVE_TO = `ou=removed,${BASE}`;
const DN = `uid=e.kurz,ou=people,ou=gym1,${BASE}`;

function config(purge: Record<string, unknown> = {}): Config {
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
      purge,
    },
    'test',
  );
}

const due: DueUser[] = [
  {
    dn: DN,
    username: 'e.kurz',
    recordUid: 'S-2',
    schools: ['gym1'],
    roles: ['student:school:gym1'],
    purgeTimestamp: '20261222230000Z',
  },
];

function plan(cfg: Config, moveTargetExists = true): PurgePlan {
  return planPurge({
    config: cfg,
    layout: new DirectoryLayout(cfg),
    now: NOW,
    due,
    groups: [],
    reservations: ['e.kurz'],
    reservationsContainerExists: true,
    moveTargetExists,
  });
}

describe('purge plan in purge.mode: move', () => {
  const moving = plan(config({ mode: 'move', move_to_dn: MOVE_TO }));

  it('marks the delete as a move in the JSON plan', () => {
    const json = JSON.parse(renderPlanJson(moving)) as PurgePlan;
    expect(json.actions).toEqual([
      expect.objectContaining({ kind: 'delete', dn: DN, mode: 'move', moveTo: MOVE_TO }),
    ]);
  });

  it('says "lock and move to" in the table and its summary, never "delete"', () => {
    const table = renderPlanTable(moving);
    expect(table).toContain(`lock and move to ${MOVE_TO} — gym1 (1)\n  e.kurz  (S-2)`);
    expect(table).toMatch(new RegExp(`Summary\\n  lock and move to ${MOVE_TO}  1\\n`));
    expect(table).not.toMatch(/delete/);
  });

  it('renders the lock with its time, the removed mark and the modrdn doDelete sends, not a delete', () => {
    const ldif = renderPlanLdif(moving);
    expect(ldif).toContain(
      [
        `dn: ${DN}`,
        'changetype: modify',
        'replace: pwdAccountLockedTime',
        'pwdAccountLockedTime: 000001010000Z',
        '-',
        'replace: rostersyncDeactivatedTimestamp',
        'rostersyncDeactivatedTimestamp: 20261223060000Z',
        '-',
        'replace: rostersyncRemovedTimestamp',
        'rostersyncRemovedTimestamp: 20261223060000Z',
        '-',
        '',
        `dn: ${DN}`,
        'changetype: modrdn',
        'newrdn: uid=e.kurz',
        'deleteoldrdn: 1',
        `newsuperior: ${MOVE_TO}`,
      ].join('\n'),
    );
    expect(ldif).not.toContain('changetype: delete');
  });

  it('creates a missing target container first, as doDelete would', () => {
    const ldif = renderPlanLdif(plan(config({ mode: 'move', move_to_dn: MOVE_TO }), false));
    const add = ldif.indexOf(`dn: ${MOVE_TO}\nchangetype: add\nobjectClass: organizationalUnit\nou: removed`);
    expect(add).toBeGreaterThan(0);
    expect(add).toBeLessThan(ldif.indexOf('changetype: modrdn'));
  });

  it('names the move in the summary line', () => {
    const summary = buildSummary({
      job: 'purge',
      runId: 'r',
      config: config({ mode: 'move', move_to_dn: MOVE_TO }),
      now: NOW,
      options: { input: 'purge', schools: [], dryRun: true },
      plan: moving,
      result: undefined,
      exitCode: 0,
      started: Date.now(),
    });
    expect(summary.totals).toEqual({ delete: 1 });
    expect(summary.deletesMovedTo).toBe(MOVE_TO);
    expect(summaryLine(summary)).toContain(`1 locked and moved to ${MOVE_TO}`);
  });
});

describe('purge plan in purge.mode: delete', () => {
  const deleting = plan(config());

  it('deletes, and the LDIF header says it is a purge, not a roster import', () => {
    const ldif = renderPlanLdif(deleting);
    expect(ldif.split('\n')[0]).toBe(
      '# rostersync purge plan for source sis: 1 users due, 1 with a purge role',
    );
    expect(ldif).not.toContain('roster purge');
    expect(ldif).toContain(`dn: ${DN}\nchangetype: delete`);
    expect(renderPlanTable(deleting)).toContain('delete — gym1 (1)');
  });
});
