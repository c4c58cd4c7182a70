/**
 * Everything about `mail.*` that can be wrong, found before the first mail is sent or the first
 * directory write: a config error (exit 2) naming the key and file, never a failed mail halfway through.
 */
import { readFile } from 'node:fs/promises';
import { type Config, ConfigError, type ConfigIssue } from '../config/index.js';
import { registerSecret } from '../logging/index.js';
import {
  GENERIC_TEMPLATE,
  LANGUAGE,
  loadTemplates,
  type MailTemplates,
  shippedTemplatesDir,
} from './templates.js';

export type MailConfig = NonNullable<Config['mail']>;

const PASSWORD_KEY = 'mail.smtp.password_file';

/**
 * Checks `mail.*` for a run whose rules `ruleNames` send warnings, and returns the templates they use.
 * Checked: `mail` and `mail.from` are set; the SMTP password file is readable and not empty; every template
 * of `mail.templates_dir` parses; the default language has a template for every rule.
 */
export async function checkMailConfig(config: Config, ruleNames: readonly string[]): Promise<MailTemplates> {
  const mail = config.mail;
  if (mail === undefined) {
    throw new ConfigError([
      {
        source: 'config',
        path: 'mail',
        message:
          ruleNames.length === 0
            ? 'required to send warning mails'
            : `required: ${ruleNames.length === 1 ? 'rule' : 'rules'} ${ruleNames.join(', ')} ${ruleNames.length === 1 ? 'sends' : 'send'} warning mails`,
      },
    ]);
  }
  const issues: ConfigIssue[] = [];
  if (mail.from === undefined) {
    issues.push({ source: 'config', path: 'mail.from', message: 'required: the sender of warning mails' });
  }
  await readSmtpPassword(mail).catch((error: unknown) => {
    if (error instanceof ConfigError) issues.push(...error.issues);
    else throw error;
  });
  if (mail.smtp.password_file !== undefined && mail.smtp.user === undefined) {
    issues.push({
      source: 'config',
      path: 'mail.smtp.user',
      message: `required when ${PASSWORD_KEY} is set: the SMTP user the password belongs to`,
    });
  }
  if (mail.smtp.user !== undefined && mail.smtp.password_file === undefined) {
    issues.push({
      source: 'config',
      path: PASSWORD_KEY,
      message: 'required when mail.smtp.user is set: the file holding the SMTP password',
    });
  }
  const defaultLanguage = mail.default_language.toLowerCase();
  if (!LANGUAGE.test(defaultLanguage)) {
    issues.push({
      source: 'config',
      path: 'mail.default_language',
      message: `'${mail.default_language}' is not a language (expected a code such as en or de)`,
    });
    throw new ConfigError(issues);
  }
  const loaded = await loadTemplates(mail.templates_dir, ruleNames, defaultLanguage);
  issues.push(...loaded.issues);
  const where =
    mail.templates_dir === undefined
      ? `the shipped templates (${shippedTemplatesDir()})`
      : `${mail.templates_dir} or the shipped templates`;
  for (const rule of ruleNames.length > 0 ? ruleNames : [GENERIC_TEMPLATE]) {
    if (loaded.templates.has(rule, defaultLanguage)) continue;
    issues.push({
      source: 'config',
      path: 'mail.default_language',
      message: `no template for '${defaultLanguage}' in ${where}: expected ${rule}.${defaultLanguage}.txt or warning.${defaultLanguage}.txt`,
    });
    break;
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return loaded.templates;
}

/**
 * The SMTP password from `mail.smtp.password_file` (one trailing newline trimmed), registered as a secret so
 * no log line shows it; undefined when no file is set (no authentication, or a user without a password).
 */
export async function readSmtpPassword(mail: MailConfig): Promise<string | undefined> {
  const file = mail.smtp.password_file;
  if (file === undefined) return undefined;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigError([
      { source: file, path: PASSWORD_KEY, message: `cannot read the SMTP password file: ${reason}` },
    ]);
  }
  const password = text.replace(/\r?\n$/, '');
  if (password === '') {
    throw new ConfigError([{ source: file, path: PASSWORD_KEY, message: 'the SMTP password file is empty' }]);
  }
  registerSecret(password);
  return password;
}
