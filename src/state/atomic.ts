/**
 * Whole-file writes that a crash can never leave half done: the content goes to a temp file in the same
 * directory (same filesystem, so the rename is atomic), is flushed, gets its final mode, and then replaces
 * the target in one `rename`. Readers see the old file or the new one, never a mix.
 */
import { randomBytes } from 'node:crypto';
import { link, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * A temp name beside `path`. Hidden and ending in `.tmp`, so collectors that pick files by suffix
 * (node_exporter reads `*.prom`) never read one.
 */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/** Writes `content` to a fresh temp file beside `path` with `mode` (umask does not apply) and returns its path. */
export async function writeTempBeside(
  path: string,
  content: string | Uint8Array,
  mode: number,
): Promise<string> {
  const temp = tempPathFor(path);
  const handle = await open(temp, 'wx', mode);
  try {
    await handle.writeFile(content);
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
export async function writeFileAtomic(
  path: string,
  content: string | Uint8Array,
  mode: number,
): Promise<void> {
  const temp = await writeTempBeside(path, content, mode);
  try {
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/**
 * Creates `path` only if it does not exist yet (O_EXCL semantics), with its full content from the first
 * instant: the content goes to a temp file that is then hard-linked to the name, so no reader ever sees an
 * empty file. Filesystems without hard links fall back to `open(…, 'wx')`. False when `path` exists.
 */
export async function createExclusive(path: string, content: string, mode: number): Promise<boolean> {
  const temp = await writeTempBeside(path, content, mode);
  try {
    await link(temp, path);
    return true;
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return false;
    if (errorCode(error) !== 'EPERM' && errorCode(error) !== 'ENOTSUP') throw error;
  } finally {
    await rm(temp, { force: true });
  }
  try {
    const handle = await open(path, 'wx', mode);
    try {
      await handle.writeFile(content, 'utf8');
    } finally {
      await handle.close();
    }
    return true;
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return false;
    throw error;
  }
}

/** The `code` of a Node.js system error (`ENOENT`, `EEXIST`, …). */
export function errorCode(error: unknown): string | undefined {
  return error && typeof error === 'object' && 'code' in error && typeof error.code === 'string'
    ? error.code
    : undefined;
}
