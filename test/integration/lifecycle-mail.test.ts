/**
 * The warning mails of `rostersync lifecycle` against a real SMTP server: a refused recipient and an
 * unreachable server stop no other user and leave the affected users unmarked (exit 1); what the mails say,
 * in which language, from which template.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../testkit/slapd.js';
import {
  csns,
  dayFromToday,
  listOf,
  logIn,
  longDate,
  printedPlan,
  student,
} from '../support/lifecycle-helpers.js';
import { daysAgo, type LifecycleFixture, lifecycleFixture } from '../support/lifecycle.js';
import type { ReceivedMail } from '../support/smtp.js';

const INACTIVE = { name: 'inactive', trigger: 'no_login', days: 365, warning_days: 30 };

const recipients = (fx: LifecycleFixture): string[] => fx.smtp.received.flatMap((mail) => mail.to).sort();
/** The one address of a header as mailparser reads it. */
const addressOf = (mail: ReceivedMail, header: string) => {
  const value = (mail.headers.get(header) as { value: { name: string; address: string }[] }).value;
  expect(value, header).toHaveLength(1);
  return { name: value[0]?.name, address: value[0]?.address };
};
const mailLines = async (fx: LifecycleFixture) =>
  (await fx.auditLines()).filter((line) => line.action === 'mail');

describe('lifecycle: the SMTP server refuses one recipient', () => {
  let fx: LifecycleFixture;
  beforeAll(async () => {
    fx = await lifecycleFixture('lc-refuse', { config: { lifecycle: { rules: [INACTIVE] } } });
    await fx.writeRoster([
      student('S-1', 'Eva', 'eva@school.example'),
      student('S-2', 'Tom', 'tom@school.example'),
      student('S-3', 'Ann', 'ann@school.example'),
    ]);
    expect((await fx.runImport()).code).toBe(0);
    await logIn(fx, ['S-1', 'S-2', 'S-3']);
    // Tom's action day has passed already: only the warning he never got stands between him and a delete.
    await fx.age({
      'S-1': { pwdLastSuccess: daysAgo(340) },
      'S-2': { pwdLastSuccess: daysAgo(400) },
      'S-3': { pwdLastSuccess: daysAgo(340) },
    });
  }, 60_000);
  afterAll(async () => {
    await fx?.dispose();
  });

  it('warns and marks the others; the refused user is neither marked nor acted on; exit 1 with the reason', async () => {
    fx.smtp.refuse.add('tom@school.example');
    const result = await fx.lifecycle();
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toMatch(/warning mail to tom@school\.example not sent \(refused\):.*550/);

    expect(recipients(fx)).toEqual(['ann@school.example', 'eva@school.example']);
    for (const id of ['S-1', 'S-3']) {
      const user = await fx.user(id);
      expect(user?.rostersyncWarningRule, id).toBe('inactive');
      expect(user?.rostersyncWarningTimestamp, id).toMatch(/^\d{14}Z$/);
    }
    const tom = await fx.user('S-2');
    expect(tom, 'Tom is not deleted').toBeDefined();
    expect(tom?.rostersyncWarningTimestamp).toBeUndefined();
    expect(tom?.rostersyncWarningRule).toBeUndefined();
    expect(tom?.pwdAccountLockedTime).toBeUndefined();
    // The refusal is recorded for the rule: `unwarnable: act` would act on him once his day has come.
    expect(tom?.rostersyncRuleMail).toMatch(/^refused \d{14}Z inactive$/);

    // One audit line per attempt: recipient, rule and result; never what the mail said.
    const lines = await mailLines(fx);
    expect(
      lines
        .map((line) => [line.recipient, line.rule, line.result])
        .sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    ).toEqual([
      ['ann@school.example', 'inactive', 'ok'],
      ['eva@school.example', 'inactive', 'ok'],
      ['tom@school.example', 'inactive', 'error'],
    ]);
    expect(lines.find((line) => line.recipient === 'tom@school.example')?.error).toMatch(/no such user|550/);
    const audit = JSON.stringify(await fx.auditLines());
    for (const mail of fx.smtp.received) {
      expect(audit).not.toContain(mail.subject);
      for (const line of mail.text.split('\n').filter((text) => text.trim().length > 20)) {
        expect(audit).not.toContain(line.trim());
      }
    }
    for (const line of lines) expect(Object.keys(line)).not.toEqual(expect.arrayContaining(['subject']));
    for (const line of lines) expect(Object.keys(line)).not.toEqual(expect.arrayContaining(['text']));
  });

  it('the next run tries only the refused user again; once accepted he is marked, and still not acted on', async () => {
    const tomDn = String((await fx.user('S-2'))?.dn);
    const others = async () => Object.entries(await csns(fx)).filter(([dn]) => dn !== tomDn);
    const before = await others();
    const again = await fx.lifecycle();
    expect(again.code, again.stderr).toBe(1);
    expect(recipients(fx)).toEqual(['ann@school.example', 'eva@school.example']);
    expect(await others()).toEqual(before);
    // Still one record for the rule, of the latest refusal.
    expect((await fx.user('S-2'))?.rostersyncRuleMail).toMatch(/^refused \d{14}Z inactive$/);
    expect((await mailLines(fx)).filter((line) => line.recipient === 'tom@school.example')).toHaveLength(2);

    fx.smtp.refuse.clear();
    const accepted = await fx.lifecycle(['--format', 'json']);
    expect(accepted.code, accepted.stderr).toBe(0);
    expect(recipients(fx)).toEqual(['ann@school.example', 'eva@school.example', 'tom@school.example']);
    const tom = await fx.user('S-2');
    expect(tom?.rostersyncWarningRule).toBe('inactive');
    // Warned now: the record of the refusal is done with.
    expect(tom?.rostersyncRuleMail).toBeUndefined();
    // A late warning: his day is a full reaction period away.
    expect(printedPlan(accepted).rules[0]?.lists.warn?.[0]?.actOn).toBe(dayFromToday(30));
    expect(listOf(printedPlan(accepted), 'inactive', 'ready')).toEqual([]);
  });
});

