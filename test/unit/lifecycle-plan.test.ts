/**
 * decideLifecycle (SPEC §7) with plain values, no directory: rules run in config order and a user gets at
 * most one warning or action per run; another rule's standing warning makes a rule wait; a lock found
 * without rostersync's stamp is stamped (once) and counted from then; a `notify` rule's action is its mail;
 * `deactivate` on a user an admin locked already plans nothing.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { attributeNames, type Config, parseConfig } from '../../src/config/index.js';
import { ADMIN_LOCK_TIME, dayStartInZone, toGeneralizedTime } from '../../src/dates.js';
import { loadTemplates, type MailTemplates } from '../../src/mail/index.js';
import { decideLifecycle, type RuleUsers } from '../../src/plan/lifecycle-plan.js';
import { type LifecycleEntry, type LifecycleUser, parseRuleMail } from '../../src/snapshot/lifecycle.js';

/** 2026-03-10 00:00 in Berlin (CET); the run is at 09:00 that day. */
const DAY0 = new Date('2026-03-09T23:00:00Z');
const NOW = new Date(DAY0.getTime() + 9 * 3_600_000);
/** Noon of the day `n` days from DAY0 (negative: before). */
const day = (n: number, hours = 12): Date => new Date(DAY0.getTime() + n * 86_400_000 + hours * 3_600_000);
/** The start (in Berlin, across DST) of the day `n` days from DAY0, as the lists write it. */
const dayStart = (n: number): string => dayStartInZone(NOW, 'Europe/Berlin', n).toISOString();

function configWith(rules: Record<string, unknown>[]): Config {
  return parseConfig(
    {
      source_uid: 'sis',
      timezone: 'Europe/Berlin',
      ldap: { base_dn: 'dc=example,dc=org' },
      mail: { smtp: { host: 'localhost' }, from: 'it@school.example' },
      lifecycle: { rules },
    },
    'test',
  );
}

function user(
  uid: string,
  state: Partial<LifecycleUser>,
  extra: Partial<Omit<LifecycleEntry, 'state'>> = {},
): LifecycleEntry {
  const mail = 'mail' in extra ? extra.mail : `${uid}@school.example`;
  return {
    dn: `uid=${uid},ou=people,dc=example,dc=org`,
    username: uid,
    recordUid: `R-${uid}`,
    firstname: 'Kim',
    lastname: uid,
    language: undefined,
    roles: ['student:school:gym1'],
    schools: ['gym1'],
    objectClasses: ['inetOrgPerson', 'rostersyncUser'],
    lockedTime: undefined,
    lockFound: false,
    ...extra,
    mail,
    state: {
      lastLogin: undefined,
      created: day(-400),
      mustChangePassword: false,
      passwordChanged: undefined,
      locked: false,
      deactivated: undefined,
      ends: undefined,
      warning: undefined,
      kept: undefined,
      canBeMailed: mail !== undefined,
      ...state,
    },
  };
}

let templates: MailTemplates;
beforeAll(async () => {
  ({ templates } = await loadTemplates(undefined, [], 'en'));
});

/** Runs the config's rules, each over `users` (all users in every rule's roles). */
function decide(config: Config, users: LifecycleEntry[], only?: string[]) {
  const rules: RuleUsers[] = config.lifecycle.rules
    .filter((rule) => only === undefined || only.includes(rule.name))
    .map((rule) => ({ rule, users, allCandidates: true }));
  return decideLifecycle({ config, names: attributeNames(config), now: NOW, rules, templates });
}

const uids = (list: { username: string }[]) => list.map((entry) => entry.username);

