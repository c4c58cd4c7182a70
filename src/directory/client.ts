/** The only code in rostersync that talks LDAP: a typed, error-mapped layer over ldapts. */
import type { ConnectionOptions } from 'node:tls';
import { Attribute, BerWriter, Change, Client, type Filter } from 'ldapts';
import { AssertionControl } from './assertion.js';
import { type DirectoryOperation, toDirectoryError } from './classify.js';
import { escapeDnValue, formatRdn, dn as joinDn, parentDn, parseRdn } from '../dn.js';
import {
  type DirectoryEntry,
  type EntryRow,
  entryMapper,
  type ParsedEntry,
  rowMapper,
  toDirectoryEntry,
} from './entry.js';
import { searchEntryPages } from './entry-pages.js';
import { DirectoryError } from './errors.js';
import { buildTlsOptions, type DirectoryOptions, parseLdapUrl } from './options.js';

export type SearchScope = 'base' | 'one' | 'sub';

export interface DirectorySearchOptions {
  scope: SearchScope;
  /** A filter built with `./filter.ts`, or its string form (RFC 4515, values escaped) from another thread. */
  filter: Filter | string;
  /** Attributes to return; nothing else is transferred. `[]` returns the DNs only. */
  attributes: string[];
  /** Overrides the connection's page size for this search. */
  pageSize?: number;
}

export interface Modification {
  operation: 'add' | 'delete' | 'replace';
  attribute: string;
  /** For `delete`, `[]` removes the whole attribute; for `replace`, `[]` removes all values. */
  values: string[];
}

/** RFC 3062 Password Modify extended operation. */
const PASSWORD_MODIFY_OID = '1.3.6.1.4.1.4203.1.11.1';
/** Asks the server to return no attributes at all (RFC 4511 section 4.5.1.8). */
const NO_ATTRIBUTES = '1.1';

/** Context tags of the PasswdModifyRequestValue fields. */
const USER_IDENTITY_TAG = 0x80;
const NEW_PASSWORD_TAG = 0x82;

function encodePasswordModifyRequest(userDn: string, newPassword: string): Buffer {
  const writer = new BerWriter();
  writer.startSequence();
  writer.writeString(userDn, USER_IDENTITY_TAG);
  writer.writeString(newPassword, NEW_PASSWORD_TAG);
  writer.endSequence();
  return writer.buffer;
}

/**
 * Re-escapes an RDN so that it contains no literal ',' and does not end in '\': ldapts splits
 * the new DN of a modify-DN request at the first comma not preceded by a backslash.
 */
function rdnForModifyDn(newRdn: string): string {
  return parseRdn(newRdn)
    .map(({ attribute, value }) => {
      const escaped = escapeDnValue(value).replace(/\\([\s\S])/gu, (match, character: string) => {
        if (character === '\\') return '\\5C';
        if (character === ',') return '\\2C';
        return match;
      });
      return `${attribute}=${escaped}`;
    })
    .join('+');
}

/**
 * One bound connection to the directory. Operations may run concurrently; the connection is
 * re-established (with StartTLS and bind) if the server drops it.
 */
export class Directory {
  private readonly client: Client;
  private readonly secure: boolean;
  private reconnecting: Promise<void> | undefined;
  private closed = false;
  /**
   * OpenLDAP keeps one paged-results state per connection: a second paged search started before the
   * first has read its last page invalidates the first one's cookie. Paged searches therefore take turns.
   */
  private pagedSearchTurn: Promise<void> = Promise.resolve();

  private constructor(
    /** What the connection was opened with, so that a reader thread can open a second one like it. */
    readonly options: DirectoryOptions,
    private readonly tlsOptions: ConnectionOptions,
  ) {
    this.secure = parseLdapUrl(options.url).secure;
    this.client = createClient(options, this.secure, tlsOptions);
  }

  /** Connects, upgrades with StartTLS if configured, and binds. */
  static async connect(options: DirectoryOptions): Promise<Directory> {
    const { secure, host } = parseLdapUrl(options.url);
    if (secure && options.starttls) {
      throw new DirectoryError(
        'other',
        'ldap.starttls cannot be used with an ldaps:// URL (it is already TLS)',
      );
    }
    const directory = new Directory(options, await buildTlsOptions(options, host));
    await directory.openSession();
    return directory;
  }

  get url(): string {
    return this.options.url;
  }

  /** Paged search; yields entries with exactly the requested attributes. */
  async *search(base: string, options: DirectorySearchOptions): AsyncGenerator<DirectoryEntry> {
    for await (const page of this.searchPages(base, options)) yield* page;
  }

