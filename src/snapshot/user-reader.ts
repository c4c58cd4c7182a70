/**
 * The large read of an import: every user of the source. Decoding a hundred thousand search entries is
 * most of a no-op run's CPU, so it runs on a thread of its own (`user-reader-worker.ts`, with a second
 * connection like the run's) while this thread plans the pages it has already received: the read and the
 * planning overlap on two cores. The thread is a few pages ahead at most (`PAGES_AHEAD`), so a slow
 * planner never makes it hold the whole directory in memory.
 *
 * Where the compiled worker is not beside this module (the sources run by the test runner), the same read
 * runs on this thread.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { type AttributeNames, type Config, readBindPassword } from '../config/index.js';
import {
  type Directory,
  type DirectoryOptions,
  directoryOptionsFromConfig,
  type EntryRow,
} from '../directory/index.js';
import { registerSecret } from '../logging/index.js';
import type { DirectoryUser } from './types.js';
import {
  deserializeError,
  type ThreadRead,
  type UserReaderData,
  type UserReaderMessage,
} from './reader-protocol.js';
import {
  type ListedUser,
  listingAttributes,
  toListedUser,
  type UserShape,
  userAttributes,
  userMapper,
} from './user-entry.js';

/** A read of users: plain data, the same on either thread. */
export interface UserRead {
  base: string;
  /** RFC 4515 string form (escaped): a filter object cannot cross to another thread. */
  filter: string;
  shape: UserShape;
}

/** A read of the source's users' DNs, record uids and CSNs only (an incremental import's listing). */
export interface ListingRead {
  base: string;
  filter: string;
  names: AttributeNames;
}

/**
 * Pages the reader thread may send before this thread has taken them: enough to keep it busy while the
 * roster is read (a few tens of MB of JSON at the default page size), bounded so that it never holds a
 * large directory in memory.
 */
const PAGES_AHEAD = 64;

/**
 * The same for a listing, whose rows are several times smaller (DN, uid, record uid, CSN): it runs ahead
 * far enough to be done while this thread still reads the roster of 100k users (a hundred pages), and
 * holds some 15 MB of pages at most when a larger roster takes longer.
 */
const LISTING_PAGES_AHEAD = 128;

const WORKER_URL = new URL('./user-reader-worker.js', import.meta.url);

/** Whether a read runs on a thread of its own: only where the compiled worker is beside this module. */
export const readerThreadAvailable = (): boolean => existsSync(fileURLToPath(WORKER_URL));

/**
 * The users matching `read`, a page at a time: from `prefetched` when it was started for this same read,
 * else decoded on a reader thread where there is one.
 */
export function readUserPages(
  directory: Directory,
  read: UserRead,
  prefetched?: UserReaderThread,
): AsyncGenerator<DirectoryUser[]> {
  return readPages(directory, usersThreadRead(read), userMapper(read.shape), prefetched);
}

/** The listing of `read`, a page at a time, like `readUserPages`. */
export function readListingPages(
  directory: Directory,
  read: ListingRead,
  prefetched?: ListingReaderThread,
): AsyncGenerator<ListedUser[]> {
  return readPages(directory, listingThreadRead(read), toListedUser, prefetched, LISTING_PAGES_AHEAD);
}

function readPages<T>(
  directory: Directory,
  read: ThreadRead,
  toItem: (row: EntryRow) => T,
  prefetched: ReaderThread<T> | undefined,
  pagesAhead = PAGES_AHEAD,
): AsyncGenerator<T[]> {
  if (prefetched !== undefined) {
    if (sameRead(prefetched.read, read)) return prefetched.pages();
    void prefetched.cancel();
  }
  return readerThreadAvailable()
    ? new ReaderThread(directory.options, read, toItem, pagesAhead).pages()
    : readInThread(directory, read, toItem);
}

const usersThreadRead = (read: UserRead): ThreadRead => ({
  base: read.base,
  filter: read.filter,
  attributes: userAttributes(read.shape),
});

const listingThreadRead = (read: ListingRead): ThreadRead => ({
  base: read.base,
  filter: read.filter,
  attributes: listingAttributes(read.names),
});

function sameRead(a: ThreadRead, b: ThreadRead): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

