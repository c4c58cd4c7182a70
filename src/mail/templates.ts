/**
 * Which template a warning uses (SPEC §7): `templates_dir/RULE.LANG.txt`, else `templates_dir/warning.LANG.txt`,
 * else the shipped `warning.LANG.txt`; a language with none of these falls back to the default language.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type ConfigIssue, packageRoot } from '../config/index.js';
import { closestKey } from '../suggest.js';
import {
  type MailTemplate,
  parseTemplate,
  type RenderedMail,
  renderTemplate,
  TemplateProblem,
  type WarningFacts,
} from './template.js';

/** The name of the templates every rule falls back to. */
export const GENERIC_TEMPLATE = 'warning';

/** `RULE.LANG.txt`: LANG is a primary language subtag, lower-case. */
const TEMPLATE_FILE = /^(.+)\.([a-z]{2,8})\.txt$/;

/** A language as templates are named: `de`, `en`, `fr`. */
export const LANGUAGE = /^[a-z]{2,8}$/;

/** Where the package keeps its own templates. */
export function shippedTemplatesDir(): string {
  return join(packageRoot(), 'config', 'mail');
}

/**
 * The language of a user's `preferredLanguage` (RFC 2798: an Accept-Language value such as
 * `de-DE, en;q=0.8`): the primary subtag of the first entry, lower-cased. Undefined when there is none.
 */
export function languageOf(preferredLanguage: string | undefined): string | undefined {
  const first = (preferredLanguage ?? '').split(',')[0] ?? '';
  const primary = (first.split(';')[0] ?? '').trim().split(/[-_]/)[0]?.toLowerCase() ?? '';
  return LANGUAGE.test(primary) ? primary : undefined;
}

export interface ResolvedTemplate {
  template: MailTemplate;
  /** The template's language, which also writes the date. */
  language: string;
}

/** Every template a run can use, read and checked up front. */
export class MailTemplates {
  constructor(
    /** `RULE.LANG` → template, from `mail.templates_dir`. */
    private readonly own: ReadonlyMap<string, MailTemplate>,
    /** `LANG` → the shipped `warning.LANG.txt`. */
    private readonly shipped: ReadonlyMap<string, MailTemplate>,
    readonly defaultLanguage: string,
  ) {}

  private find(rule: string, language: string): MailTemplate | undefined {
    return (
      this.own.get(`${rule}.${language}`) ??
      this.own.get(`${GENERIC_TEMPLATE}.${language}`) ??
      this.shipped.get(language)
    );
  }

  /** Whether `rule` has a template in `language`, its own, the generic one or the shipped one. */
  has(rule: string, language: string): boolean {
    return this.find(rule, language) !== undefined;
  }

  /**
   * The template for a warning of `rule` to a user with this `preferredLanguage`. `checkMailConfig` has made
   * sure the default language has one for every rule that mails, so this throws only for another rule.
   */
  resolve(rule: string, preferredLanguage: string | undefined): ResolvedTemplate {
    const wanted = languageOf(preferredLanguage);
    for (const language of [wanted, this.defaultLanguage]) {
      if (language === undefined) continue;
      const template = this.find(rule, language);
      if (template) return { template, language };
    }
    throw new Error(`no warning template for rule '${rule}' in '${this.defaultLanguage}'`);
  }

  /** The warning of `facts.rule` to a user with this `preferredLanguage`, dates written in `timeZone`. */
  render(facts: WarningFacts, preferredLanguage: string | undefined, timeZone: string): RenderedMail {
    const { template, language } = this.resolve(facts.rule, preferredLanguage);
    return renderTemplate(template, facts, language, timeZone);
  }
}

export interface LoadedTemplates {
  templates: MailTemplates;
  issues: ConfigIssue[];
}

/**
 * Reads the shipped templates and those of `templatesDir`. A file of that directory that does not parse, or is
 * not named `RULE.LANG.txt` for `warning` or one of `ruleNames`, is an issue naming the file (and line).
 */
export async function loadTemplates(
  templatesDir: string | undefined,
  ruleNames: readonly string[],
  defaultLanguage: string,
): Promise<LoadedTemplates> {
  const issues: ConfigIssue[] = [];
  const shipped = new Map<string, MailTemplate>();
  for (const [name, template] of await readTemplateDir(shippedTemplatesDir(), issues)) {
    const [rule, language = ''] = name.split('.');
    if (rule === GENERIC_TEMPLATE) shipped.set(language, template);
  }
  const own =
    templatesDir === undefined
      ? new Map<string, MailTemplate>()
      : await readTemplateDir(templatesDir, issues);
  const known = [GENERIC_TEMPLATE, ...ruleNames];
  for (const [name, template] of own) {
    const rule = name.slice(0, name.lastIndexOf('.'));
    if (known.includes(rule)) continue;
    const guess = closestKey(rule, known);
    issues.push({
      source: template.source,
      path: 'mail.templates_dir',
      message:
        `'${rule}' is neither '${GENERIC_TEMPLATE}' nor a rule that sends warnings` +
        (guess === undefined ? '' : ` (did you mean '${guess}'?)`),
    });
  }
  return { templates: new MailTemplates(own, shipped, defaultLanguage), issues };
}

/** `RULE.LANG` → parsed template, for every `.txt` file of `dir`; problems go to `issues`. */
async function readTemplateDir(dir: string, issues: ConfigIssue[]): Promise<Map<string, MailTemplate>> {
  const templates = new Map<string, MailTemplate>();
  let names: string[];
  try {
    names = (await readdir(dir, { withFileTypes: true }))
      .filter((entry) => entry.isFile() && entry.name.endsWith('.txt'))
      .map((entry) => entry.name)
      .sort();
  } catch (error) {
    issues.push({ source: dir, path: 'mail.templates_dir', message: `cannot read: ${reasonOf(error)}` });
    return templates;
  }
  for (const name of names) {
    const path = join(dir, name);
    const match = TEMPLATE_FILE.exec(name);
    if (match === null) {
      issues.push({
        source: path,
        path: 'mail.templates_dir',
        message: 'not a template name (expected RULE.LANG.txt, e.g. warning.de.txt, LANG in lower case)',
      });
      continue;
    }
    try {
      templates.set(`${match[1]}.${match[2]}`, parseTemplate(await readFile(path, 'utf8'), path));
    } catch (error) {
      const message = error instanceof TemplateProblem ? error.message : `cannot read: ${reasonOf(error)}`;
      issues.push({ source: path, path: 'mail.templates_dir', message });
    }
  }
  return templates;
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
