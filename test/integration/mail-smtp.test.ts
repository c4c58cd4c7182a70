/**
 * Warning mails through a real SMTP server (smtp-server, in this process, on a free loopback port): what
 * the server receives, a refused recipient, the audit log, and a server that is not there.
 */
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AddressObject, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Config, parseConfig } from '../../src/config/index.js';
import { AuditLog } from '../../src/logging/index.js';
import { checkMailConfig, type OutgoingMail, readSmtpPassword, SmtpMailer } from '../../src/mail/index.js';

const SMTP_USER = 'rostersync';
const SMTP_PASSWORD = 'smtp pass 7319';
const REFUSED = 'gone@school.example';

interface Received {
  raw: string;
  envelopeTo: string[];
}

let scratch: string;
let passwordFile: string;
let server: SMTPServer;
let port: number;
const received: Received[] = [];
let connections = 0;
let logins: string[] = [];

async function listen(smtp: SMTPServer): Promise<number> {
  smtp.listen(0, '127.0.0.1');
  await once(smtp.server, 'listening');
  return (smtp.server.address() as AddressInfo).port;
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'rostersync-smtp-'));
  passwordFile = join(scratch, 'smtp-pw');
  await writeFile(passwordFile, `${SMTP_PASSWORD}\n`);
  server = new SMTPServer({
    secure: false,
    disabledCommands: ['STARTTLS'],
    authMethods: ['PLAIN', 'LOGIN'],
    allowInsecureAuth: true,
    logger: false,
    onConnect(_session, callback) {
      connections += 1;
      callback();
    },
    onAuth(auth, _session, callback) {
      if (auth.username === SMTP_USER && auth.password === SMTP_PASSWORD) {
        logins.push(auth.username);
        callback(null, { user: auth.username });
      } else callback(new Error('invalid credentials'));
    },
    onRcptTo(address, _session, callback) {
      if (address.address === REFUSED) {
        callback(Object.assign(new Error('5.1.1 no such user'), { responseCode: 550 }));
      } else callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        received.push({
          raw: Buffer.concat(chunks).toString('utf8'),
          envelopeTo: session.envelope.rcptTo.map((rcpt) => rcpt.address),
        });
        callback();
      });
    },
  });
  port = await listen(server);
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await rm(scratch, { recursive: true, force: true });
});

function config(smtp: Record<string, unknown>): Config {
  return parseConfig(
    {
      source_uid: 'district',
      ldap: { base_dn: 'dc=example,dc=org' },
      timezone: 'Europe/Berlin',
      mail: {
        smtp: { host: '127.0.0.1', port, secure: false, starttls: false, ...smtp },
        from: 'Schul-IT <noreply@school.example>',
        reply_to: 'helpdesk@school.example',
        default_language: 'en',
      },
    },
    'test',
  );
}

const ACTION_DAY = new Date('2027-03-01T10:00:00Z');

function userMail(username: string, to: string, subject: string, text: string): OutgoingMail {
  return { dn: `uid=${username},ou=people,dc=example,dc=org`, username, rule: 'inactive', to, subject, text };
}

function addressOf(header: AddressObject | AddressObject[] | undefined): string | undefined {
  const first = Array.isArray(header) ? header[0] : header;
  return first?.value[0]?.address;
}