describe('one rule per user per run', () => {
  const config = configWith([
    { name: 'warn-first', trigger: 'no_login', days: 30, warning_days: 10, action: 'deactivate' },
    { name: 'delete-sooner', trigger: 'no_login', days: 15 },
  ]);

  it('the first rule that warns or acts has the user; the next rule lists it as waiting', () => {
    // Both rules' day has come: warn-first warns (reference + 20), delete-sooner would delete (reference + 15).
    const both = user('both', { lastLogin: day(-25) });
    const decision = decide(config, [both]);
    expect(decision.warnings.map((warning) => [warning.username, warning.rule])).toEqual([
      ['both', 'warn-first'],
    ]);
    expect(decision.deletes).toEqual([]);
    expect(decision.deactivations).toEqual([]);
    const later = decision.rules[1];
    expect(later?.lists.ready).toEqual([]);
    expect(later?.lists.candidates.map((entry) => [entry.username, entry.note])).toEqual([
      ['both', 'waits: rule warn-first has it in this run'],
    ]);
  });

  it('a user the first rule only lists as a candidate is the next rule’s to act on', () => {
    const sooner = user('sooner', { lastLogin: day(-16) });
    const decision = decide(config, [sooner]);
    expect(decision.rules[0]?.lists.candidates.map((entry) => [entry.username, entry.warnOn])).toEqual([
      ['sooner', dayStart(4)],
    ]);
    expect(decision.warnings).toEqual([]);
    expect(decision.deletes).toEqual([
      {
        rule: 'delete-sooner',
        users: [
          { dn: sooner.dn, username: 'sooner', recordUid: 'R-sooner', schools: ['gym1'], email: sooner.mail },
        ],
      },
    ]);
  });
});

describe("another rule's warning", () => {
  const config = configWith([
    { name: 'notice', trigger: 'no_login', days: 60, warning_days: 30, action: 'deactivate' },
    { name: 'purge', trigger: 'no_login', days: 40 },
  ]);
  const warnedByNotice = user('w', { lastLogin: day(-50), warning: { at: day(-20), rule: 'notice' } });

  it('makes the user wait, also when the warning rule is not run', () => {
    for (const only of [undefined, ['purge']]) {
      const decision = decide(config, [warnedByNotice], only);
      const purge = decision.rules.find((rule) => rule.rule === 'purge');
      expect(purge?.lists.candidates.map((entry) => entry.note)).toEqual(['waits: warned by rule notice']);
      expect(uids(purge?.lists.ready ?? [])).toEqual([]);
      expect(decision.deletes).toEqual([]);
      expect(decision.warnings).toEqual([]);
      expect(decision.marks).toEqual([]);
    }
  });

  it("makes no one wait when it only records a notify rule's mail, or names a rule no longer configured", () => {
    for (const warner of ['gone', 'mailed']) {
      const withNotify = configWith([
        { name: 'mailed', trigger: 'no_login', days: 60, warning_days: 30, action: 'notify' },
        { name: 'purge', trigger: 'no_login', days: 40 },
      ]);
      const marked = user('w', { lastLogin: day(-50), warning: { at: day(-20), rule: warner } });
      const decision = decide(withNotify, [marked], ['purge']);
      expect(decision.deletes.flatMap((rule) => rule.users.map((entry) => entry.recordUid))).toEqual(['R-w']);
    }
  });

  it('is lifted by a login after it: the warning goes, the clock restarts from now', () => {
    const loggedIn = user('w', { lastLogin: day(-1), warning: { at: day(-20), rule: 'notice' } });
    const decision = decide(config, [loggedIn]);
    expect(decision.marks).toEqual([
      expect.objectContaining({
        kind: 'lifecycle-mark',
        reason: 'cancelled',
        rule: 'notice',
        changes: [
          { operation: 'delete', attribute: 'rostersyncWarningTimestamp', values: [] },
          { operation: 'delete', attribute: 'rostersyncWarningRule', values: [] },
          { operation: 'replace', attribute: 'rostersyncKeptTimestamp', values: [toGeneralizedTime(NOW)] },
        ],
      }),
    ]);
    expect(decision.deletes).toEqual([]);
  });
});

