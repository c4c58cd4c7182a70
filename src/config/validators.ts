import { validate as isValidCron } from 'node-cron';
import { z } from 'zod';
import { escapeDnValue, InvalidDnError, parseDn } from '../dn.js';
import { type TemplateKind, templateProblem } from '../naming/template.js';

/** Reusable field schemas whose error messages read well in `<source>: <key>: <message>` lines. */

export function wholeNumber(options: { min: number; max?: number; unit?: string }) {
  const unit = options.unit === undefined ? '' : ` of ${options.unit}`;
  const range = options.max === undefined ? `≥ ${options.min}` : `between ${options.min} and ${options.max}`;
  const error = `expected a whole number${unit} ${range}`;
  const base = z.number({ error }).int({ error }).min(options.min, { error });
  return options.max === undefined ? base : base.max(options.max, { error });
}

export const nonEmptyString = z.string().min(1, { error: 'must not be empty' });

/** A filesystem path; `${VAR}` expansion and relative resolution happen before validation. */
export const filePath = z.string().min(1, { error: 'expected a path, got an empty string' });

/** An ES module path or package name (hooks, `classes.user_import`). */
export const modulePath = z.string().min(1, { error: 'expected a module path, got an empty string' });

export const cronExpression = z.string().refine((value) => isValidCron(value), {
  error: (issue) => `not a valid cron expression (node-cron syntax): '${String(issue.input)}'`,
});

const LDAP_ATTRIBUTE_NAME = /^(?:[A-Za-z][A-Za-z0-9-]*|[0-9]+(?:\.[0-9]+)+)$/;

export const ldapAttributeName = z.string().regex(LDAP_ATTRIBUTE_NAME, {
  error: (issue) => `not a valid LDAP attribute name: '${String(issue.input)}'`,
});

export function isValidTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

export function systemTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

/** A string template whose `{name}` placeholders must all be among `allowed`. */
export function placeholderTemplate(allowed: readonly string[]) {
  return nonEmptyString.superRefine((value, ctx) => {
    for (const match of value.matchAll(/\{([^{}]*)\}/g)) {
      const name = match[1] ?? '';
      if (!allowed.includes(name)) {
        const known = allowed.map((a) => `{${a}}`).join(', ');
        ctx.addIssue({ code: 'custom', message: `unknown placeholder '{${name}}' (allowed: ${known})` });
      }
    }
  });
}

/** Why `text` is not a DN, or undefined: the same parser every directory operation of a run goes through. */
export function dnProblem(text: string): string | undefined {
  try {
    parseDn(text);
    return undefined;
  } catch (error) {
    if (error instanceof InvalidDnError) return error.message;
    throw error;
  }
}

/** A DN-valued key (`ldap.base_dn`, `purge.move_to_dn`, …); '' is the root DN. */
export const distinguishedName = z.string().superRefine((value, ctx) => {
  const problem = dnProblem(value);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
});

/** The school a DN template is tried with: any plain school id gives the same DN structure. */
const SAMPLE_SCHOOL = 'SCHOOL';

/**
 * Why a DN template (`ldap.users_dn`, `ldap.groups_dn`) does not give a DN, or undefined. It is expanded
 * as a run expands it: `{school}` becomes an escaped RDN value, `{base_dn}` the base DN as it is.
 */
export function dnTemplateProblem(template: string, baseDn: string): string | undefined {
  const expanded = template
    .replaceAll('{school}', escapeDnValue(SAMPLE_SCHOOL))
    .replaceAll('{base_dn}', baseDn);
  const problem = dnProblem(expanded);
  return problem === undefined ? undefined : `not a valid DN template: ${problem}`;
}

/**
 * `scheme.username` or `scheme.email`, compiled as the import compiles it: unknown fields and counters,
 * misplaced counters and an e-mail template without '@domain' are config errors.
 */
export function nameTemplate(key: string, kind: TemplateKind) {
  return nonEmptyString.superRefine((value, ctx) => {
    if (value === '') return; // reported as empty already
    const problem = templateProblem(value, key, { kind });
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
  });
}