describe('SmtpMailer against a real SMTP server', () => {
  it('sends several mails over one pooled, authenticated connection; a refused recipient stops no other', async () => {
    const cfg = config({ user: SMTP_USER, password_file: passwordFile });
    const mailConfig = cfg.mail;
    if (mailConfig === undefined) throw new Error('mail is configured');
    const templates = await checkMailConfig(cfg, ['inactive']);
    const auditPath = join(scratch, 'audit.log');
    const audit = await AuditLog.open(auditPath, 'run-1');
    const mailer = new SmtpMailer(mailConfig, audit, { password: await readSmtpPassword(mailConfig) });

    const users = [
      {
        username: 'a.schmidt',
        firstname: 'Anna',
        lastname: 'Schmidt',
        to: 'anna@school.example',
        lang: 'de-DE',
      },
      { username: 'gone', firstname: 'Gone', lastname: 'Away', to: REFUSED, lang: 'en' },
      { username: 'b.meyer', firstname: 'Ben', lastname: 'Meyer', to: 'ben@school.example', lang: undefined },
    ];
    const results = [];
    received.length = 0;
    connections = 0;
    logins = [];
    // One after another: a pooled transport keeps its connection open for the next mail.
    for (const user of users) {
      const { subject, text } = templates.render(
        { ...user, date: ACTION_DAY, days: 14, rule: 'inactive', action: 'delete' },
        user.lang,
        cfg.timezone,
      );
      results.push(await mailer.send(userMail(user.username, user.to, subject, text)));
    }
    await mailer.close();
    await audit.close();

    expect(results[0]).toEqual({ sent: true, accepted: ['anna@school.example'] });
    expect(results[1]).toMatchObject({ sent: false, failure: 'refused', rejected: [REFUSED] });
    expect(results[2]).toEqual({ sent: true, accepted: ['ben@school.example'] });
    // Pooled: mails share a connection (nodemailer opens a fresh one after a refused envelope).
    expect(connections).toBeLessThan(users.length);
    expect(logins).toEqual(Array.from({ length: connections }, () => SMTP_USER));

    expect(received.map((mail) => mail.envelopeTo)).toEqual([
      ['anna@school.example'],
      ['ben@school.example'],
    ]);
    const [anna, ben] = await Promise.all(received.map((mail) => simpleParser(mail.raw)));
    expect(addressOf(anna?.from)).toBe('noreply@school.example');
    expect(anna?.from?.text).toContain('Schul-IT');
    expect(addressOf(anna?.to)).toBe('anna@school.example');
    expect(addressOf(anna?.replyTo)).toBe('helpdesk@school.example');
    expect(anna?.subject).toBe('Ihr Konto a.schmidt wird am 1. März 2027 geschlossen');
    expect(anna?.text).toContain('Hallo Anna Schmidt');
    expect(anna?.text).toContain('Ihr Konto a.schmidt wird am 1. März 2027 geschlossen, in 14 Tagen.');
    expect(anna?.text).not.toMatch(/\{\w+\}/);
    expect(ben?.subject).toBe('Your account b.meyer will be closed on March 1, 2027');
    for (const mail of received) expect(mail.raw).toMatch(/^Auto-Submitted: auto-generated\r?$/m);

    const lines = (await readFile(auditPath, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(
      lines.map(({ action, recipient, rule, result, user }) => ({ action, recipient, rule, result, user })),
    ).toEqual([
      { action: 'mail', recipient: 'anna@school.example', rule: 'inactive', result: 'ok', user: 'a.schmidt' },
      { action: 'mail', recipient: REFUSED, rule: 'inactive', result: 'error', user: 'gone' },
      { action: 'mail', recipient: 'ben@school.example', rule: 'inactive', result: 'ok', user: 'b.meyer' },
    ]);
    expect(lines[0]?.dn).toBe('uid=a.schmidt,ou=people,dc=example,dc=org');
    expect(String(lines[1]?.error)).toMatch(/550/);
    const log = await readFile(auditPath, 'utf8');
    for (const secret of ['geschlossen', 'closed', 'Hallo', SMTP_PASSWORD]) expect(log).not.toContain(secret);
  });

  it('reports every mail as not sent, without throwing and quickly, when no server listens', async () => {
    const closed = new SMTPServer({ logger: false });
    const freePort = await listen(closed);
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const mailConfig = config({ port: freePort }).mail;
    if (mailConfig === undefined) throw new Error('mail is configured');
    const recorded: unknown[] = [];
    const mailer = new SmtpMailer(mailConfig, {
      record: (entry) => recorded.push(entry),
      close: async () => {},
    });

    const started = Date.now();
    const results = await Promise.all(
      ['a', 'b', 'c'].map((name) =>
        mailer.send(userMail(name, `${name}@school.example`, 'Subject', 'Body\n')),
      ),
    );
    const later = await mailer.send(userMail('d', 'd@school.example', 'Subject', 'Body\n'));
    await mailer.close();

    expect(Date.now() - started).toBeLessThan(5_000);
    for (const result of [...results, later])
      expect(result).toMatchObject({ sent: false, failure: 'unreachable' });
    expect(recorded).toHaveLength(4);
    expect(recorded.every((entry) => (entry as { result: string }).result === 'error')).toBe(true);
  });
});
