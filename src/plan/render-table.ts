/** The plan as people read it: grouped by action and school, then totals, problems and the safety check. */
import { renderLifecycleLists } from './render-lifecycle.js';
import {
  type ActionKind,
  type ChangeOwnerAction,
  type Plan,
  type PlanAction,
  REMOVAL_KINDS,
} from './types.js';
import { appendAll } from '../arrays.js';

const LABELS: Record<ActionKind, string> = {
  'create-container': 'create container',
  create: 'create',
  restore: 'restore from archive',
  modify: 'modify',
  move: 'move',
  'remove-school': 'remove school',
  reactivate: 'reactivate',
  deactivate: 'deactivate',
  'schedule-deletion': 'schedule deletion',
  'change-owner': 'change owner',
  delete: 'delete',
  keep: 'keep',
  warn: 'warning mail',
  'set-retirement-state': 'set retirement state',
  'write-retirement-states': 'write retirement states',
  'lifecycle-mark': 'lifecycle mark',
  'create-group': 'create group',
  'modify-group': 'modify group',
  'delete-group': 'delete group',
};

const ORDER = Object.keys(LABELS) as ActionKind[];

function schoolOf(action: PlanAction): string {
  return 'school' in action ? action.school : '';
}

/** What the action does, in words: a delete under `purge.mode: move` is a move, and says where to. */
function labelOf(action: PlanAction): string {
  if (action.kind === 'delete' && action.mode === 'move') return `lock and move to ${action.moveTo ?? '?'}`;
  if (action.kind === 'delete' && action.mode === 'retire') return 'retire';
  return LABELS[action.kind];
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
      if (action.purgeAt === undefined) return `${action.username}  locked now (rule ${action.rule ?? '?'})`;
      return action.when === 'now'
        ? `${action.username}  locked now, purge on ${action.purgeAt}`
        : `${action.username}  expires ${action.deactivateAt}, purge on ${action.purgeAt}`;
    case 'schedule-deletion':
      return `${action.username}  stays active, purge on ${action.purgeAt}`;
    case 'delete': {
      const rule = action.rule !== undefined ? `  rule ${action.rule}` : '';
      const retired = action.retirement?.pseudonyms;
      const names = retired ? `  → ${retired.username}${retired.email ? `, ${retired.email}` : ''}` : '';
      const archive = action.archive !== undefined ? `  archived to ${action.archive}` : '';
      return `${action.username}  (${action.recordUid})${names}${rule}${archive}`;
    }
    case 'restore':
      return `${action.username}  (${action.recordUid})  ${action.dn}, locked until an import reactivates it`;
    case 'keep':
      return `${action.username}  (${action.recordUid})`;
    case 'warn':
      return `${action.username}  to ${action.mail.to}, rule ${action.rule}`;
    case 'set-retirement-state':
      return `${action.username}  ${action.from} → ${action.to}`;
    case 'lifecycle-mark':
      return `${action.username}  ${action.reason === 'stamp' ? 'lock stamped' : 'warning cancelled by a login'}, rule ${action.rule}`;
    case 'modify-group':
      return `${action.dn}  +${action.added.length} −${action.removed.length}`;
    case 'change-owner':
      return ownerDetail(action);
    case 'write-retirement-states':
      return action.removeOld === undefined ? action.dn : `${action.dn}  (moved from ${action.removeOld})`;
    default:
      return action.dn;
  }
}

/** `dn  owner −old +new  member −old +new`. */
function ownerDetail(action: ChangeOwnerAction): string {
  const values = (sign: string, dns: string[]) => dns.map((dn) => ` ${sign}${dn}`).join('');
  const owner = `owner${values('−', action.removed)}${values('+', action.added)}`;
  const member =
    action.membersRemoved.length > 0 || action.membersAdded.length > 0
      ? `  member${values('−', action.membersRemoved)}${values('+', action.membersAdded)}`
      : '';
  return `${action.dn}  ${owner}${member}`;
}