describe('a lock found without the stamp', () => {
  const config = configWith([
    { name: 'locked-long', trigger: 'deactivated', days: 30 },
    { name: 'locked-very-long', trigger: 'deactivated', days: 90 },
  ]);

  it('is stamped once, with the found mark, and its clock starts now', () => {
    const found = user('found', { locked: true }, { lockedTime: ADMIN_LOCK_TIME });
    const decision = decide(config, [found]);
    expect(decision.marks).toEqual([
      expect.objectContaining({
        kind: 'lifecycle-mark',
        reason: 'stamp',
        rule: 'locked-long',
        dn: found.dn,
        changes: [
          {
            operation: 'replace',
            attribute: 'rostersyncDeactivatedTimestamp',
            values: [toGeneralizedTime(NOW)],
          },
          { operation: 'replace', attribute: 'rostersyncLockFound', values: ['TRUE'] },
        ],
      }),
    ]);
    expect(decision.rules.map((rule) => rule.lists.candidates.map((entry) => entry.warnOn))).toEqual([
      [dayStart(30)],
      [dayStart(90)],
    ]);
    expect(decision.deletes).toEqual([]);
  });

  it('once stamped, is acted on from the stamp, and not stamped again', () => {
    const stamped = user(
      'stamped',
      { locked: true, deactivated: day(-30) },
      { lockedTime: ADMIN_LOCK_TIME, lockFound: true },
    );
    const unlocked = user('unlocked', { deactivated: day(-300) });
    const decision = decide(config, [stamped, unlocked]);
    expect(decision.marks).toEqual([]);
    expect(decision.deletes.map((rule) => [rule.rule, rule.users.map((entry) => entry.username)])).toEqual([
      ['locked-long', ['stamped']],
    ]);
    expect(uids(decision.rules[1]?.lists.candidates ?? [])).toEqual(['stamped']);
  });
});

describe('a notify rule', () => {
  const config = configWith([
    { name: 'notice', trigger: 'no_login', days: 30, warning_days: 5, action: 'notify' },
  ]);

  it('mails on its day, naming the day reference + days, and records it; nothing else', () => {
    const due = user('due', { lastLogin: day(-25) });
    const early = user('early', { lastLogin: day(-24) });
    const decision = decide(config, [due, early]);
    expect(decision.warnings).toHaveLength(1);
    const [warning] = decision.warnings;
    expect(warning).toMatchObject({
      kind: 'warn',
      username: 'due',
      rule: 'notice',
      ruleAction: 'notify',
      actOn: dayStart(5),
      mail: { to: 'due@school.example', language: 'en' },
      changes: [
        { operation: 'replace', attribute: 'rostersyncWarningTimestamp', values: [toGeneralizedTime(NOW)] },
        { operation: 'replace', attribute: 'rostersyncWarningRule', values: ['notice'] },
        // Its own record beside the marks, which another rule's warning may replace.
        {
          operation: 'add',
          attribute: 'rostersyncRuleMail',
          values: [`sent ${toGeneralizedTime(NOW)} notice`],
        },
      ],
      refusedChanges: [
        {
          operation: 'add',
          attribute: 'rostersyncRuleMail',
          values: [`refused ${toGeneralizedTime(NOW)} notice`],
        },
      ],
    });
    expect(warning?.mail.subject).toContain('due');
    expect(decision.rules[0]?.lists.candidates.map((entry) => [entry.username, entry.warnOn])).toEqual([
      ['early', dayStart(1)],
    ]);
    expect(decision.deletes).toEqual([]);
    expect(decision.deactivations).toEqual([]);
  });

  it('sent late, the mail names today, not the day gone by', () => {
    const late = user('late', { lastLogin: day(-90) });
    const [warning] = decide(config, [late]).warnings;
    expect(warning?.actOn).toBe(dayStart(0));
  });

  it('once sent, the user stays warned past the day it named: no second mail, no action', () => {
    const sent = user('sent', { lastLogin: day(-100), warning: { at: day(-75), rule: 'notice' } });
    const decision = decide(config, [sent]);
    expect(uids(decision.rules[0]?.lists.warned ?? [])).toEqual(['sent']);
    expect(uids(decision.rules[0]?.lists.ready ?? [])).toEqual([]);
    expect(decision.warnings).toEqual([]);
    expect(decision.deletes).toEqual([]);
    expect(decision.deactivations).toEqual([]);
    expect(decision.marks).toEqual([]);
  });

  it('lists a user without an address as unwarnable, whatever unwarnable says', () => {
    const act = configWith([
      { name: 'notice', trigger: 'no_login', days: 30, warning_days: 5, action: 'notify', unwarnable: 'act' },
    ]);
    const noMail = user('nomail', { lastLogin: day(-40) }, { mail: undefined });
    for (const rules of [config, act]) {
      const decision = decide(rules, [noMail]);
      expect(uids(decision.rules[0]?.lists.unwarnable ?? [])).toEqual(['nomail']);
      expect(decision.warnings).toEqual([]);
      expect(decision.deletes).toEqual([]);
    }
  });
});

