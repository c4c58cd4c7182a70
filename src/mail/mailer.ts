/**
 * Every mail rostersync sends goes through a `Mailer`: one place that hands it to the SMTP server and
 * records it in the audit log (recipient and rule, never subject or body), accepted or not.
 */
import type { createTransport, NodemailerError, Transporter } from 'nodemailer';
import type { AuditSink } from '../logging/index.js';
import type { MailConfig } from './check.js';

/** One warning to one user. */
export interface OutgoingMail {
  /** The user's entry, for the audit log. */
  dn: string;
  username: string;
  /** The rule that warns. */
  rule: string;
  /** The user's address. */
  to: string;
  subject: string;
  text: string;
}

/**
 * Why a mail was not sent: `refused`, the server answered and refused this message or its recipient (the
 * next may go through); `unreachable`, it could not be handed over at all (no connection, TLS or login
 * failed, no answer in time), which no other message would get past either.
 */
export type MailFailure = 'refused' | 'unreachable';

export type MailResult =
  | { sent: true; accepted: readonly string[] }
  | {
      sent: false;
      failure: MailFailure;
      reason: string;
      rejected: readonly string[];
      /** Refused with a 5xx answer: the same message to the same address would be refused again. */
      permanent?: boolean;
    };

/** Sends mails. Never throws for one mail: each result says whether the server accepted it. */
export interface Mailer {
  send(mail: OutgoingMail): Promise<MailResult>;
  /** Closes the connections; the mailer sends nothing after. */
  close(): Promise<void>;
}

/** Marks automatic mail (RFC 3834): no vacation replies, no bounces to auto-responders. */
export const AUTO_SUBMITTED = { 'Auto-Submitted': 'auto-generated' } as const;

// Long enough for a slow server, short enough that a server which never answers does not stall a run.
const CONNECTION_TIMEOUT_MS = 30_000;
const SOCKET_TIMEOUT_MS = 60_000;

// The server answered and refused the envelope or the message itself.
const REFUSED_CODES = new Set(['EENVELOPE', 'EMESSAGE']);

export interface SmtpMailerOptions {
  /** From `readSmtpPassword`; needed when `mail.smtp.user` is set. */
  password?: string;
}

/** A `Mailer` over one pooled SMTP transport (nodemailer), configured by `mail.*`. */
export class SmtpMailer implements Mailer {
  /** Loaded on first use: most runs send no mail, and nodemailer is a tenth of a second of every start. */
  #transport: Promise<Transporter> | undefined;
  readonly #options: Parameters<typeof createTransport>[0];
  /** Why the server could not be reached, once it could not. */
  #unreachable: string | undefined;

  constructor(
    private readonly mail: MailConfig,
    private readonly audit: AuditSink,
    options: SmtpMailerOptions = {},
  ) {
    const { smtp } = mail;
    this.#options = {
      pool: true,
      host: smtp.host,
      port: smtp.port,
      secure: smtp.secure,
      // Without implicit TLS: `starttls: true` insists on the upgrade, `false` never tries it.
      requireTLS: !smtp.secure && smtp.starttls,
      ignoreTLS: !smtp.secure && !smtp.starttls,
      auth: smtp.user === undefined ? undefined : { user: smtp.user, pass: options.password },
      connectionTimeout: CONNECTION_TIMEOUT_MS,
      greetingTimeout: CONNECTION_TIMEOUT_MS,
      socketTimeout: SOCKET_TIMEOUT_MS,
    };
  }

  #transporter(): Promise<Transporter> {
    this.#transport ??= import('nodemailer').then(({ createTransport }) => createTransport(this.#options));
    return this.#transport;
  }

  async send(mail: OutgoingMail): Promise<MailResult> {
    const result = await this.#deliver(mail);
    this.audit.record({
      action: 'mail',
      dn: mail.dn,
      user: mail.username,
      recipient: mail.to,
      rule: mail.rule,
      result: result.sent ? 'ok' : 'error',
      error: result.sent ? undefined : result.reason,
    });
    return result;
  }

  async #deliver(mail: OutgoingMail): Promise<MailResult> {
    // Once the server could not be reached, every later mail of the run would wait out the same timeouts.
    if (this.#unreachable !== undefined) {
      return { sent: false, failure: 'unreachable', reason: this.#unreachable, rejected: [] };
    }
    try {
      const transport = await this.#transporter();
      const info = await transport.sendMail({
        from: this.mail.from,
        replyTo: this.mail.reply_to,
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
        headers: AUTO_SUBMITTED,
      });
      const accepted = addresses(info.accepted);
      const rejected = addresses(info.rejected);
      if (rejected.length > 0 || accepted.length === 0) {
        const codes = ((info as { rejectedErrors?: { responseCode?: number }[] }).rejectedErrors ?? []).map(
          (error) => error.responseCode,
        );
        return {
          sent: false,
          failure: 'refused',
          reason: `refused: ${rejected.join(', ')}`,
          rejected,
          permanent: codes.length > 0 && codes.every(isPermanent),
        };
      }
      return { sent: true, accepted };
    } catch (error) {
      const failure = error as NodemailerError;
      const reason = failure.message;
      if (failure.code !== undefined && REFUSED_CODES.has(failure.code)) {
        return {
          sent: false,
          failure: 'refused',
          reason,
          rejected: failure.rejected ?? [mail.to],
          permanent: isPermanent(failure.responseCode),
        };
      }
      this.#unreachable = reason;
      return { sent: false, failure: 'unreachable', reason, rejected: [] };
    }
  }

  async close(): Promise<void> {
    (await this.#transport)?.close();
  }
}

/** A 5xx answer: permanent (RFC 5321 §4.2.1); a 4xx one may pass on a later try. */
const isPermanent = (code: number | undefined): boolean => code !== undefined && code >= 500 && code < 600;

/** nodemailer lists recipients as strings or `{ name, address }`. */
function addresses(list: readonly (string | { address: string })[] | undefined): string[] {
  return (list ?? []).map((entry) => (typeof entry === 'string' ? entry : entry.address));
}
