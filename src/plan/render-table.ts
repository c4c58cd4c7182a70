/** The plan as people read it: grouped by action and school, then totals, problems and the safety check. */
import { type ActionKind, type Plan, type PlanAction, REMOVAL_KINDS } from './types.js';

const LABELS: Record<ActionKind, string> = {
  'create-container': 'create container',
  create: 'create',
  modify: 'modify',
  move: 'move',
  'remove-school': 'remove school',
  reactivate: 'reactivate',
  deactivate: 'deactivate',
  'schedule-deletion': 'schedule deletion',
  delete: 'delete',
  'create-group': 'create group',
  'modify-group': 'modify group',
  'delete-group': 'delete group',
};

const ORDER = Object.keys(LABELS) as ActionKind[];

function schoolOf(action: PlanAction): string {
  return 'school' in action ? action.school : '';
}

function detail(action: PlanAction): string {
  switch (action.kind) {
    case 'create':
      return `${action.username}  (${action.recordUid}, line ${action.line})`;
    case 'modify':
      return `${action.username}  ${action.fields.join(', ')}`;
    case 'move':
      return `${action.username}  → ${action.newDn}`;
    case 'remove-school':
      return `${action.username}  leaves ${action.removedSchools.join(', ')}`;
    case 'reactivate':
      return `${action.username}${action.keptByAdmin.length > 0 ? `  (kept, set by an admin: ${action.keptByAdmin.join(', ')})` : ''}`;
    case 'deactivate':
      return action.when === 'now'
        ? `${action.username}  locked now, purge on ${action.purgeAt}`
        : `${action.username}  expires ${action.deactivateAt}, purge on ${action.purgeAt}`;
    case 'schedule-deletion':
      return `${action.username}  stays active, purge on ${action.purgeAt}`;
    case 'delete':
      return `${action.username}  (${action.recordUid})`;
    case 'modify-group':
      return `${action.dn}  +${action.added.length} −${action.removed.length}`;
    default:
      return action.dn;
  }
}

export function renderPlanTable(plan: Plan): string {
  const out: string[] = [];
  const scope = plan.schools.length > 0 ? plan.schools.join(', ') : 'all schools';
  out.push(
    plan.job === 'purge'
      ? `Purge for source ${plan.sourceUid}: ${plan.input.rows} users due, ${plan.input.valid} with a purge role`
      : `Plan for source ${plan.sourceUid} (${scope}) from ${plan.input.file}: ${plan.input.rows} rows, ${plan.input.valid} valid`,
  );
  out.push(`now: ${plan.now} (${plan.timezone})`);

  const groups = new Map<string, PlanAction[]>();
  for (const action of plan.actions) {
    const key = `${action.kind}\u0000${schoolOf(action)}`;
    groups.set(key, [...(groups.get(key) ?? []), action]);
  }
  const keys = [...groups.keys()].sort((a, b) => {
    const [kindA = '', schoolA = ''] = a.split('\u0000');
    const [kindB = '', schoolB = ''] = b.split('\u0000');
    return (
      ORDER.indexOf(kindA as ActionKind) - ORDER.indexOf(kindB as ActionKind) ||
      schoolA.localeCompare(schoolB)
    );
  });
  for (const key of keys) {
    const actions = groups.get(key) ?? [];
    const [kind = '', school = ''] = key.split('\u0000');
    out.push('', `${LABELS[kind as ActionKind]}${school ? ` — ${school}` : ''} (${actions.length})`);
    for (const action of actions) out.push(`  ${detail(action)}`);
  }

  out.push('', 'Summary');
  const counts = new Map<ActionKind, number>();
  for (const action of plan.actions) counts.set(action.kind, (counts.get(action.kind) ?? 0) + 1);
  const width = Math.max(...ORDER.map((kind) => LABELS[kind].length), 'unchanged'.length);
  for (const kind of ORDER) {
    const count = counts.get(kind);
    if (count) out.push(`  ${LABELS[kind].padEnd(width)}  ${count}`);
  }
  out.push(`  ${'unchanged'.padEnd(width)}  ${plan.unchanged}`);

  if (plan.problems.length > 0) {
    out.push('', `Problems (${plan.problems.length})`);
    for (const problem of plan.problems) out.push(`  ${problem.message}`);
  }
  const { safety } = plan;
  // The safety limit guards imports against a truncated roster; a purge carries out dates already set.
  if (plan.job === 'import') {
    const removals = [...REMOVAL_KINDS].map((kind) => counts.get(kind) ?? 0).reduce((a, b) => a + b, 0);
    out.push(
      '',
      `Safety: ${removals} of ${safety.inScope} in-scope users would be removed; limit ${safety.limit} (${safety.setting})` +
        (safety.exceeded ? ' — EXCEEDED: nothing will be written' : ''),
    );
  }
  return `${out.join('\n')}\n`;
}

export function renderPlanJson(plan: Plan): string {
  return `${JSON.stringify(plan, null, 2)}\n`;
}
