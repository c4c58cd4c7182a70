/**
 * The passwords file (`output.passwords_file`): the only place new users' initial passwords are kept.
 * Each batch is on disk (fsynced) before the writes that use its passwords go out, so a crash between
 * the two never leaves a user whose password nobody knows.
 */
import { type FileHandle, mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface PasswordEntry {
  username: string;
  recordUid: string;
  password: string;
}

const HEADER = 'username,record_uid,password';

export class PasswordsFile {
  readonly #handle: FileHandle;

  private constructor(
    readonly path: string,
    handle: FileHandle,
  ) {
    this.#handle = handle;
  }

  /** Opens for appending; creates the directory (0700) and file (0600) and writes the header if the file is new. */
  static async open(path: string): Promise<PasswordsFile> {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    const handle = await open(path, 'a', 0o600);
    try {
      // The mode given to open only applies to a new file; an older, wider one is narrowed too.
      await handle.chmod(0o600);
      if ((await handle.stat()).size === 0) {
        await handle.write(`${HEADER}\n`);
        await handle.sync();
      }
    } catch (error) {
      await handle.close();
      throw error;
    }
    return new PasswordsFile(path, handle);
  }

  /** Appends one CSV line per entry and fsyncs once for the whole batch. */
  async append(entries: readonly PasswordEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const lines = entries.map((entry) =>
      [entry.username, entry.recordUid, entry.password].map(csvField).join(','),
    );
    await this.#handle.write(`${lines.join('\n')}\n`);
    await this.#handle.sync();
  }

  async close(): Promise<void> {
    await this.#handle.close();
  }
}

function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}
