/**
 * Whole-file writes that a crash can never leave half done: the content goes to a temp file in the same
 * directory (same filesystem, so the rename is atomic), is flushed, gets its final mode, and then replaces
 * the target in one `rename`. Readers see the old file or the new one, never a mix.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * A temp name beside `path`. Hidden and ending in `.tmp`, so collectors that pick files by suffix
 * (node_exporter reads `*.prom`) never read one.
 */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/** Writes `content` to a fresh temp file beside `path` with `mode` (umask does not apply) and returns its path. */
export async function writeTempBeside(path: string, content: string, mode: number): Promise<string> {
  const temp = tempPathFor(path);
  const handle = await open(temp, 'wx', mode);
  try {
    await handle.writeFile(content, 'utf8');
    await handle.chmod(mode);
    await handle.sync();
  } catch (error) {
    await handle.close().catch(() => {});
    await rm(temp, { force: true });
    throw error;
  }
  await handle.close();
  return temp;
}

/** Replaces `path` with `content` atomically; the file ends up with exactly `mode`. */
export async function writeFileAtomic(path: string, content: string, mode: number): Promise<void> {
  const temp = await writeTempBeside(path, content, mode);
  try {
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
