/**
 * What passes between a reader thread and the run's thread (`user-reader.ts`, `user-reader-worker.ts`):
 * plain data only. Kept apart so that the thread loads the directory client and nothing of the run (the
 * config's schema, the logger): it starts reading sooner, and its start-up costs the run's cores less.
 */
import type { DirectoryOptions } from '../directory/options.js';
import { DirectoryError, type DirectoryErrorKind } from '../directory/errors.js';

/** What the reader thread searches for: the attributes in the order its rows hold them. */
export interface ThreadRead {
  base: string;
  filter: string;
  attributes: string[];
}

/** What the reader thread is given. */
export interface UserReaderData {
  connection: DirectoryOptions;
  read: ThreadRead;
  pagesAhead: number;
}

/**
 * Messages from the reader thread: a page of users (JSON of `[dn, values]` rows: see `EntryRow`), the end,
 * or what went wrong.
 */
export type UserReaderMessage =
  { type: 'page'; rows: string } | { type: 'done' } | { type: 'error'; error: SerializedError };

/** A `DirectoryError` (or any error) as plain data, rebuilt on this side as the same kind. */
export interface SerializedError {
  message: string;
  kind?: DirectoryErrorKind;
  operation?: string;
  dn?: string;
  resultCode?: number;
  unavailable?: boolean;
}

export function serializeError(error: unknown): SerializedError {
  if (error instanceof DirectoryError) {
    return {
      message: error.message,
      kind: error.kind,
      ...(error.operation !== undefined ? { operation: error.operation } : {}),
      ...(error.dn !== undefined ? { dn: error.dn } : {}),
      ...(error.resultCode !== undefined ? { resultCode: error.resultCode } : {}),
      unavailable: error.unavailable,
    };
  }
  return { message: error instanceof Error ? error.message : String(error) };
}

export function deserializeError(error: SerializedError): Error {
  if (error.kind === undefined) return new Error(`reading the users: ${error.message}`);
  return new DirectoryError(error.kind, error.message, {
    ...(error.operation !== undefined ? { operation: error.operation } : {}),
    ...(error.dn !== undefined ? { dn: error.dn } : {}),
    ...(error.resultCode !== undefined ? { resultCode: error.resultCode } : {}),
    ...(error.unavailable !== undefined ? { unavailable: error.unavailable } : {}),
  });
}