describe('lifecycle: a refused warning under unwarnable: act', () => {
  let fx: LifecycleFixture;
  beforeAll(async () => {
    fx = await lifecycleFixture('lc-refuse-act', {
      config: { lifecycle: { rules: [{ ...INACTIVE, action: 'deactivate', unwarnable: 'act' }] } },
    });
    await fx.writeRoster([
      student('S-1', 'Eva', 'eva@school.example'),
      student('S-2', 'Tom', 'tom@school.example'),
    ]);
    expect((await fx.runImport()).code).toBe(0);
    await logIn(fx, ['S-1', 'S-2']);
    // Tom's day has come (400 days); Eva's warning window has only begun (340 days).
    await fx.age({ 'S-1': { pwdLastSuccess: daysAgo(340) }, 'S-2': { pwdLastSuccess: daysAgo(400) } });
  }, 60_000);
  afterAll(async () => {
    await fx?.dispose();
  });

  it('a refusal for now (4xx) is no refusal: nothing is recorded and he is not acted on', async () => {
    fx.smtp.refuseForNow.add('tom@school.example');
    fx.smtp.refuseForNow.add('eva@school.example');
    for (let run = 0; run < 2; run++) {
      const result = await fx.lifecycle();
      expect(result.code, result.stderr).toBe(1);
      expect(result.stderr).toContain('451');
    }
    for (const id of ['S-1', 'S-2']) {
      const user = await fx.user(id);
      expect(user?.rostersyncRuleMail, id).toBeUndefined();
      expect(user?.pwdAccountLockedTime, id).toBeUndefined();
    }
    fx.smtp.refuseForNow.clear();
    fx.smtp.received.splice(0);
    const before = (await mailLines(fx)).length;
    expect(before).toBe(4);
  });

  it('the refusal makes him unwarnable: the next run locks him without a warning; a refused user before his day is tried again', async () => {
    fx.smtp.refuse.add('tom@school.example');
    fx.smtp.refuse.add('eva@school.example');
    const first = await fx.lifecycle();
    expect(first.code, first.stderr).toBe(1);
    expect((await fx.user('S-2'))?.pwdAccountLockedTime).toBeUndefined();

    const [tom, eva] = [String((await fx.user('S-2'))?.uid), String((await fx.user('S-1'))?.uid)];
    const second = await fx.lifecycle(['--format', 'json']);
    expect(second.code, second.stderr).toBe(1);
    expect(listOf(printedPlan(second), 'inactive', 'ready')).toEqual([tom]);
    expect((await fx.user('S-2'))?.pwdAccountLockedTime).toBe('000001010000Z');
    // Eva's day is a month away: she is tried again (and refused again), not locked.
    expect(listOf(printedPlan(second), 'inactive', 'warn')).toEqual([eva]);
    expect((await fx.user('S-1'))?.pwdAccountLockedTime).toBeUndefined();
    // After the four refusals for now of the test before: Eva twice, Tom once.
    expect(
      (await mailLines(fx))
        .slice(4)
        .map((line) => line.recipient)
        .sort(),
    ).toEqual(['eva@school.example', 'eva@school.example', 'tom@school.example']);
  });
});