async function* readInThread<T>(
  directory: Directory,
  read: ThreadRead,
  toItem: (row: EntryRow) => T,
): AsyncGenerator<T[]> {
  for await (const page of directory.searchRows(read.base, {
    scope: 'sub',
    filter: read.filter,
    attributes: read.attributes,
  })) {
    yield page.map(toItem);
  }
}

/**
 * A read running on its own thread from the moment it is started: an import starts it before it reads the
 * roster, so that both are read at once, and takes its pages when it plans.
 */
export class ReaderThread<T> {
  private readonly worker: Worker;
  private readonly inbox: UserReaderMessage[] = [];
  private wake: (() => void) | undefined;
  private failure: Error | undefined;
  private exited = false;
  private taken = false;

  constructor(
    connection: DirectoryOptions,
    readonly read: ThreadRead,
    private readonly toItem: (row: EntryRow) => T,
    pagesAhead = PAGES_AHEAD,
  ) {
    const data: UserReaderData = { connection, read, pagesAhead };
    this.worker = new Worker(WORKER_URL, { workerData: data });
    this.worker.on('message', (message: UserReaderMessage) => {
      this.inbox.push(message);
      this.notify();
    });
    this.worker.on('error', (error) => {
      this.failure ??= error;
      this.notify();
    });
    this.worker.on('exit', () => {
      this.exited = true;
      this.notify();
    });
  }

  private notify(): void {
    this.wake?.();
    this.wake = undefined;
  }

  /** The pages, once. Ending early (the planner stopped) ends the thread and its connection. */
  async *pages(): AsyncGenerator<T[]> {
    if (this.taken) throw new Error('the users of a reader thread are read once');
    this.taken = true;
    try {
      for (;;) {
        const message = this.inbox.shift();
        if (message === undefined) {
          if (this.failure) throw this.failure;
          if (this.exited)
            throw new Error('reading the users: the reader thread ended without its last page');
          await new Promise<void>((resolve) => (this.wake = resolve));
          continue;
        }
        if (message.type === 'done') return;
        if (message.type === 'error') throw deserializeError(message.error);
        this.worker.postMessage('next');
        const rows = JSON.parse(message.rows) as [string, EntryRow['values']][];
        yield rows.map(([dn, values]) => this.toItem({ dn, values }));
      }
    } finally {
      await this.cancel();
    }
  }

  /** Ends the thread (a run that stops before it plans: a bad roster, an error). Safe to call again. */
  async cancel(): Promise<void> {
    if (!this.exited) await this.worker.terminate();
  }
}

/** The import's read of every user, on its own thread. */
export class UserReaderThread extends ReaderThread<DirectoryUser> {
  static start(connection: DirectoryOptions, read: UserRead): UserReaderThread {
    return new UserReaderThread(connection, usersThreadRead(read), userMapper(read.shape));
  }
}

/** An incremental import's listing of its users, on its own thread. */
export class ListingReaderThread extends ReaderThread<ListedUser> {
  static start(connection: DirectoryOptions, read: ListingRead): ListingReaderThread {
    return new ListingReaderThread(connection, listingThreadRead(read), toListedUser, LISTING_PAGES_AHEAD);
  }
}

/**
 * Starts the read of `read` on its own thread with a connection of its own, before the run has opened
 * its one. Undefined where there is no reader thread, or when the connection settings cannot be read:
 * the run then reports that itself, in its own order, and nothing of this read is ever seen.
 */
export async function startUserRead(
  config: Config,
  env: NodeJS.ProcessEnv,
  read: UserRead,
): Promise<UserReaderThread | undefined> {
  return startThread(config, env, (connection) => UserReaderThread.start(connection, read));
}

/** Starts an incremental import's listing on its own thread, like `startUserRead`. */
export async function startListing(
  config: Config,
  env: NodeJS.ProcessEnv,
  read: ListingRead,
): Promise<ListingReaderThread | undefined> {
  return startThread(config, env, (connection) => ListingReaderThread.start(connection, read));
}

async function startThread<T>(
  config: Config,
  env: NodeJS.ProcessEnv,
  start: (connection: DirectoryOptions) => T,
): Promise<T | undefined> {
  if (!readerThreadAvailable() || config.ldap.bind_dn === undefined) return undefined;
  try {
    const password = await readBindPassword(config, env);
    registerSecret(password);
    return start(directoryOptionsFromConfig(config, password));
  } catch {
    return undefined;
  }
}