describe('deactivate', () => {
  const config = configWith([{ name: 'lock', trigger: 'no_login', days: 30, action: 'deactivate' }]);

  it('plans nothing for a user an admin locked already, and does not count it', () => {
    const adminLocked = user('admin', { lastLogin: day(-40), locked: true }, { lockedTime: ADMIN_LOCK_TIME });
    const decision = decide(config, [adminLocked]);
    expect(decision.deactivations).toEqual([]);
    expect(decision.marks).toEqual([]);
    expect(decision.rules[0]?.lists.ready.map((entry) => [entry.username, entry.note])).toEqual([
      ['admin', 'locked already'],
    ]);
  });

  it('never warns a user who is locked already, and lifts its own warning with the lock', () => {
    const warning = configWith([
      { name: 'lock', trigger: 'no_login', days: 30, warning_days: 10, action: 'deactivate' },
    ]);
    const locked = user('locked', { lastLogin: day(-25), locked: true }, { lockedTime: ADMIN_LOCK_TIME });
    const warned = user('warned', { lastLogin: day(-40), warning: { at: day(-11), rule: 'lock' } });
    const decision = decide(warning, [locked, warned]);
    expect(decision.warnings).toEqual([]);
    expect(decision.rules[0]?.lists.ready.map((entry) => [entry.username, entry.note])).toEqual([
      ['locked', 'locked already'],
      ['warned', undefined],
    ]);
    // The next rule (say, deleting long-deactivated users) must not wait for a warning whose action is done.
    expect(decision.deactivations[0]?.changes.slice(-2)).toEqual([
      { operation: 'delete', attribute: 'rostersyncWarningTimestamp', values: [] },
      { operation: 'delete', attribute: 'rostersyncWarningRule', values: [] },
    ]);
  });

  it('locks a user whose lock is only a lockout, and one not locked at all, stamping the lock', () => {
    const lockedOut = user(
      'lockout',
      { lastLogin: day(-40), locked: true },
      { lockedTime: toGeneralizedTime(day(-1)) },
    );
    const open = user('open', { lastLogin: day(-30) });
    const decision = decide(config, [lockedOut, open]);
    expect(decision.deactivations.map((action) => [action.username, action.rule, action.when])).toEqual([
      ['lockout', 'lock', 'now'],
      ['open', 'lock', 'now'],
    ]);
    for (const action of decision.deactivations) {
      expect(action.changes).toEqual([
        { operation: 'replace', attribute: 'pwdAccountLockedTime', values: [ADMIN_LOCK_TIME] },
        {
          operation: 'replace',
          attribute: 'rostersyncDeactivatedTimestamp',
          values: [toGeneralizedTime(NOW)],
        },
      ]);
    }
  });
});

