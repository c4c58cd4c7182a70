/**
 * The plan as LDIF change records (RFC 2849) that `ldapmodify` accepts and that have the same effect as
 * applying the plan — except initial passwords, which only exist at apply time.
 */
import type { Modification } from '../directory/index.js';
import { leafRdn, parentDn } from '../directory/index.js';
import { ADMIN_LOCK_TIME } from '../dates.js';
import { foldLdifLine, ldifAttributeLine } from '../ldif.js';
import type { DeleteUserAction, Plan, PlanAction } from './types.js';

const line = (attribute: string, value: string): string => foldLdifLine(ldifAttributeLine(attribute, value));

function addRecord(dn: string, attributes: Record<string, string[]>): string[] {
  const lines = [line('dn', dn), 'changetype: add'];
  for (const [attribute, values] of Object.entries(attributes)) {
    for (const value of values) lines.push(line(attribute, value));
  }
  return lines;
}

function modifyRecord(dn: string, changes: readonly Modification[]): string[] {
  const lines = [line('dn', dn), 'changetype: modify'];
  for (const change of changes) {
    lines.push(`${change.operation}: ${change.attribute}`);
    for (const value of change.values) lines.push(line(change.attribute, value));
    lines.push('-');
  }
  return lines;
}

const deleteRecord = (dn: string): string[] => [line('dn', dn), 'changetype: delete'];

/**
 * `purge.mode: move`, as doDelete sends it: the admin lock and the removed-from-source mark, then the entry
 * moved under `target`, same RDN.
 */
function lockAndMoveRecords(dn: string, target: string, changes: readonly Modification[]): string[][] {
  return [
    modifyRecord(dn, changes),
    [
      line('dn', dn),
      'changetype: modrdn',
      line('newrdn', leafRdn(dn)),
      'deleteoldrdn: 1',
      line('newsuperior', target),
    ],
  ];
}

function records(action: PlanAction): string[][] {
  switch (action.kind) {
    case 'create-container':
    case 'create-group':
      return [addRecord(action.dn, action.attributes)];
    case 'create':
      return [
        [`# ${action.recordUid}: the initial password is generated and set when the plan is applied`],
        addRecord(action.dn, action.attributes),
      ];
    case 'warn':
      return [
        [
          `# ${action.rule}: a warning mail to ${action.mail.to}; written only once the SMTP server accepted it`,
        ],
        modifyRecord(action.dn, action.changes),
        // Commented out: only one of the two is written, and applying this LDIF must give the usual one.
        ...(action.refusedChanges !== undefined
          ? [
              [
                `# ${action.rule}: written instead if the SMTP server refuses the mail for good:`,
                ...modifyRecord(action.dn, action.refusedChanges).map((line) => `# ${line}`),
              ],
            ]
          : []),
      ];
    case 'write-retirement-states':
      return [
        ...(action.add ? [addRecord(action.dn, action.add)] : []),
        ...(action.replace ? [modifyRecord(action.dn, action.replace)] : []),
        ...(action.removeOld !== undefined ? [deleteRecord(action.removeOld)] : []),
      ];
    case 'modify':
    case 'keep':
    case 'lifecycle-mark':
    case 'set-retirement-state':
    case 'remove-school':
    case 'reactivate':
    case 'deactivate':
    case 'schedule-deletion':
    case 'modify-group':
    case 'change-owner':
      return action.changes.length > 0 ? [modifyRecord(action.dn, action.changes)] : [];
    case 'move':
      return [
        [
          line('dn', action.dn),
          'changetype: modrdn',
          line('newrdn', leafRdn(action.newDn)),
          'deleteoldrdn: 1',
          line('newsuperior', parentDn(action.newDn) ?? ''),
        ],
      ];
    case 'restore':
      return [
        [`# ${action.recordUid}: restored from its archive, locked until an import reactivates it`],
        addRecord(action.dn, action.attributes),
        ...(action.reservation ? [deleteRecord(action.reservation)] : []),
      ];
    case 'delete':
      if (action.mode === 'retire') return retirementRecords(action);
      return [
        ...(action.archive !== undefined
          ? [
              [
                `# ${action.recordUid}: its entry and group memberships are archived first to ${action.archive}`,
              ],
            ]
          : []),
        ...(action.reservation ? [addRecord(action.reservation.dn, action.reservation.attributes)] : []),
        ...(action.mode === 'move' && action.moveTo !== undefined
          ? lockAndMoveRecords(
              action.dn,
              action.moveTo,
              action.moveChanges ?? [
                { operation: 'replace', attribute: 'pwdAccountLockedTime', values: [ADMIN_LOCK_TIME] },
              ],
            )
          : [deleteRecord(action.dn)]),
      ];
    case 'delete-group':
      return [deleteRecord(action.dn)];
  }
}

/** A retirement as the DIRECTORY step writes it (the state writes before and after each step aside). */
function retirementRecords(action: DeleteUserAction): string[][] {
  const planned = action.retirement;
  if (planned === undefined) {
    return [[`# ${action.dn}: retirement resumed at the step it was in; the pseudonyms come from the entry`]];
  }
  const { pseudonyms, wipe } = planned;
  const names: Modification[] = [
    { operation: 'replace', attribute: 'cn', values: [pseudonyms.username] },
    { operation: 'replace', attribute: 'sn', values: [pseudonyms.username] },
    { operation: 'replace', attribute: 'displayName', values: [pseudonyms.username] },
    ...(pseudonyms.email !== undefined
      ? [{ operation: 'replace' as const, attribute: 'mail', values: [pseudonyms.email] }]
      : []),
  ];
  return [
    [
      `# retire ${action.recordUid} → ${pseudonyms.recordUid}; removed where present: ${[...wipe, 'userPassword'].join(', ')}`,
    ],
    modifyRecord(action.dn, names),
    [line('dn', action.dn), 'changetype: modrdn', line('newrdn', leafRdn(pseudonyms.dn)), 'deleteoldrdn: 1'],
    modifyRecord(pseudonyms.dn, [
      { operation: 'replace', attribute: 'pwdAccountLockedTime', values: [ADMIN_LOCK_TIME] },
    ]),
  ];
}

/** What the plan is of, for the LDIF's first line. */
function title(plan: Plan): string {
  switch (plan.job) {
    case 'purge':
      return `# rostersync purge plan for source ${plan.sourceUid}: ${plan.due} users due, ${plan.due - plan.skipped.length} with a purge role`;
    case 'keep':
      return `# rostersync keep plan for source ${plan.sourceUid}: ${plan.asked.join(', ')}`;
    case 'retirement-set':
      return `# rostersync retirement set for source ${plan.sourceUid}: ${plan.asked} → ${plan.state}`;
    case 'retirement-states':
      return `# rostersync retirement populate-states: the stored list made equal to retirement.states`;
    case 'lifecycle':
      return `# rostersync lifecycle plan for source ${plan.sourceUid}: rules ${plan.rules.map((rule) => rule.rule).join(', ')}`;
    case 'restore':
      return `# rostersync restore plan for source ${plan.sourceUid} from ${plan.archive}`;
    case 'import':
      return `# rostersync import plan for source ${plan.sourceUid}, roster ${plan.input.file}`;
  }
}

export function renderPlanLdif(plan: Plan): string {
  const header = [
    title(plan),
    `# now ${plan.now} (${plan.timezone}); ${plan.actions.length} actions`,
    'version: 1',
  ].join('\n');
  const body = plan.actions.flatMap(records).map((record) => record.join('\n'));
  return `${[header, ...body].join('\n\n')}\n`;
}
