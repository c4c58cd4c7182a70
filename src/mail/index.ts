/** Warning mails (SPEC §7): the templates, the check of `mail.*`, and the one place that sends. */
export { checkMailConfig, type MailConfig, readSmtpPassword } from './check.js';
export {
  AUTO_SUBMITTED,
  type Mailer,
  type MailFailure,
  type MailResult,
  type OutgoingMail,
  SmtpMailer,
  type SmtpMailerOptions,
} from './mailer.js';
export {
  type MailTemplate,
  parseTemplate,
  PLACEHOLDERS,
  type RenderedMail,
  renderTemplate,
  TemplateProblem,
  type WarningFacts,
} from './template.js';
export {
  GENERIC_TEMPLATE,
  languageOf,
  loadTemplates,
  MailTemplates,
  type ResolvedTemplate,
  shippedTemplatesDir,
} from './templates.js';
export { DRY_RUN_NOTICES, type NoticeMail, type NoticeMessage, NOTICE_RULE, RunNotices } from './notices.js';
