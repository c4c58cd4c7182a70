/**
 * Where a deleted user's archive goes (SPEC §8): with `archive.dir` set, every delete names its file, so the
 * plan shows it before anything is written. Pure.
 */
import { archivePath } from '../archive/index.js';
import type { Config } from '../config/index.js';
import type { DeleteUserAction } from './types.js';

export function archiveOf(config: Config, now: Date, username: string): Pick<DeleteUserAction, 'archive'> {
  const dir = config.archive.dir;
  return dir === undefined ? {} : { archive: archivePath(dir, now, config.timezone, username) };
}