describe('lifecycle: a notify rule beside a rule that warns and locks', () => {
  it('the notice goes out once, though the other rule warned, locked and lifted its marks since', async () => {
    const fx = await lifecycleFixture('lc-notify-twice', {
      config: {
        lifecycle: {
          rules: [
            { name: 'notice', trigger: 'no_login', days: 100, action: 'notify' },
            { ...INACTIVE, name: 'lock', action: 'deactivate' },
          ],
        },
      },
    });
    try {
      await fx.writeRoster([student('S-1', 'Eva', 'eva@school.example')]);
      expect((await fx.runImport()).code).toBe(0);
      await logIn(fx, ['S-1']);
      await fx.age({ 'S-1': { pwdLastSuccess: daysAgo(400) } });

      // The notice takes her in the first run, the lock rule warns in the next.
      expect((await fx.lifecycle()).code).toBe(0);
      expect((await fx.lifecycle()).code).toBe(0);
      const mails = (await mailLines(fx)).map((line) => line.rule);
      expect(mails).toEqual(['notice', 'lock']);
      expect((await fx.user('S-1'))?.rostersyncWarningRule).toBe('lock');

      // Her reaction period is over: the lock rule locks her and lifts its warning.
      await fx.setAttributes('S-1', { rostersyncWarningTimestamp: [daysAgo(31)] });
      expect((await fx.lifecycle()).code).toBe(0);
      const locked = await fx.user('S-1');
      expect(locked?.pwdAccountLockedTime).toBe('000001010000Z');
      expect(locked?.rostersyncWarningRule).toBeUndefined();
      expect((await fx.lifecycle()).code).toBe(0);
      expect((await mailLines(fx)).map((line) => line.rule)).toEqual(['notice', 'lock']);
      expect(fx.smtp.received).toHaveLength(2);
    } finally {
      await fx.dispose();
    }
  });
});

describe('lifecycle: the SMTP server cannot be reached', () => {
  let fx: LifecycleFixture;
  beforeAll(async () => {
    fx = await lifecycleFixture('lc-unreachable', {
      config: {
        // Nothing listens there.
        mail: { smtp: { port: await freePort() } },
        lifecycle: {
          rules: [INACTIVE, { name: 'never', trigger: 'never_logged_in', days: 30, action: 'deactivate' }],
        },
      },
    });
    await fx.writeRoster([
      student('S-1', 'Eva', 'eva@school.example'),
      student('S-2', 'Tom', 'tom@school.example'),
      student('S-3', 'Max', 'max@school.example'),
    ]);
    expect((await fx.runImport()).code).toBe(0);
    await logIn(fx, ['S-1', 'S-2']);
    await fx.age({
      'S-1': { pwdLastSuccess: daysAgo(340) },
      'S-2': { pwdLastSuccess: daysAgo(340) },
      'S-3': { createTimestamp: daysAgo(40) },
    });
  }, 60_000);
  afterAll(async () => {
    await fx?.dispose();
  });

  it('exit 1, nobody marked warned; a rule that needs no mail still acts on its users', async () => {
    const result = await fx.lifecycle();
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toMatch(
      /warning mail to eva@school\.example not sent \(unreachable\): .*ECONNREFUSED/,
    );
    expect(result.stderr).toMatch(/warning mail to tom@school\.example not sent \(unreachable\)/);
    for (const id of ['S-1', 'S-2']) {
      const user = await fx.user(id);
      expect(user?.rostersyncWarningTimestamp, id).toBeUndefined();
      expect(user?.rostersyncWarningRule, id).toBeUndefined();
      expect(user?.pwdAccountLockedTime, id).toBeUndefined();
    }
    // SPEC §7: an SMTP failure never stops the other users. Max needs no mail (warning_days 0): locked.
    const max = await fx.user('S-3');
    expect(max?.pwdAccountLockedTime).toBeDefined();
    expect(max?.rostersyncDeactivatedTimestamp).toMatch(/^\d{14}Z$/);
    expect(await fx.canBind(String(max?.dn), (await fx.passwords()).get(String(max?.uid)) ?? '')).toBe(false);

    const lines = await mailLines(fx);
    expect(lines.map((line) => [line.recipient, line.result]).sort()).toEqual([
      ['eva@school.example', 'error'],
      ['tom@school.example', 'error'],
    ]);
  });

  it('once the server is back, the next run warns them', async () => {
    await fx.editConfig({ mail: { smtp: { port: fx.smtp.port } } });
    const result = await fx.lifecycle();
    expect(result.code, result.stderr).toBe(0);
    expect(recipients(fx)).toEqual(['eva@school.example', 'tom@school.example']);
    expect((await fx.user('S-1'))?.rostersyncWarningRule).toBe('inactive');
    expect((await fx.user('S-2'))?.rostersyncWarningRule).toBe('inactive');
  });
});

