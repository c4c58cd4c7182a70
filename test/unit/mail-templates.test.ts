import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Config, ConfigError, parseConfig } from '../../src/config/index.js';
import { scrubSecrets } from '../../src/logging/index.js';
import { clearRegisteredSecrets } from '../../src/logging/redact.js';
import {
  checkMailConfig,
  languageOf,
  parseTemplate,
  renderTemplate,
  shippedTemplatesDir,
  TemplateProblem,
  type WarningFacts,
} from '../../src/mail/index.js';

const FACTS: WarningFacts = {
  firstname: 'Anna',
  lastname: 'Schmidt',
  username: 'a.schmidt',
  // 23:30 UTC is already the next day in Berlin: the date must be written on the configured calendar.
  date: new Date('2026-12-21T23:30:00Z'),
  days: 14,
  rule: 'inactive-students',
  action: 'delete',
};

function problemOf(text: string): TemplateProblem {
  try {
    parseTemplate(text, 'test.txt');
  } catch (error) {
    if (error instanceof TemplateProblem) return error;
    throw error;
  }
  throw new Error('expected a TemplateProblem');
}

describe('parseTemplate', () => {
  it('reads the Subject line, then the body after the blank line', () => {
    const template = parseTemplate('Subject:  Hello {firstname}\n\nDear {firstname},\n\nbye\n\n', 'x.txt');
    expect(template).toEqual({
      source: 'x.txt',
      subject: 'Hello {firstname}',
      body: 'Dear {firstname},\n\nbye\n',
    });
  });

  it('takes CRLF line ends and a byte order mark', () => {
    const template = parseTemplate('\uFEFFSubject: Hi\r\n\r\nBody\r\n', 'x.txt');
    expect(template.subject).toBe('Hi');
    expect(template.body).toBe('Body\n');
  });

  it('names the line of each problem', () => {
    expect(problemOf('Hello\n\nBody').message).toMatch(/^line 1: expected a 'Subject:' line/);
    expect(problemOf('Subject:\n\nBody').line).toBe(1);
    expect(problemOf('Subject: Hi\nBody').message).toMatch(/^line 2: expected a blank line/);
    expect(problemOf('Subject: Hi\n\n').message).toMatch(/^line 3: the body is empty/);
    const unknown = problemOf('Subject: Hi\n\nDear {firstname},\nyour {accountname} ends.\n');
    expect(unknown.line).toBe(4);
    expect(unknown.message).toMatch(/unknown placeholder '\{accountname\}'/);
    expect(problemOf('Subject: Hi {user}\n\nBody').line).toBe(1);
  });
});

describe('renderTemplate', () => {
  const template = parseTemplate(
    'Subject: {username} closes on {date}\n\n{firstname} {lastname}: {username}, {date}, {days}, {rule}, {action}\n',
    'x.txt',
  );

  it('fills every placeholder, the date in the language and on the calendar of the time zone', () => {
    expect(renderTemplate(template, FACTS, 'de', 'Europe/Berlin')).toEqual({
      subject: 'a.schmidt closes on 22. Dezember 2026',
      text: 'Anna Schmidt: a.schmidt, 22. Dezember 2026, 14, inactive-students, delete\n',
    });
    expect(renderTemplate(template, FACTS, 'en', 'Europe/Berlin').subject).toBe(
      'a.schmidt closes on December 22, 2026',
    );
    expect(renderTemplate(template, FACTS, 'en', 'UTC').subject).toBe(
      'a.schmidt closes on December 21, 2026',
    );
  });

  it('keeps the subject one line when a value has a line break', () => {
    const rendered = renderTemplate(template, { ...FACTS, username: 'a\r\nBcc: x@example.org' }, 'en', 'UTC');
    expect(rendered.subject).not.toMatch(/[\r\n]/);
  });
});