/** What the plan is of, in one line. */
export function heading(plan: Plan): string {
  if (plan.job === 'purge') {
    const eligible = plan.due - plan.skipped.length;
    return `Purge for source ${plan.sourceUid}: ${plan.due} users due, ${eligible} with a purge role`;
  }
  if (plan.job === 'keep') return `Keep for source ${plan.sourceUid}: ${plan.asked.join(', ')}`;
  if (plan.job === 'retirement-set')
    return `Retirement of ${plan.asked} (source ${plan.sourceUid}) → ${plan.state}`;
  if (plan.job === 'retirement-states') return `Retirement states: ${plan.states.join(', ')}`;
  if (plan.job === 'restore') return `Restore for source ${plan.sourceUid} from ${plan.archive}`;
  if (plan.job === 'lifecycle') {
    return `Lifecycle rules for source ${plan.sourceUid}: ${plan.rules.map((rule) => rule.rule).join(', ') || 'none'}`;
  }
  const scope = plan.schools.length > 0 ? plan.schools.join(', ') : 'all schools';
  return `Plan for source ${plan.sourceUid} (${scope}) from ${plan.input.file}: ${plan.input.rows} rows, ${plan.input.valid} valid`;
}

export function renderPlanTable(plan: Plan): string {
  const out: string[] = [];
  out.push(heading(plan));
  out.push(`now: ${plan.now} (${plan.timezone})`);
  if (plan.job === 'lifecycle') appendAll(out, renderLifecycleLists(plan));

  // Grouped by what is done (the kind, or a delete that moves) and school, in apply order.
  const sections = new Map<
    string,
    { kind: ActionKind; label: string; school: string; actions: PlanAction[] }
  >();
  for (const action of plan.actions) {
    const label = labelOf(action);
    const school = schoolOf(action);
    const key = `${label}\u0000${school}`;
    const section = sections.get(key) ?? { kind: action.kind, label, school, actions: [] };
    section.actions.push(action);
    sections.set(key, section);
  }
  const byOrder = (a: { kind: ActionKind; label: string }, b: { kind: ActionKind; label: string }): number =>
    ORDER.indexOf(a.kind) - ORDER.indexOf(b.kind) || a.label.localeCompare(b.label);
  const sorted = [...sections.values()].sort((a, b) => byOrder(a, b) || a.school.localeCompare(b.school));
  for (const { label, school, actions } of sorted) {
    out.push('', `${label}${school ? ` — ${school}` : ''} (${actions.length})`);
    for (const action of actions) out.push(`  ${detail(action)}`);
  }

  out.push('', 'Summary');
  const counts = new Map<ActionKind, number>();
  const totals = new Map<string, { kind: ActionKind; label: string; count: number }>();
  for (const action of plan.actions) {
    counts.set(action.kind, (counts.get(action.kind) ?? 0) + 1);
    const label = labelOf(action);
    const total = totals.get(label) ?? { kind: action.kind, label, count: 0 };
    total.count += 1;
    totals.set(label, total);
  }
  const rows = [...totals.values()].sort(byOrder);
  const width = Math.max(
    ...ORDER.map((kind) => LABELS[kind].length),
    ...rows.map((row) => row.label.length),
    'unchanged'.length,
  );
  for (const { label, count } of rows) out.push(`  ${label.padEnd(width)}  ${count}`);
  if (plan.job === 'import') out.push(`  ${'unchanged'.padEnd(width)}  ${plan.unchanged}`);

  if (plan.problems.length > 0) {
    out.push('', `Problems (${plan.problems.length})`);
    for (const problem of plan.problems) out.push(`  ${problem.message}`);
  }
  // The safety limit guards imports against a truncated roster; a purge carries out dates already set.
  if (plan.job === 'import' || plan.job === 'lifecycle') {
    const { safety } = plan;
    const removals = [...REMOVAL_KINDS].map((kind) => counts.get(kind) ?? 0).reduce((a, b) => a + b, 0);
    out.push(
      '',
      `Safety: ${removals} of ${safety.inScope} in-scope users would be removed; limit ${safety.limit} (${safety.setting})` +
        (safety.exceeded ? ' — EXCEEDED: nothing will be written' : ''),
    );
  }
  if (plan.job === 'restore' && plan.missingGroups.length > 0) {
    out.push('', `Groups gone since, not restored (${plan.missingGroups.length})`);
    for (const group of plan.missingGroups) out.push(`  ${group}`);
  }
  if (plan.job === 'purge' && plan.skipped.length > 0) {
    out.push('', `Skipped (${plan.skipped.length})`);
    for (const user of plan.skipped) out.push(`  ${user.username}  ${user.reason}`);
  }
  return `${out.join('\n')}\n`;
}

export function renderPlanJson(plan: Plan): string {
  return `${JSON.stringify(plan, null, 2)}\n`;
}
