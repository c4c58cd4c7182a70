/**
 * The plan of a lifecycle run (SPEC §7): each rule's users put on its lists by the rule engine
 * (`lifecycleStep`), and the writes and mails that follow — warnings (rendered here, so the plan shows every
 * mail), cancelled warnings, stamped locks, deactivations, and deletes planned as the purge plans them.
 * Rules run in config order, and a user gets at most one of them per run: one rule's warning or action
 * leaves the user alone for the rules after it. Pure: users, templates and removal facts in, a plan out.
 */
import type { AttributeNames, Config, LifecycleRule, MaxDeletions } from '../config/index.js';
import { ADMIN_LOCK_TIME, dayStartInZone, toGeneralizedTime } from '../dates.js';
import { normalizeDn } from '../directory/index.js';
import type { MailTemplates } from '../mail/index.js';
import { renderTemplate } from '../mail/index.js';
import { type LifecycleEntry, ruleMailValue } from '../snapshot/lifecycle.js';
import type { Modification } from '../directory/index.js';
import { configDigest } from './basis.js';
import { lockNowChanges, stampFoundLockChanges } from './deactivation.js';
import { lifecycleStep, type LifecycleStep } from './lifecycle.js';
import type { RemovedUser, Removals } from './removal.js';
import { safetyCheck } from './safety.js';
import {
  type DeactivateAction,
  LIFECYCLE_LISTS,
  type LifecycleListed,
  type LifecycleListName,
  type LifecycleMarkAction,
  type LifecyclePlan,
  PLAN_VERSION,
  type RuleLists,
  type WarnAction,
} from './types.js';

/** One rule and the users the run read for it (this source's, in the rule's roles, not in retirement). */
export interface RuleUsers {
  rule: LifecycleRule;
  users: readonly LifecycleEntry[];
  /** Whether every user the trigger matches was read, or only those whose next step may have come. */
  allCandidates: boolean;
}

/** What the rules decided, before the deletes are planned (they need the groups naming those users). */
export interface LifecycleDecision {
  rules: RuleLists[];
  marks: LifecycleMarkAction[];
  warnings: WarnAction[];
  deactivations: DeactivateAction[];
  /** Per rule, the users its `delete` removes now. */
  deletes: { rule: string; users: RemovedUser[] }[];
}

export interface DecideInput {
  config: Config;
  names: AttributeNames;
  now: Date;
  rules: readonly RuleUsers[];
  /** Needed when a rule mails (`warning_days` > 0 or `notify`). */
  templates: MailTemplates | undefined;
}

const iso = (date: Date | undefined): string | undefined => date?.toISOString();

function emptyLists(): Record<LifecycleListName, LifecycleListed[]> {
  return Object.fromEntries(LIFECYCLE_LISTS.map((list) => [list, []])) as unknown as Record<
    LifecycleListName,
    LifecycleListed[]
  >;
}

function listed(user: LifecycleEntry, step: Exclude<LifecycleStep, { list: 'none' }>, note?: string) {
  const entry: LifecycleListed = { dn: user.dn, username: user.username, recordUid: user.recordUid };
  if ('reference' in step) entry.reference = iso(step.reference);
  if ('warnOn' in step) entry.warnOn = iso(step.warnOn);
  if ('actOn' in step) entry.actOn = iso(step.actOn);
  if ('warnedAt' in step) entry.warnedAt = iso(step.warnedAt);
  if ('loginAt' in step) entry.loginAt = iso(step.loginAt);
  if (note !== undefined) entry.note = note;
  return entry;
}

const LIST_OF: Record<Exclude<LifecycleStep['list'], 'none'>, LifecycleListName> = {
  candidate: 'candidates',
  warn: 'warn',
  warned: 'warned',
  ready: 'ready',
  unwarnable: 'unwarnable',
  cancelled: 'cancelled',
};