  /**
   * Paged search, a page at a time: for the large reads, where resuming a generator per entry costs more
   * than the entry's own decoding.
   */
  searchPages(base: string, options: DirectorySearchOptions): AsyncGenerator<DirectoryEntry[]> {
    return this.pagedSearch(base, options, entryMapper(options.attributes));
  }

  /**
   * Paged search whose entries hold their values by the position of each requested attribute (no `*` or
   * `+`): for reads of very many entries of one kind, where building an object keyed by attribute name for
   * every entry is much of the cost.
   */
  searchRows(base: string, options: DirectorySearchOptions): AsyncGenerator<EntryRow[]> {
    return this.pagedSearch(base, options, rowMapper(options.attributes));
  }

  private async *pagedSearch<T>(
    base: string,
    options: DirectorySearchOptions,
    map: (entry: ParsedEntry) => T,
  ): AsyncGenerator<T[]> {
    // One paged search at a time on the connection: pages of two would interleave.
    const previous = this.pagedSearchTurn;
    let done!: () => void;
    this.pagedSearchTurn = new Promise((resolve) => (done = resolve));
    await previous;
    try {
      await this.ensureSession('search', base);
      const attributes = options.attributes.length > 0 ? options.attributes : [NO_ATTRIBUTES];
      const pages = searchEntryPages(this.client, base, {
        scope: options.scope,
        filter: options.filter,
        attributes,
        pageSize: options.pageSize ?? this.options.pageSize,
      });
      try {
        for await (const page of pages) yield page.map(map);
      } catch (error) {
        throw this.failure(error, 'search', base);
      }
    } finally {
      done();
    }
  }

  /** Collects a whole search into an array. */
  async searchAll(base: string, options: DirectorySearchOptions): Promise<DirectoryEntry[]> {
    const entries: DirectoryEntry[] = [];
    for await (const entry of this.search(base, options)) entries.push(entry);
    return entries;
  }

  /** Reads one entry, or undefined if it does not exist. */
  async searchOne(dn: string, attributes: string[]): Promise<DirectoryEntry | undefined> {
    await this.ensureSession('search', dn);
    try {
      const result = await this.client.search(dn, {
        scope: 'base',
        attributes: attributes.length > 0 ? attributes : [NO_ATTRIBUTES],
      });
      const [entry] = result.searchEntries;
      return entry === undefined ? undefined : toDirectoryEntry(entry, attributes);
    } catch (error) {
      const failure = this.failure(error, 'search', dn);
      if (failure.kind === 'no-such-object') return undefined;
      throw failure;
    }
  }

  async exists(dn: string): Promise<boolean> {
    return (await this.searchOne(dn, [])) !== undefined;
  }

  async add(dn: string, attributes: Record<string, string | string[]>): Promise<void> {
    // An attribute without values cannot be added; leaving it out is what the caller means.
    const present = Object.fromEntries(
      Object.entries(attributes).filter(([, value]) => typeof value === 'string' || value.length > 0),
    );
    await this.run('add', dn, () => this.client.add(dn, present));
  }

  async modify(dn: string, changes: Modification[]): Promise<void> {
    if (changes.length === 0) return;
    const ldapChanges = changes.map(
      (change) =>
        new Change({
          operation: change.operation,
          modification: new Attribute({ type: change.attribute, values: change.values }),
        }),
    );
    await this.run('modify', dn, () => this.client.modify(dn, ldapChanges));
  }

  /** With `assertion`, deletes only while the entry matches it (RFC 4528), else fails with result code 122. */
  async delete(dn: string, options: { assertion?: Filter } = {}): Promise<void> {
    const controls = options.assertion ? [new AssertionControl(options.assertion)] : [];
    await this.run('delete', dn, () => this.client.del(dn, controls));
  }

  /**
   * Modify DN: gives the entry `newRdn` (an escaped RDN string such as `uid=new`) and optionally
   * moves it under `newParentDn`. The old RDN value is removed. Returns the new DN.
   */
  async rename(dn: string, newRdn: string, newParentDn?: string): Promise<string> {
    let target: string;
    let transportRdn: string;
    try {
      transportRdn = rdnForModifyDn(newRdn);
      target = joinDn(formatRdn(parseRdn(newRdn)), newParentDn ?? parentDn(dn) ?? '');
    } catch (error) {
      throw new DirectoryError('other', `rename ${dn} failed: ${(error as Error).message}`, {
        cause: error,
        operation: 'rename',
        dn,
      });
    }
    const request = newParentDn === undefined ? transportRdn : `${transportRdn},${newParentDn}`;
    await this.run('rename', dn, () => this.client.modifyDN(dn, request));
    return target;
  }