describe('a notify rule beside a rule that warns', () => {
  const config = configWith([
    { name: 'notice', trigger: 'no_login', days: 30, action: 'notify' },
    { name: 'lock', trigger: 'no_login', days: 60, warning_days: 20, action: 'deactivate' },
  ]);

  it('mails once: after the other rule acted and lifted its marks, its own record says it was sent', () => {
    // The notice went out 20 days ago; the lock rule warned later (replacing the marks), locked the user
    // and lifted its warning with the lock.
    const record = `sent ${toGeneralizedTime(day(-20))} notice`;
    const locked = user('kim', { lastLogin: day(-70), ruleMail: parseRuleMail([record]) });
    const decision = decide(config, [locked], ['notice']);
    expect(decision.warnings).toEqual([]);
    expect(uids(decision.rules[0]?.lists.warned ?? [])).toEqual(['kim']);

    // Without the record (as before it was kept), the notice went out a second time.
    const forgotten = user('kim', { lastLogin: day(-70) });
    expect(decide(config, [forgotten], ['notice']).warnings.map((warning) => warning.rule)).toEqual([
      'notice',
    ]);
  });

  it("a login after it cancels the record alone when the marks are gone or another rule's", () => {
    const record = `sent ${toGeneralizedTime(day(-80))} notice`;
    for (const warning of [undefined, { at: day(-60), rule: 'retired-rule' }]) {
      const back = user('kim', { lastLogin: day(-31), ruleMail: parseRuleMail([record]), warning });
      const [mark] = decide(config, [back], ['notice']).marks;
      expect(mark?.changes).toEqual([
        { operation: 'delete', attribute: 'rostersyncRuleMail', values: [record] },
        { operation: 'replace', attribute: 'rostersyncKeptTimestamp', values: [toGeneralizedTime(NOW)] },
      ]);
    }
  });

  it("a new record replaces every value of the rule's, an older one left over too", () => {
    const older = `sent ${toGeneralizedTime(day(-200))} notice`;
    const newer = `refused ${toGeneralizedTime(day(-150))} notice`;
    const other = `refused ${toGeneralizedTime(day(-150))} lock`;
    const back = user('kim', { lastLogin: day(-40), ruleMail: parseRuleMail([older, newer, other]) });
    const [warning] = decide(config, [back], ['notice']).warnings;
    expect(warning?.changes).toContainEqual({
      operation: 'delete',
      attribute: 'rostersyncRuleMail',
      values: [older, newer],
    });
  });

  it('a login after it cancels it as a warning is cancelled: the record goes with the marks', () => {
    const old = `sent ${toGeneralizedTime(day(-80))} notice`;
    const back = user('kim', { lastLogin: day(-31), ruleMail: parseRuleMail([old]) });
    const decision = decide(config, [back], ['notice']);
    expect(uids(decision.rules[0]?.lists.cancelled ?? [])).toEqual(['kim']);
    expect(decision.marks[0]?.changes).toContainEqual({
      operation: 'delete',
      attribute: 'rostersyncRuleMail',
      values: [old],
    });
  });
});

describe('a mail the SMTP server refused', () => {
  const rules = (unwarnable: 'keep' | 'act') =>
    configWith([
      { name: 'lock', trigger: 'no_login', days: 60, warning_days: 20, action: 'deactivate', unwarnable },
    ]);
  const refused = (loginDaysAgo: number, refusedDaysAgo: number) =>
    user('tom', {
      lastLogin: day(-loginDaysAgo),
      ruleMail: parseRuleMail([`refused ${toGeneralizedTime(day(-refusedDaysAgo))} lock`]),
    });

  it('is tried again while the action day has not come', () => {
    for (const unwarnable of ['keep', 'act'] as const) {
      const decision = decide(rules(unwarnable), [refused(50, 5)]);
      expect(
        decision.warnings.map((warning) => warning.username),
        unwarnable,
      ).toEqual(['tom']);
      expect(decision.deactivations).toEqual([]);
    }
  });

  it("on the action's day: unwarnable act acts without a warning, keep tries the mail again", () => {
    const act = decide(rules('act'), [refused(61, 15)]);
    expect(act.warnings).toEqual([]);
    expect(act.deactivations.map((action) => action.username)).toEqual(['tom']);

    const keep = decide(rules('keep'), [refused(61, 15)]);
    expect(keep.deactivations).toEqual([]);
    expect(keep.warnings.map((warning) => warning.username)).toEqual(['tom']);
  });

  it('from an earlier cycle counts for nothing', () => {
    // Refused 100 days ago, logged in 61 days ago: this cycle's warning was never tried.
    const act = decide(rules('act'), [refused(61, 100)]);
    expect(act.deactivations).toEqual([]);
    expect(act.warnings.map((warning) => warning.username)).toEqual(['tom']);
  });
});