export function decideLifecycle(input: DecideInput): LifecycleDecision {
  const { config, names, now } = input;
  const timeZone = config.timezone;
  const time = toGeneralizedTime(now);
  const decision: LifecycleDecision = { rules: [], marks: [], warnings: [], deactivations: [], deletes: [] };
  /** Rules whose warning is a step before an action still to come. */
  const pending = new Set(
    config.lifecycle.rules.filter((rule) => rule.action !== 'notify').map((rule) => rule.name),
  );
  /** Users a rule warned or acted on in this run: the later rules leave them alone. */
  const taken = new Map<string, string>();
  const stamped = new Set<string>();

  for (const { rule, users, allCandidates } of input.rules) {
    const lists = emptyLists();
    const deletes: RemovedUser[] = [];
    for (const user of [...users].sort((a, b) => a.username.localeCompare(b.username))) {
      const key = normalizeDn(user.dn);
      const base = {
        dn: user.dn,
        recordUid: user.recordUid,
        username: user.username,
        school: user.schools[0] ?? '',
      };
      // SPEC §7: a lock found without rostersync's stamp gets the run's time; the clock starts from it.
      if (
        rule.trigger === 'deactivated' &&
        user.state.locked &&
        user.state.deactivated === undefined &&
        !stamped.has(key)
      ) {
        stamped.add(key);
        decision.marks.push({
          kind: 'lifecycle-mark',
          phase: 'updates',
          ...base,
          rule: rule.name,
          reason: 'stamp',
          changes: stampFoundLockChanges(now, names),
        });
      }
      const step = lifecycleStep(rule, user.state, now, timeZone);
      if (step.list === 'none') continue;
      const list = LIST_OF[step.list];

      // A deactivating rule has nothing to say to a user who is locked already: no mail, no write.
      const locked = user.lockedTime === ADMIN_LOCK_TIME;
      if (rule.action === 'deactivate' && locked && step.list !== 'candidate' && step.list !== 'cancelled') {
        lists.ready.push(listed(user, step, 'locked already'));
        continue;
      }
      // Another rule's warning is pending: this rule waits until it is lifted or acted on (the warning
      // marks hold one warning at a time). A notify rule's mark only records its mail, and a mark of a
      // rule no longer configured stands for nothing: neither makes anyone wait.
      const warnedBy = user.state.warning?.rule;
      if (
        warnedBy !== undefined &&
        warnedBy !== rule.name &&
        pending.has(warnedBy) &&
        step.list !== 'candidate'
      ) {
        lists.candidates.push(listed(user, step, `waits: warned by rule ${warnedBy}`));
        continue;
      }
      const takenBy = taken.get(key);
      if (takenBy !== undefined && (step.list === 'warn' || step.list === 'ready')) {
        lists.candidates.push(listed(user, step, `waits: rule ${takenBy} has it in this run`));
        continue;
      }

      if (step.list === 'candidate' || step.list === 'warned') {
        lists[list].push(listed(user, step));
        continue;
      }
      if (step.list === 'unwarnable') {
        lists.unwarnable.push(listed(user, step, 'no e-mail address'));
        continue;
      }
      if (step.list === 'cancelled') {
        lists.cancelled.push(listed(user, step));
        taken.set(key, rule.name);
        decision.marks.push({
          kind: 'lifecycle-mark',
          phase: 'updates',
          ...base,
          rule: rule.name,
          reason: 'cancelled',
          changes: [
            // The marks only where they are this rule's: a notify rule's may be gone (its own record is
            // what it cancels), and deleting an attribute that is not there fails.
            ...(user.state.warning?.rule === rule.name ? dropMarks(names) : []),
            ...dropRecord(user, rule.name, names),
            { operation: 'replace', attribute: names.keptTimestamp, values: [time] },
          ],
        });
        continue;
      }
      if (step.list === 'warn') {
        const templates = input.templates;
        if (templates === undefined) throw new Error(`rule ${rule.name} warns, but no templates were loaded`);
        lists.warn.push(listed(user, step));
        taken.set(key, rule.name);
        decision.warnings.push(warning(rule, user, base, step.actOn, now, timeZone, templates, names));
        continue;
      }
      // Ready: the action runs now.
      if (rule.action === 'deactivate') {
        const changes = lockNowChanges(user, now, names);
        // The rule's warning has done its job: lifted with the lock, so the next rule's clock may run.
        if (changes.length > 0 && user.state.warning !== undefined) changes.push(...dropMarks(names));
        if (changes.length === 0) {
          // Locked by an admin already: nothing to add, and nothing to count against the safety limit.
          lists.ready.push(listed(user, step, 'locked already'));
          continue;
        }
        decision.deactivations.push({
          kind: 'deactivate',
          phase: 'updates',
          ...base,
          when: 'now',
          deactivateAt: time,
          rule: rule.name,
          changes,
        });
      } else {
        deletes.push({
          dn: user.dn,
          username: user.username,
          recordUid: user.recordUid,
          schools: user.schools,
          ...(user.mail !== undefined ? { email: user.mail } : {}),
        });
      }
      lists.ready.push(listed(user, step));
      taken.set(key, rule.name);
    }
    decision.rules.push({
      rule: rule.name,
      trigger: rule.trigger,
      action: rule.action,
      days: rule.days,
      warningDays: rule.warning_days,
      allCandidates,
      lists,
    });
    if (deletes.length > 0) decision.deletes.push({ rule: rule.name, users: deletes });
  }
  return decision;
}