describe('lifecycle: what the warning mails say', () => {
  let fx: LifecycleFixture;
  beforeAll(async () => {
    fx = await lifecycleFixture('lc-templates', {
      config: {
        mail: { reply_to: 'Helpdesk <help@school.example>' },
        lifecycle: {
          rules: [INACTIVE, { name: 'never', trigger: 'never_logged_in', days: 60, warning_days: 14 }],
        },
      },
    });
    const templates = join(fx.dir, 'templates');
    await mkdir(templates);
    // The rule's own template, in English; and the one every rule falls back to, in French.
    await writeFile(
      join(templates, 'never.en.txt'),
      'Subject: [{rule}] {username} is never used\n\nDear {firstname} {lastname},\n{username} gets {action} on {date}, in {days} days.\n',
    );
    await writeFile(
      join(templates, 'warning.fr.txt'),
      'Subject: [{rule}] Votre compte {username}\n\nBonjour {firstname} {lastname},\n{username}: {action} le {date}, dans {days} jours.\n',
    );
    await fx.editConfig({ mail: { templates_dir: templates } });
    await fx.writeRoster([
      student('S-1', 'Eva', 'eva@school.example'),
      student('S-2', 'Tom', 'tom@school.example'),
      student('S-3', 'Ann', 'ann@school.example'),
      student('S-4', 'Max', 'max@school.example'),
      student('S-5', 'Lea', 'lea@school.example'),
    ]);
    expect((await fx.runImport()).code).toBe(0);
    await logIn(fx, ['S-1', 'S-2', 'S-3']);
    await fx.age({
      'S-1': { pwdLastSuccess: daysAgo(340) },
      'S-2': { pwdLastSuccess: daysAgo(340) },
      'S-3': { pwdLastSuccess: daysAgo(340) },
      'S-4': { createTimestamp: daysAgo(50) },
      'S-5': { createTimestamp: daysAgo(50) },
    });
    await fx.setAttributes('S-1', { preferredLanguage: ['de-DE'] });
    await fx.setAttributes('S-3', { preferredLanguage: ['fr-FR, en;q=0.5'] });
    await fx.setAttributes('S-5', { preferredLanguage: ['fr'] });
  }, 60_000);
  afterAll(async () => {
    await fx?.dispose();
  });

  it('picks the template by rule and preferredLanguage, fills the placeholders, and marks the mail automatic', async () => {
    const result = await fx.lifecycle();
    expect(result.code, result.stderr).toBe(0);
    const mailTo = (address: string) => {
      const found = fx.smtp.received.filter((mail) => mail.to.includes(address));
      expect(found, address).toHaveLength(1);
      return found[0]!;
    };

    // Shipped German (preferredLanguage de-DE): the action day (today + warning_days) written in German.
    const eva = mailTo('eva@school.example');
    expect(eva.subject).toBe(`Ihr Konto e.test wird am ${longDate(30, 'de')} geschlossen`);
    expect(eva.text).toContain('Hallo Eva Test,');
    expect(eva.text).toContain(`Ihr Konto e.test wird am ${longDate(30, 'de')} geschlossen, in 30 Tagen.`);

    // Shipped English: no preferredLanguage, so mail.default_language (en).
    const tom = mailTo('tom@school.example');
    expect(tom.subject).toBe(`Your account t.test will be closed on ${longDate(30, 'en')}`);
    expect(tom.text).toContain(`is due to be closed on ${longDate(30, 'en')}, 30 days from now.`);

    // templates_dir/warning.fr.txt: the fallback of every rule in French.
    const ann = mailTo('ann@school.example');
    expect(ann.subject).toBe('[inactive] Votre compte a.test');
    expect(ann.text).toBe(`Bonjour Ann Test,\na.test: delete le ${longDate(30, 'fr')}, dans 30 jours.\n`);
    const lea = mailTo('lea@school.example');
    expect(lea.subject).toBe('[never] Votre compte l.test');
    expect(lea.text).toBe(`Bonjour Lea Test,\nl.test: delete le ${longDate(14, 'fr')}, dans 14 jours.\n`);

    // templates_dir/never.en.txt: the rule's own template.
    const max = mailTo('max@school.example');
    expect(max.subject).toBe('[never] m.test is never used');
    expect(max.text).toBe(`Dear Max Test,\nm.test gets delete on ${longDate(14, 'en')}, in 14 days.\n`);

    for (const mail of fx.smtp.received) {
      expect(mail.headers.get('auto-submitted')).toBe('auto-generated');
      expect(addressOf(mail, 'from')).toEqual({ name: 'Schul-IT', address: 'it@school.example' });
      expect(addressOf(mail, 'reply-to')).toEqual({ name: 'Helpdesk', address: 'help@school.example' });
    }
    expect((await fx.user('S-4'))?.rostersyncWarningRule).toBe('never');
  });
});
