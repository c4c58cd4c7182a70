/**
 * The plan as LDIF change records (RFC 2849) that `ldapmodify` accepts and that have the same effect as
 * applying the plan — except initial passwords, which only exist at apply time.
 */
import type { Modification } from '../directory/index.js';
import { leafRdn, parentDn } from '../directory/index.js';
import { foldLdifLine, ldifAttributeLine } from '../ldif.js';
import type { Plan, PlanAction } from './types.js';

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
    case 'modify':
    case 'remove-school':
    case 'reactivate':
    case 'deactivate':
    case 'schedule-deletion':
    case 'modify-group':
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
    case 'delete':
      return [
        ...(action.reservation ? [addRecord(action.reservation.dn, action.reservation.attributes)] : []),
        deleteRecord(action.dn),
      ];
    case 'delete-group':
      return [deleteRecord(action.dn)];
  }
}

export function renderPlanLdif(plan: Plan): string {
  const header = [
    `# rostersync plan for source ${plan.sourceUid}, roster ${plan.input.file}`,
    `# now ${plan.now} (${plan.timezone}); ${plan.actions.length} actions`,
    'version: 1',
  ].join('\n');
  const body = plan.actions.flatMap(records).map((record) => record.join('\n'));
  return `${[header, ...body].join('\n\n')}\n`;
}