/** The warning mail, rendered in the user's language, and the marks written once it is accepted. */
function warning(
  rule: LifecycleRule,
  user: LifecycleEntry,
  base: Pick<WarnAction, 'dn' | 'recordUid' | 'username' | 'school'>,
  actOn: Date,
  now: Date,
  timeZone: string,
  templates: MailTemplates,
  names: AttributeNames,
): WarnAction {
  const { template, language } = templates.resolve(rule.name, user.language);
  // Whole days from today to the day of the action.
  const days = Math.max(
    0,
    Math.round((actOn.getTime() - dayStartInZone(now, timeZone, 0).getTime()) / 86_400_000),
  );
  const mail = renderTemplate(
    template,
    {
      firstname: user.firstname,
      lastname: user.lastname,
      username: user.username,
      date: actOn,
      days,
      rule: rule.name,
      action: rule.action,
    },
    language,
    timeZone,
  );
  const record = (status: 'sent' | 'refused'): Modification[] => [
    ...dropRecord(user, rule.name, names),
    { operation: 'add', attribute: names.ruleMail, values: [ruleMailValue(status, now, rule.name)] },
  ];
  return {
    kind: 'warn',
    phase: 'updates',
    ...base,
    rule: rule.name,
    ruleAction: rule.action,
    actOn: actOn.toISOString(),
    mail: { to: user.mail ?? '', language, ...mail },
    changes: [
      { operation: 'replace', attribute: names.warningTimestamp, values: [toGeneralizedTime(now)] },
      { operation: 'replace', attribute: names.warningRule, values: [rule.name] },
      // A notify rule's own record: another rule's warning may replace the marks above. Any other rule's
      // record (an earlier refusal) is done with.
      ...(rule.action === 'notify' ? record('sent') : dropRecord(user, rule.name, names)),
    ],
    refusedChanges: record('refused'),
  };
}

/** Removes the warning marks (the user has them). */
function dropMarks(names: AttributeNames): Modification[] {
  return [
    { operation: 'delete', attribute: names.warningTimestamp, values: [] },
    { operation: 'delete', attribute: names.warningRule, values: [] },
  ];
}

/** Removes the rule's `rostersyncRuleMail` values, where the user has any. */
function dropRecord(user: LifecycleEntry, rule: string, names: AttributeNames): Modification[] {
  const known = user.state.ruleMail?.get(rule);
  return known === undefined
    ? []
    : [{ operation: 'delete', attribute: names.ruleMail, values: known.values }];
}

export interface LifecyclePlanInput {
  config: Config;
  now: Date;
  decision: LifecycleDecision;
  /** The deletes of every rule, planned as the purge plans them (`planRemovals`). */
  removals: Removals;
  /** This source's users in the rules' roles, not in retirement: the safety limit is a share of them. */
  inScope: number;
  maxDeletions: MaxDeletions;
}

export function planLifecycle(input: LifecyclePlanInput): LifecyclePlan {
  const { config, decision, removals } = input;
  // A user a group cannot lose is kept: it is no longer acted on now.
  const deleted = new Set(removals.deletes.map((action) => normalizeDn(action.dn)));
  const kept = new Set(
    decision.deletes
      .flatMap((rule) => rule.users.map((user) => normalizeDn(user.dn)))
      .filter((dn) => !deleted.has(dn)),
  );
  const rules = decision.rules.map((rule) => ({
    ...rule,
    lists: {
      ...rule.lists,
      ready: rule.lists.ready.map((user) =>
        kept.has(normalizeDn(user.dn)) ? { ...user, note: 'kept: the last member of a group' } : user,
      ),
    },
  }));
  const actions = [...removals.actions, ...decision.marks, ...decision.warnings, ...decision.deactivations];
  return {
    version: PLAN_VERSION,
    job: 'lifecycle',
    sourceUid: config.source_uid,
    now: input.now.toISOString(),
    timezone: config.timezone,
    basedOn: { configDigest: configDigest(config) },
    rules,
    problems: removals.problems,
    actions,
    safety: safetyCheck(actions, input.inScope, input.maxDeletions),
  };
}
