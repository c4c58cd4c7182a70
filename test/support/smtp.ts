/**
 * A real SMTP server in the test's process (smtp-server on a free loopback port) that keeps what it
 * receives: the envelope, the parsed message. Recipients can be refused, and a hook sees each message
 * before the server accepts it (to kill the sender right then, say).
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  to: string[];
  subject: string;
  text: string;
  headers: Map<string, unknown>;
  raw: string;
}

export interface SmtpSink {
  port: number;
  received: ReceivedMail[];
  /** Addresses the server answers `550` to. */
  refuse: Set<string>;
  /** Addresses the server answers `451` to (try again later). */
  refuseForNow: Set<string>;
  /** Called with each message before it is accepted; may be async. */
  beforeAccept: ((mail: ReceivedMail) => Promise<void> | void) | undefined;
  /** The `mail.smtp` settings that reach this server. */
  smtp(): Record<string, unknown>;
  close(): Promise<void>;
}

export async function startSmtpSink(): Promise<SmtpSink> {
  const sink: SmtpSink = {
    port: 0,
    received: [],
    refuse: new Set(),
    refuseForNow: new Set(),
    beforeAccept: undefined,
    smtp: () => ({ host: '127.0.0.1', port: sink.port, secure: false, starttls: false }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  const server = new SMTPServer({
    secure: false,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onRcptTo(address, _session, callback) {
      if (sink.refuse.has(address.address)) {
        callback(Object.assign(new Error('5.1.1 no such user'), { responseCode: 550 }));
      } else if (sink.refuseForNow.has(address.address)) {
        callback(Object.assign(new Error('4.2.1 mailbox busy, try again later'), { responseCode: 451 }));
      } else callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        void simpleParser(raw).then(async (parsed) => {
          const mail: ReceivedMail = {
            to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
            subject: parsed.subject ?? '',
            text: parsed.text ?? '',
            headers: parsed.headers,
            raw,
          };
          sink.received.push(mail);
          await sink.beforeAccept?.(mail);
          callback();
        });
      });
    },
  });
  server.listen(0, '127.0.0.1');
  await once(server.server, 'listening');
  sink.port = (server.server.address() as AddressInfo).port;
  return sink;
}
