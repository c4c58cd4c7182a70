import { validate as isValidCron } from 'node-cron';
import { z } from 'zod';

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
