/**
 * Files that hold personal data or secrets (the passwords file, the audit log, `--plan-out`,
 * `--summary-json`): readable by their owner only. A new file is created 0600 (a umask can only take bits
 * away, never add them); one that already exists with a wider mode is narrowed to 0600 and the narrowing is
 * logged, so an admin learns that it was readable by others until now.
 */
import { type FileHandle, open } from 'node:fs/promises';

export const PRIVATE_FILE_MODE = 0o600;

/** Where a narrowed mode is reported. Any Logger fits; this module sits below logging/, whose audit log it opens. */
export interface PrivateFileLog {
  warn(message: string, fields: { file: string }): void;
}

/** Group and other permission bits: any of them set means more than the owner can read. */
const OTHERS = 0o077;

/**
 * Opens `path` (`a`: append, `w`: truncate) as a private file. Only a regular file is narrowed: `/dev/stdout`
 * or a named pipe given as the path keeps its mode.
 */
export async function openPrivateFile(
  path: string,
  flags: 'a' | 'w',
  logger?: PrivateFileLog,
): Promise<FileHandle> {
  const handle = await open(path, flags, PRIVATE_FILE_MODE);
  try {
    const { mode } = await handle.stat();
    const isRegularFile = (mode & 0o170000) === 0o100000;
    if (isRegularFile && (mode & OTHERS) !== 0) {
      await handle.chmod(PRIVATE_FILE_MODE);
      logger?.warn(
        `${path} was readable by others (mode ${octal(mode)}); narrowed to ${octal(PRIVATE_FILE_MODE)}`,
        { file: path },
      );
    }
  } catch (error) {
    await handle.close().catch(() => {});
    throw error;
  }
  return handle;
}

/** Writes `content` to `path` as a private file, replacing what was there. */
export async function writePrivateFile(
  path: string,
  content: string,
  logger?: PrivateFileLog,
): Promise<void> {
  const handle = await openPrivateFile(path, 'w', logger);
  try {
    await handle.writeFile(content, 'utf8');
  } finally {
    await handle.close();
  }
}

function octal(mode: number): string {
  return `0${(mode & 0o777).toString(8)}`;
}
