// The audit log: one JSON line per directory write (and per mail sent), append-only, never holding password values.
import type { WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { openPrivateFile } from '../output/private-file.js';
import type { Logger } from './logger.js';
import { REDACTED, scrubSecrets } from './redact.js';

export interface AuditEntry {
  /** What was done, e.g. `add`, `modify`, `delete`, `modrdn`. */
  action: string;
  dn: string;
  /** Attributes changed; `null` means the attribute was removed. */
  attributes?: Record<string, string[] | null>;
  /** Defaults to `ok`. */
  result?: 'ok' | 'error';
  error?: string;
  /** The account the write was about, when that is not obvious from the DN. */
  user?: string;
  /** A mail's recipient address (action `mail`); the mail's subject and body are never recorded. */
  recipient?: string;
  /** The lifecycle rule a mail or write was made for. */
  rule?: string;
  /** An archive file written (action `archive`). */
  file?: string;
}

/** Where directory writes are recorded; `AuditLog` writes a file, `NullAuditLog` (dry runs) does not. */
export interface AuditSink {
  record(entry: AuditEntry): void;
  close(): Promise<void>;
}

export interface AuditLogOptions {
  /** Clock for the `time` field; defaults to the wall clock (audit times record when a write really happened). */
  clock?: () => Date;
  /** Told when an existing log readable by others is narrowed to 0600. */
  logger?: Logger;
  /** Who asked for the run, when not the service itself: the web console's signed-in user (DN). */
  actor?: string;
}

// Attributes holding passwords or password hashes (OpenLDAP, AD, Samba).
const PASSWORD_ATTRIBUTE = /password|passwd|unicodepwd|pwdhistory/i;

export function isPasswordAttribute(name: string): boolean {
  return PASSWORD_ATTRIBUTE.test(name);
}

export class AuditLog implements AuditSink {
  #failure: Error | undefined;
  #closed = false;

  private constructor(
    private readonly stream: WriteStream,
    private readonly runId: string,
    private readonly clock: () => Date,
    private readonly actor: string | undefined,
  ) {
    stream.on('error', (error) => {
      this.#failure ??= error;
    });
  }

  /**
   * Opens `path` for appending (created 0600, parent directory created 0700 if missing). The log names
   * users, so an existing one readable by others is narrowed to 0600.
   */
  static async open(path: string, runId: string, options: AuditLogOptions = {}): Promise<AuditLog> {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    // Opening here, not lazily in the stream, so a bad path or permission fails the caller right away.
    const handle = await openPrivateFile(path, 'a', options.logger);
    // `flush`: one fsync when the stream closes, not one per line, so writes stay cheap but a
    // finished run is on disk.
    const stream = handle.createWriteStream({ encoding: 'utf8', flush: true });
    return new AuditLog(stream, runId, options.clock ?? (() => new Date()), options.actor);
  }

  record(entry: AuditEntry): void {
    if (this.#closed) throw new Error('audit log is closed');
    if (this.#failure) throw new Error(`audit log cannot be written: ${this.#failure.message}`);
    this.stream.write(`${JSON.stringify(auditLine(entry, this.runId, this.clock(), this.actor))}\n`);
  }

  /** Writes out everything recorded, syncs it to disk and closes the file. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    // 'close' comes after every line is written, the file synced and closed; or after an error,
    // which the listener above has recorded.
    await new Promise<void>((resolve) => {
      if (this.stream.closed) return resolve();
      this.stream.once('close', () => resolve());
      this.stream.end();
    });
    if (this.#failure) throw new Error(`audit log cannot be written: ${this.#failure.message}`);
  }
}

/** Accepts and discards entries: dry runs write nothing, not even an audit trail. */
export class NullAuditLog implements AuditSink {
  record(_entry: AuditEntry): void {}
  close(): Promise<void> {
    return Promise.resolve();
  }
}

export interface AuditLine {
  time: string;
  runId: string;
  actor?: string;
  action: string;
  dn: string;
  user?: string;
  recipient?: string;
  rule?: string;
  file?: string;
  attributes?: Record<string, string[] | null>;
  result: 'ok' | 'error';
  error?: string;
}

/** The line written for `entry`: password values replaced, registered secrets scrubbed. */
export function auditLine(entry: AuditEntry, runId: string, time: Date, actor?: string): AuditLine {
  return {
    time: time.toISOString(),
    runId,
    actor,
    action: entry.action,
    dn: entry.dn,
    user: entry.user,
    recipient: entry.recipient,
    rule: entry.rule,
    file: entry.file,
    attributes: entry.attributes ? redactAttributes(entry.attributes) : undefined,
    result: entry.result ?? 'ok',
    error: entry.error === undefined ? undefined : scrubSecrets(entry.error),
  };
}

function redactAttributes(attributes: Record<string, string[] | null>): Record<string, string[] | null> {
  const redacted: Record<string, string[] | null> = {};
  for (const [name, values] of Object.entries(attributes)) {
    if (values === null) redacted[name] = null;
    // The name stays, so the audit shows the password changed, but never the value.
    else if (isPasswordAttribute(name)) redacted[name] = [REDACTED];
    else redacted[name] = values.map(scrubSecrets);
  }
  return redacted;
}
