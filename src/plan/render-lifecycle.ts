/**
 * A lifecycle plan as people read it (SPEC §7): per rule, its lists — candidates with the day they will be
 * warned, warned with the day of the action, ready (acted on now), cancelled, unwarnable — then what the
 * run writes and sends, and the safety check.
 */
import type { LifecycleListed, LifecycleListName, LifecyclePlan, RuleLists } from './types.js';

const TITLES: Record<LifecycleListName, string> = {
  candidates: 'candidates',
  warn: 'warned now',
  warned: 'warned',
  ready: 'ready, acted on now',
  cancelled: 'cancelled',
  unwarnable: 'unwarnable',
};

/** The calendar day of an instant in the plan's time zone, `2026-12-22`. */
function dayOf(iso: string | undefined, timeZone: string): string {
  if (iso === undefined) return '?';
  return new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(new Date(iso));
}

function describeRule(rule: RuleLists): string {
  const warning = rule.warningDays > 0 ? `, warning ${rule.warningDays} days before` : ', no warning';
  return `Rule ${rule.rule}: ${rule.trigger} for ${rule.days} days → ${rule.action}${warning}`;
}

function line(list: LifecycleListName, user: LifecycleListed, rule: RuleLists, timeZone: string): string {
  const who = `${user.username}  (${user.recordUid})`;
  const verb = rule.action === 'notify' ? 'mailed' : rule.action === 'delete' ? 'deleted' : 'deactivated';
  const note = user.note !== undefined ? `  — ${user.note}` : '';
  switch (list) {
    case 'candidates':
      return rule.warningDays > 0 || rule.action === 'notify'
        ? `${who}  warned on ${dayOf(user.warnOn, timeZone)}${note}`
        : `${who}  ${verb} on ${dayOf(user.actOn, timeZone)}${note}`;
    case 'warn':
      return `${who}  ${rule.action === 'notify' ? 'names' : `${verb} from`} ${dayOf(user.actOn, timeZone)}${note}`;
    case 'warned':
      return `${who}  warned ${dayOf(user.warnedAt, timeZone)}, ${rule.action === 'notify' ? 'done' : `${verb} from ${dayOf(user.actOn, timeZone)}`}${note}`;
    case 'ready':
      return `${who}  due ${dayOf(user.actOn, timeZone)}${note}`;
    case 'cancelled':
      return `${who}  warned ${dayOf(user.warnedAt, timeZone)}, logged in ${dayOf(user.loginAt, timeZone)}${note}`;
    case 'unwarnable':
      return `${who}  due ${dayOf(user.actOn, timeZone)}${note}`;
  }
}

export function renderLifecycleLists(plan: LifecyclePlan): string[] {
  const out: string[] = [];
  for (const rule of plan.rules) {
    out.push('', describeRule(rule));
    for (const [list, title] of Object.entries(TITLES) as [LifecycleListName, string][]) {
      const users = rule.lists[list];
      const partial = list === 'candidates' && !rule.allCandidates ? ', those read' : '';
      out.push(`  ${title} (${users.length}${partial})`);
      for (const user of users) out.push(`    ${line(list, user, rule, plan.timezone)}`);
    }
  }
  return out;
}
