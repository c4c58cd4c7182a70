/**
 * One `rostersync lifecycle` run (SPEC §7): for each rule, this source's users whose trigger matches and whose
 * next step may have come (found by the server), in the rule's roles; the rule engine puts them on its
 * lists; warnings, cancellations, stamps, deactivations and deletes become one plan, applied on the
 * planned-run path like every job. Mail settings and templates are checked before anything is read.
 */
import type { RunContext } from '../apply/run-context.js';
import {
  attributeNames,
  type Config,
  type LifecycleRule,
  type MaxDeletions,
  readSalts,
  requireOpenLdapProfile,
} from '../config/index.js';
import { attributeTypesMissing, type Directory } from '../directory/index.js';
import { DirectoryLayout } from '../directory/layout.js';
import { ExitCode, RostersyncError, UsageError } from '../errors.js';
import { checkMailConfig, type MailTemplates, readSmtpPassword, SmtpMailer } from '../mail/index.js';
import { decideLifecycle, planLifecycle, type RuleUsers } from '../plan/lifecycle-plan.js';
import { planRemovals } from '../plan/removal.js';
import type { LifecyclePlan } from '../plan/types.js';
import { PlannedRun, type PlannedRunOptions, type RunOutcome } from '../run/planned-run.js';
import { countInScope, hasRole, readLifecycleUsers } from '../snapshot/lifecycle.js';
import { readReferencingGroups, readReservations } from '../snapshot/read.js';
import { readOwnership } from '../snapshot/ownership.js';
import { closestKey } from '../suggest.js';

export interface LifecycleOptions extends PlannedRunOptions {
  /** `--rule`: run only these rules; none means every rule. */
  rules: readonly string[];
  /** `--max-deletions`: overrides `safety.max_deletions`. */
  maxDeletions: MaxDeletions | undefined;
}

export type LifecycleOutcome = RunOutcome<LifecyclePlan>;

/** The rules `--rule` names, in config order; an unknown name is a usage error naming the known ones. */
export function selectRules(config: Config, names: readonly string[]): LifecycleRule[] {
  const rules = config.lifecycle.rules;
  if (names.length === 0) return [...rules];
  const known = rules.map((rule) => rule.name);
  const unknown = names.filter((name) => !known.includes(name));
  if (unknown.length > 0) {
    const guess = unknown.length === 1 ? closestKey(unknown[0] ?? '', known) : undefined;
    const hint = guess === undefined ? '' : ` (did you mean '${guess}'?)`;
    throw new UsageError(
      `--rule: no lifecycle rule named ${unknown.map((name) => `'${name}'`).join(', ')}${hint}; ` +
        (known.length > 0 ? `the rules are ${known.join(', ')}` : 'lifecycle.rules is empty'),
    );
  }
  return rules.filter((rule) => names.includes(rule.name));
}

/** Rules whose users get mail: a warning before the action, or the mail that is the action. */
const mails = (rule: LifecycleRule): boolean => rule.warning_days > 0 || rule.action === 'notify';

/** The roles a rule looks at, lower-case (default: `purge.roles`). */
const rolesOf = (config: Config, rule: LifecycleRule): Set<string> =>
  new Set((rule.roles ?? config.purge.roles).map((role) => role.toLowerCase()));