describe('languageOf', () => {
  it('takes the primary subtag of the first language, lower-cased', () => {
    expect(languageOf('de-DE')).toBe('de');
    expect(languageOf('DE')).toBe('de');
    expect(languageOf('de_AT')).toBe('de');
    expect(languageOf('fr-CH, de;q=0.8')).toBe('fr');
    expect(languageOf(' en ; q=1')).toBe('en');
  });

  it('has none for an empty or unusable value', () => {
    expect(languageOf(undefined)).toBeUndefined();
    expect(languageOf('')).toBeUndefined();
    expect(languageOf('*')).toBeUndefined();
    expect(languageOf('1234')).toBeUndefined();
  });
});

describe('the shipped templates', () => {
  it.each(['en', 'de'])(
    'warning.%s.txt parses and names the account and the day of the action',
    async (lang) => {
      const path = join(shippedTemplatesDir(), `warning.${lang}.txt`);
      const template = parseTemplate(await readFile(path, 'utf8'), path);
      for (const placeholder of ['{username}', '{date}']) {
        expect(template.subject + template.body).toContain(placeholder);
      }
    },
  );
});

describe('checkMailConfig and template resolution', () => {
  let scratch: string;
  let templatesDir: string;
  let passwordFile: string;

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'rostersync-mail-'));
    templatesDir = join(scratch, 'templates');
    await mkdir(templatesDir);
    passwordFile = join(scratch, 'smtp-pw');
    await writeFile(passwordFile, 'smtp secret 42\n');
    await writeFile(join(templatesDir, 'warning.de.txt'), 'Subject: Allgemein {username}\n\nText\n');
    await writeFile(join(templatesDir, 'inactive-students.de.txt'), 'Subject: Regel {rule}\n\nText\n');
    await writeFile(join(templatesDir, 'inactive-students.fr.txt'), 'Subject: Règle {rule}\n\nTexte\n');
  });
  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });
  afterEach(() => {
    clearRegisteredSecrets();
  });

  function config(mail: Record<string, unknown>): Config {
    return parseConfig(
      {
        source_uid: 'district',
        ldap: { base_dn: 'dc=example,dc=org' },
        mail: {
          smtp: { host: 'localhost', user: 'rostersync', password_file: passwordFile },
          from: 'noreply@example.org',
          ...mail,
        },
      },
      'test',
    );
  }

  async function issuesOf(
    promise: Promise<unknown>,
  ): Promise<{ path: string; source: string; message: string }[]> {
    const error = await promise.then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).exitCode).toBe(2);
    return [...(error as ConfigError).issues];
  }

  it('resolves the rule own template, then warning.LANG.txt, then the shipped one', async () => {
    const templates = await checkMailConfig(config({ templates_dir: templatesDir }), [
      'inactive-students',
      'never-used',
    ]);
    expect(templates.resolve('inactive-students', 'de-DE').template.subject).toBe('Regel {rule}');
    expect(templates.resolve('never-used', 'de-DE').template.subject).toBe('Allgemein {username}');
    expect(templates.resolve('never-used', 'fr').template.subject).toMatch(/^Your account/); // shipped en
    expect(templates.resolve('inactive-students', 'fr')).toMatchObject({ language: 'fr' });
    // A language with no template anywhere falls back to the default language, which also writes the date.
    expect(templates.resolve('never-used', 'it-IT')).toMatchObject({ language: 'en' });
    expect(templates.resolve('never-used', undefined)).toMatchObject({ language: 'en' });
  });

  it('uses the shipped templates without a templates_dir, in the default language', async () => {
    const templates = await checkMailConfig(config({ default_language: 'de' }), ['inactive-students']);
    const { subject, text } = templates.render(FACTS, 'sv', 'Europe/Berlin');
    expect(subject).toBe('Ihr Konto a.schmidt wird am 22. Dezember 2026 geschlossen');
    expect(text).toContain('Hallo Anna Schmidt');
    // The date is written for the template's language (`en`), not the user's region.
    expect(templates.render(FACTS, 'en-GB', 'Europe/Berlin').subject).toBe(
      'Your account a.schmidt will be closed on December 22, 2026',
    );
  });

  it('is a config error when the default language has no template, naming the key and the file expected', async () => {
    const issues = await issuesOf(checkMailConfig(config({ default_language: 'it' }), ['inactive-students']));
    expect(issues).toHaveLength(1);
    expect(issues[0]?.path).toBe('mail.default_language');
    expect(issues[0]?.message).toMatch(/warning\.it\.txt/);
    // A template for the default language in templates_dir is enough.
    await expect(
      checkMailConfig(config({ default_language: 'fr', templates_dir: templatesDir }), ['inactive-students']),
    ).resolves.toBeDefined();
    const generic = await issuesOf(
      checkMailConfig(config({ default_language: 'fr', templates_dir: templatesDir }), [
        'inactive-students',
        'never-used',
      ]),
    );
    expect(generic[0]?.message).toMatch(/never-used\.fr\.txt or warning\.fr\.txt/);
  });

  it('names the password file when it cannot be read or is empty, and registers the password as a secret', async () => {
    const missing = await issuesOf(
      checkMailConfig(config({ smtp: { host: 'h', user: 'u', password_file: join(scratch, 'nope') } }), []),
    );
    expect(missing.map((issue) => issue.path)).toEqual(['mail.smtp.password_file']);
    expect(missing[0]?.message).toMatch(/cannot read the SMTP password file/);
    const emptyFile = join(scratch, 'empty-pw');
    await writeFile(emptyFile, '\n');
    const empty = await issuesOf(
      checkMailConfig(config({ smtp: { host: 'h', user: 'u', password_file: emptyFile } }), []),
    );
    expect(empty[0]).toMatchObject({ path: 'mail.smtp.password_file', source: emptyFile });

    expect(scrubSecrets('login with smtp secret 42')).toBe('login with smtp secret 42');
    await checkMailConfig(config({}), []);
    expect(scrubSecrets('login with smtp secret 42')).toBe('login with [redacted]');
  });

  it('wants mail, mail.from, and user and password file together', async () => {
    const none = parseConfig({ source_uid: 'd', ldap: { base_dn: 'dc=example,dc=org' } }, 'test');
    expect((await issuesOf(checkMailConfig(none, ['r'])))[0]).toMatchObject({ path: 'mail' });
    const paths = (
      await issuesOf(checkMailConfig(config({ from: undefined, smtp: { host: 'h', user: 'u' } }), []))
    ).map((issue) => issue.path);
    expect(paths).toEqual(['mail.from', 'mail.smtp.password_file']);
    const noUser = await issuesOf(
      checkMailConfig(config({ smtp: { host: 'h', password_file: passwordFile } }), []),
    );
    expect(noUser.map((issue) => issue.path)).toEqual(['mail.smtp.user']);
  });

  it('names the file and line of a broken template, and a template for no rule', async () => {
    const dir = join(scratch, 'broken');
    await mkdir(dir);
    await writeFile(join(dir, 'warning.en.txt'), 'Subject: Hi\n\nDear {firstname},\nbye {surname}\n');
    await writeFile(join(dir, 'inactive-studnets.en.txt'), 'Subject: Hi\n\nBody\n');
    await writeFile(join(dir, 'Warning.EN.txt'), 'Subject: Hi\n\nBody\n');
    await writeFile(join(dir, 'notes.md'), 'not a template, not looked at\n');
    const issues = await issuesOf(checkMailConfig(config({ templates_dir: dir }), ['inactive-students']));
    const about = (file: string) => issues.find((issue) => issue.source === join(dir, file));
    expect(about('warning.en.txt')?.message).toMatch(/^line 4: unknown placeholder '\{surname\}'/);
    expect(about('inactive-studnets.en.txt')?.message).toMatch(/did you mean 'inactive-students'/);
    expect(about('Warning.EN.txt')?.message).toMatch(/not a template name/);
    expect(issues.every((issue) => issue.path === 'mail.templates_dir')).toBe(true);
    expect(issues).toHaveLength(3);
    expect(String(new ConfigError(issues).message)).toContain(
      `${join(dir, 'warning.en.txt')}: mail.templates_dir: line 4`,
    );
  });

  it('reads mail.reply_to from the config', () => {
    expect(config({ reply_to: 'help@example.org' }).mail?.reply_to).toBe('help@example.org');
  });
});
