/**
 * One warning-mail template (SPEC §7): a `Subject:` line, a blank line and the body, with `{name}`
 * placeholders. Parsing checks everything a template can get wrong, so rendering cannot fail.
 */

export const PLACEHOLDERS = ['firstname', 'lastname', 'username', 'date', 'days', 'rule', 'action'] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];

/** What a template may say about one warning; `date` is the instant the action will run. */
export interface WarningFacts {
  firstname: string;
  lastname: string;
  username: string;
  date: Date;
  days: number;
  rule: string;
  action: string;
}

export interface MailTemplate {
  /** Where it was read from, for messages. */
  source: string;
  subject: string;
  body: string;
}

/** A template file that cannot be used: which line, and why. */
export class TemplateProblem extends Error {
  constructor(
    readonly line: number,
    readonly reason: string,
  ) {
    super(`line ${line}: ${reason}`);
    this.name = 'TemplateProblem';
  }
}

const SUBJECT_LINE = /^Subject:[ \t]*(.*)$/i;
const PLACEHOLDER = /\{([^{}]*)\}/g;

/** Parses template text; throws a `TemplateProblem` naming the line at the first problem. */
export function parseTemplate(text: string, source: string): MailTemplate {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const subjectMatch = SUBJECT_LINE.exec(lines[0] ?? '');
  if (subjectMatch === null) throw new TemplateProblem(1, "expected a 'Subject:' line first");
  const subject = (subjectMatch[1] ?? '').trim();
  if (subject === '') throw new TemplateProblem(1, 'the subject is empty');
  if (lines.length < 2 || (lines[1] ?? '').trim() !== '') {
    throw new TemplateProblem(2, 'expected a blank line after the Subject line');
  }
  lines.forEach((line, index) => {
    for (const match of line.matchAll(PLACEHOLDER)) {
      const name = match[1] ?? '';
      if (!(PLACEHOLDERS as readonly string[]).includes(name)) {
        const known = PLACEHOLDERS.map((known) => `{${known}}`).join(', ');
        throw new TemplateProblem(index + 1, `unknown placeholder '{${name}}' (allowed: ${known})`);
      }
    }
  });
  const body = lines.slice(2).join('\n').trimEnd();
  if (body === '') throw new TemplateProblem(3, 'the body is empty');
  return { source, subject, body: `${body}\n` };
}

export interface RenderedMail {
  subject: string;
  text: string;
}

/**
 * Fills in the placeholders. `language` writes the date (`Intl`'s long date style, e.g. "22 December 2026"
 * or "22. Dezember 2026"), on the calendar of `timeZone`.
 */
export function renderTemplate(
  template: MailTemplate,
  facts: WarningFacts,
  language: string,
  timeZone: string,
): RenderedMail {
  const values: Record<Placeholder, string> = {
    firstname: facts.firstname,
    lastname: facts.lastname,
    username: facts.username,
    date: new Intl.DateTimeFormat(language, { dateStyle: 'long', timeZone }).format(facts.date),
    days: String(facts.days),
    rule: facts.rule,
    action: facts.action,
  };
  // Parsing let only known placeholders through.
  const fill = (text: string) => text.replace(PLACEHOLDER, (_match, name: Placeholder) => values[name]);
  // A header is one line: a value with a line break (a name from the roster) must not add header lines.
  return { subject: fill(template.subject).replace(/[\r\n]+/g, ' '), text: fill(template.body) };
}
