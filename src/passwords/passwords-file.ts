/**
 * The passwords file (`output.passwords_file`): the only place new users' initial passwords are kept.
 * Each batch is on disk (fsynced) before the writes that use its passwords go out, so a crash between
 * the two never leaves a user whose password nobody knows.
 *
 * One CSV line per new user: `username,record_uid,password,run_id,time`. A run that was stopped and run
 * again can list a username twice (the first run's add may never have reached the directory); the line
 * with the latest `time` — which is also the last line — holds the password the directory has.
 */
import { type FileHandle, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from '../logging/logger.js';
import { openPrivateFile } from '../output/private-file.js';

export interface PasswordEntry {
  username: string;
  recordUid: string;
  password: string;
}

export interface PasswordsFileOptions {
  /** The run that generated the passwords, written on each line. */
  runId: string;
  /** When a line is written; defaults to the wall clock (the order of real writes, not `--now`). */
  clock?: () => Date;
  /** Told when an existing file readable by others is narrowed to 0600. */
  logger?: Logger;
}

const HEADER = 'username,record_uid,password,run_id,time';

export class PasswordsFile {
  readonly #handle: FileHandle;
  readonly #runId: string;
  readonly #clock: () => Date;

  private constructor(
    readonly path: string,
    handle: FileHandle,
    options: PasswordsFileOptions,
  ) {
    this.#handle = handle;
    this.#runId = options.runId;
    this.#clock = options.clock ?? (() => new Date());
  }

  /** Opens for appending; creates the directory (0700) and file (0600) and writes the header if the file is new. */
  static async open(path: string, options: PasswordsFileOptions): Promise<PasswordsFile> {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    const handle = await openPrivateFile(path, 'a', options.logger);
    try {
      if ((await handle.stat()).size === 0) {
        await handle.write(`${HEADER}\n`);
        await handle.sync();
      }
    } catch (error) {
      await handle.close();
      throw error;
    }
    return new PasswordsFile(path, handle, options);
  }

  /** Appends one CSV line per entry and fsyncs once for the whole batch. */
  async append(entries: readonly PasswordEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const time = this.#clock().toISOString();
    const lines = entries.map((entry) =>
      [entry.username, entry.recordUid, entry.password, this.#runId, time].map(csvField).join(','),
    );
    await this.#handle.write(`${lines.join('\n')}\n`);
    await this.#handle.sync();
  }

  async close(): Promise<void> {
    await this.#handle.close();
  }
}

/**
 * A spreadsheet takes a cell starting with one of these for a formula (OWASP, "CSV Injection"). Record uids
 * come from the roster; generated passwords never start with one (see generate.ts).
 */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One CSV field (RFC 4180 quoting). A value a spreadsheet would run as a formula gets a leading `'`, which
 * spreadsheets read as "this is text", and is quoted, as OWASP recommends.
 */
export function csvField(value: string): string {
  if (FORMULA_START.test(value)) return `"'${value.replaceAll('"', '""')}"`;
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}