  /** Sets a user's password with the Password Modify extended operation, so the server hashes it. */
  async passwordModify(userDn: string, newPassword: string): Promise<void> {
    const request = encodePasswordModifyRequest(userDn, newPassword);
    await this.run('password-modify', userDn, () => this.client.exop(PASSWORD_MODIFY_OID, request));
  }

  /**
   * Checks a password by binding as `dn` on a separate short-lived connection with the same
   * URL and TLS settings. False on invalid credentials; other failures throw.
   */
  async bindAs(dn: string, password: string): Promise<boolean> {
    // An empty password would be an unauthenticated bind, which "succeeds" without checking anything.
    if (password.length === 0) return false;
    const client = createClient(this.options, this.secure, this.tlsOptions);
    try {
      await this.establish(client, dn, password);
      return true;
    } catch (error) {
      if (error instanceof DirectoryError && error.kind === 'invalid-credentials') return false;
      throw error;
    } finally {
      await client.unbind().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.client.unbind().catch(() => undefined);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private async openSession(): Promise<void> {
    try {
      await this.establish(this.client, this.options.bindDn, this.options.bindPassword);
    } catch (error) {
      throw await this.explainBindFailure(error);
    } finally {
      if (!this.client.isBound) await this.client.unbind().catch(() => undefined);
    }
  }

  /**
   * Servers answer "invalid credentials" for a bind DN that does not exist. When not even its
   * parent exists (asked anonymously on the same connection), ldap.bind_dn is surely mistyped and
   * "no such entry" is the clearer message. A missing entry under an existing parent stays
   * "invalid credentials": the server's rootdn usually has no entry of its own.
   */
  private async explainBindFailure(error: unknown): Promise<unknown> {
    if (!(error instanceof DirectoryError) || error.kind !== 'invalid-credentials') return error;
    const bindDn = this.options.bindDn;
    let parent: string | undefined;
    try {
      parent = parentDn(bindDn);
    } catch {
      return error;
    }
    if (!parent) return error;
    try {
      await this.client.search(parent, { scope: 'base', attributes: [NO_ATTRIBUTES] });
    } catch (probeError) {
      if (this.failure(probeError, 'search', parent).kind === 'no-such-object') {
        return new DirectoryError('no-such-object', `no such entry: ${bindDn}`, {
          cause: error,
          operation: 'bind',
          dn: bindDn,
          resultCode: error.resultCode,
        });
      }
    }
    return error;
  }

  private async establish(client: Client, bindDn: string, password: string): Promise<void> {
    if (this.options.starttls) {
      try {
        await client.startTLS({ ...this.tlsOptions });
      } catch (error) {
        throw this.failure(error, 'starttls');
      }
    }
    try {
      await client.bind(bindDn, password);
    } catch (error) {
      throw this.failure(error, 'bind', bindDn);
    }
  }

  /** Makes sure the connection is up and bound, reconnecting once for all waiting operations. */
  private async ensureSession(operation: DirectoryOperation, dn: string): Promise<void> {
    if (this.closed) {
      throw new DirectoryError('other', `${operation} ${dn}: the directory connection is closed`, {
        operation,
        dn,
      });
    }
    if (this.client.isBound) return;
    this.reconnecting ??= this.openSession().finally(() => {
      this.reconnecting = undefined;
    });
    await this.reconnecting;
  }

  private async run(operation: DirectoryOperation, dn: string, send: () => Promise<unknown>): Promise<void> {
    await this.ensureSession(operation, dn);
    try {
      await send();
    } catch (error) {
      throw this.failure(error, operation, dn);
    }
  }

  private failure(error: unknown, operation: DirectoryOperation, dn?: string): DirectoryError {
    return toDirectoryError(error, {
      operation,
      dn,
      url: this.options.url,
      timeoutMs: this.options.timeoutMs,
    });
  }
}

/** The TLS options go to the client only for ldaps://; for StartTLS they are passed at upgrade time. */
function createClient(options: DirectoryOptions, secure: boolean, tlsOptions: ConnectionOptions): Client {
  return new Client({
    url: options.url,
    timeout: options.timeoutMs,
    connectTimeout: options.timeoutMs,
    ...(secure ? { tlsOptions } : {}),
  });
}
