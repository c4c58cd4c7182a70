/**
 * Every archive file goes through an `ArchiveWriter` (SPEC §8): `archive.dir/YYYY-MM-DD/USERNAME.ldif`, the
 * directories 0700 and the file 0600, synced to disk (file and directory) before the caller goes on to
 * delete the user, and recorded in the audit log (the file, never its content).
 */
import { chmod, mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import type { AuditSink } from '../logging/index.js';
import { PRIVATE_FILE_MODE } from '../output/private-file.js';

const PRIVATE_DIR_MODE = 0o700;

/** The calendar day of `now` in `timeZone`: `2026-12-01`. */
export function archiveDay(now: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(now);
}

/** A username as a file name: path separators and a leading dot cannot be taken literally. */
function fileNameOf(username: string): string {
  const safe = username.replace(/[/\\\0]/g, '_').replace(/^\./, '_');
  return `${safe === '' ? '_' : safe}.ldif`;
}

/** Where the archive of `username` goes for a run at `now`. */
export function archivePath(dir: string, now: Date, timeZone: string, username: string): string {
  return join(dir, archiveDay(now, timeZone), fileNameOf(username));
}

export class ArchiveWriter {
  constructor(private readonly audit: AuditSink) {}

  /** Writes (or, after an interrupted run, rewrites) one archive, and returns once it is on disk. */
  async write(path: string, content: string, about: { dn: string; username: string }): Promise<void> {
    try {
      const day = join(path, '..');
      await mkdir(join(day, '..'), { recursive: true, mode: PRIVATE_DIR_MODE });
      await mkdir(day, { recursive: true, mode: PRIVATE_DIR_MODE });
      // Made earlier by hand with a wider mode, or under a umask: the day's archives are private all the same.
      await chmod(day, PRIVATE_DIR_MODE);
      const file = await open(path, 'w', PRIVATE_FILE_MODE);
      try {
        await file.chmod(PRIVATE_FILE_MODE);
        await file.writeFile(content, 'utf8');
        await file.sync();
      } finally {
        await file.close();
      }
      // The new name in the day's directory must survive a crash too.
      const directory = await open(day, 'r');
      try {
        await directory.sync();
      } finally {
        await directory.close();
      }
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.audit.record({
        action: 'archive',
        dn: about.dn,
        user: about.username,
        file: path,
        result: 'error',
        error: reason,
      });
      throw new Error(`cannot write the archive ${path}: ${reason}`, { cause: error });
    }
    this.audit.record({ action: 'archive', dn: about.dn, user: about.username, file: path });
  }
}
