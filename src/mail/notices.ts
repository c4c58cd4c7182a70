/**
 * Mail that integrators' code sends (a hook, a `UserImport` subclass: `ctx.mail`), through the run's one
 * audited `Mailer` like the warnings, opened on the first message: most runs send none.
 */
import type { Mailer } from './mailer.js';

export interface NoticeMessage {
  /** One address, or several separated by commas. */
  to: string;
  subject: string;
  text: string;
}

/** Sends a notice about one user; resolves once the SMTP server accepted it, throws when it did not. */
export interface NoticeMail {
  send(message: NoticeMessage): Promise<void>;
}

/** What the audit log names as the mail's rule. */
export const NOTICE_RULE = 'notice';

export class RunNotices {
  #mailer: Promise<Mailer> | undefined;

  constructor(private readonly open: () => Promise<Mailer>) {}

  /** The sender handed to the code acting on `user`: the audit line names the user. */
  about(user: { dn: string; username: string }): NoticeMail {
    return {
      send: async (message) => {
        this.#mailer ??= this.open();
        const result = await (await this.#mailer).send({ ...user, rule: NOTICE_RULE, ...message });
        if (!result.sent) throw new Error(`mail to ${message.to} not sent: ${result.reason}`);
      },
    };
  }

  async close(): Promise<void> {
    const mailer = await this.#mailer?.catch(() => undefined);
    await mailer?.close();
  }
}

/** In a dry run: nothing is sent, and code that tries hears so. */
export const DRY_RUN_NOTICES: NoticeMail = {
  send: () => Promise.reject(new Error('a dry run sends no mail')),
};