export async function runLifecycle(
  runtime: RunContext,
  options: LifecycleOptions,
): Promise<LifecycleOutcome> {
  const { config, logger, now } = runtime;
  requireOpenLdapProfile(config, 'lifecycle');
  const mail = config.mail;
  const rules = selectRules(config, options.rules);
  // Everything about mail is checked before the directory is read: a bad setting is exit 2, nothing sent.
  const mailing = rules.filter(mails);
  let templates: MailTemplates | undefined;
  let password: string | undefined;
  if (mailing.length > 0) {
    // Every rule that mails is named, so templates_dir may hold the templates of rules this run leaves out.
    templates = await checkMailConfig(
      config,
      config.lifecycle.rules.filter(mails).map((rule) => rule.name),
    );
    password = mail ? await readSmtpPassword(mail) : undefined;
  }
  const layout = new DirectoryLayout(config);
  const names = attributeNames(config);
  // A dry run or a printed plan lists every candidate; a real run reads only whom it may have to act on.
  const allCandidates = options.dryRun || options.format !== undefined;
  const run = new PlannedRun<LifecyclePlan>(runtime, 'lifecycle', options, {
    input: 'lifecycle',
    schools: [],
  });

  const plan = async (directory: Directory): Promise<LifecyclePlan> => {
    // Rules that mail record their mails in rostersyncRuleMail: a schema loaded by an older version lacks
    // it, and a notify rule would then mail again on every run. (Mapped names are not our schema.)
    if (mailing.length > 0 && Object.keys(config.ldap.attributes).length === 0) {
      const missing = await attributeTypesMissing(directory, [names.ruleMail]);
      if (missing.length > 0)
        throw new RostersyncError(
          `the directory's rostersync schema is older than this version, it lacks ${missing.join(', ')}: load the current one (rostersync schema) before the rules mail; nothing was written`,
          ExitCode.usage,
        );
    }
    const read: RuleUsers[] = [];
    for (const rule of rules) {
      const roles = rolesOf(config, rule);
      const users = [];
      for await (const user of readLifecycleUsers(
        directory,
        layout,
        rule,
        config.source_uid,
        now,
        config.timezone,
        allCandidates,
      )) {
        if (hasRole(user.roles, roles)) users.push(user);
      }
      read.push({ rule, users, allCandidates });
    }
    const decision = decideLifecycle({ config, names, now, rules: read, templates });
    const leaving = decision.deletes.flatMap((rule) => rule.users);
    const scopeRoles = new Set(rules.flatMap((rule) => [...rolesOf(config, rule)]));
    const moveTo = config.purge.mode === 'move' ? config.purge.move_to_dn : undefined;
    const [inScope, groups, reservations, reservationsContainerExists, moveTargetExists] = await Promise.all([
      countInScope(directory, layout, config.source_uid, scopeRoles),
      leaving.length > 0 ? readReferencingGroups(directory, layout.baseDn, leaving) : [],
      leaving.length > 0 && config.scheme.reserve_deleted ? readReservations(directory, layout) : [],
      leaving.length > 0 ? directory.exists(layout.reservationsDn) : true,
      moveTo === undefined || leaving.length === 0 ? true : directory.exists(moveTo),
    ]);
    const ownership = await readOwnership(
      directory,
      layout.baseDn,
      leaving,
      config.ownership.last_owner === 'inherit',
    );
    // Under purge.mode retire, the plan shows the pseudonyms the deletes will write.
    const retireSalt =
      leaving.length > 0 && config.purge.mode === 'retire' ? (await readSalts(config)).at(-1) : undefined;
    // One removal plan for all rules: a group naming users of two rules loses them in one change.
    const byRule = new Map(
      decision.deletes.flatMap((rule) => rule.users.map((user) => [user.dn, rule.rule])),
    );
    const removals = planRemovals({
      config,
      layout,
      now,
      users: leaving,
      groups,
      ownership,
      reservations,
      reservationsContainerExists,
      moveTargetExists,
      ...(retireSalt !== undefined ? { salt: retireSalt } : {}),
    });
    for (const action of removals.deletes) {
      const rule = byRule.get(action.dn);
      if (rule !== undefined) action.rule = rule;
    }
    return planLifecycle({
      config,
      now,
      decision,
      removals,
      inScope,
      maxDeletions: options.maxDeletions ?? config.safety.max_deletions,
    });
  };

  return run.run({
    // Each problem is one user a rule keeps; the others are handled all the same.
    problemsStopTheRun: false,
    plan,
    report: (done) => {
      // SPEC §7: each run names the users it cannot warn.
      for (const rule of done.rules) {
        for (const user of rule.lists.unwarnable) {
          logger.warn(
            `rule ${rule.rule}: ${user.username} cannot be warned (no e-mail address); not acted on`,
            {
              dn: user.dn,
              recordUid: user.recordUid,
            },
          );
        }
      }
    },
    ...(mail !== undefined && mailing.length > 0
      ? { openMailer: (audit) => new SmtpMailer(mail, audit, password === undefined ? {} : { password }) }
      : {}),
  });
}
