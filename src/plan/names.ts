/**
 * Names for the users a plan creates (SPEC §4.4): a username from the roster's `username` column or the
 * `scheme.username` template, an address from the `email` column or `scheme.email`, each unique across
 * the whole base DN — and the reservation entry that keeps a deleted user's username taken. The names in
 * use are not read whole: the ones a run may give out are looked up (`NameBook`, `settleNames`).
 */
import type { Config } from '../config/index.js';
import {
  compileNameTemplate,
  NameAllocator,
  NameError,
  type NameTemplate,
  type PseudonymSettings,
  retiredEmailCandidates,
  retiredUsernameCandidates,
  type UsedNames,
} from '../naming/index.js';
import type { RosterRecord } from '../roster/index.js';
import type { DirectoryLayout } from '../directory/layout.js';
import { lowerCase } from '../dn.js';

/** Fields a username or e-mail template may read from a roster row. */
export function templateValues(record: RosterRecord, school: string): Record<string, string | undefined> {
  const values: Record<string, string | undefined> = {
    firstname: record.firstname,
    lastname: record.lastname,
    record_uid: record.recordUid,
    school,
    birthday: record.birthday,
  };
  for (const [attribute, attributeValues] of Object.entries(record.attributes)) {
    values[`attr:${attribute}`] = attributeValues[0];
  }
  return values;
}

export interface NamesInUse {
  /** The usernames under the base DN (lower-cased), reservations included. */
  usernames: UsedNames | readonly string[];
  /** The addresses under the base DN (lower-cased). */
  emails: UsedNames | readonly string[];
  /** Freed by this run's deletions, which go out before the creations. */
  freedUsernames: readonly string[];
  freedEmails: readonly string[];
  /** Given to existing users by this run. */
  givenEmails: Iterable<string>;
  /** The retirement salts and settings: a name whose pseudonym under any salt is in use is taken. */
  retired?: { salts: readonly string[]; settings: PseudonymSettings };
}

export interface NewUserNames {
  username: string;
  email: string | undefined;
}

/** What an integrator's `makeUsername(row, ctx)` is handed beside the row (SPEC §6). */
export interface UsernameContext {
  /** The school whose container the new entry goes to. */
  readonly school: string;
  /**
   * The username that `template` (default `scheme.username`; same syntax) gives the row: transliterated,
   * counters applied, unique across the base DN, and taken for this row from then on.
   */
  fromScheme(template?: string): string;
}

/**
 * Makes a new user's username: `classes.user_import`'s `makeUsername`. Synchronous and without side
 * effects, since it runs again while the names it may give are looked up. The name it returns is the
 * user's; one in use already makes the row a problem, as a `username` column's would.
 */
export type UsernameMaker = (record: RosterRecord, ctx: UsernameContext) => string;

function described(value: unknown): string {
  if (value instanceof Promise) return 'a promise (it must return the name itself)';
  if (typeof value === 'string') return 'an empty name';
  return value === undefined || value === null ? String(value) : `a ${typeof value}`;
}

/** Hands out usernames and addresses to new users, one record at a time, in the order asked. */
export class NameGiver {
  private readonly usernames: NameAllocator;
  private readonly emails: NameAllocator;
  private readonly usernameTemplate: NameTemplate;
  private readonly emailTemplate: NameTemplate | undefined;
  /** The templates a `makeUsername` asked for, compiled once. */
  private readonly otherTemplates = new Map<string, NameTemplate>();

  constructor(
    private readonly scheme: Config['scheme'],
    inUse: NamesInUse,
    private readonly makeUsername?: UsernameMaker,
  ) {
    const retired = inUse.retired;
    this.usernames = new NameAllocator(
      inUse.usernames,
      retired && ((name) => retiredUsernameCandidates(name, retired.salts, retired.settings)),
    );
    this.emails = new NameAllocator(
      inUse.emails,
      retired && ((email) => retiredEmailCandidates(email, retired.salts, retired.settings)),
    );
    // Deletions run before creations: what they free can be given out again in this run.
    for (const email of inUse.freedEmails) this.emails.release(email);
    for (const email of inUse.givenEmails) this.emails.take(email);
    for (const username of inUse.freedUsernames) this.usernames.release(username);
    this.usernameTemplate = compileNameTemplate(scheme.username, 'scheme.username');
    this.emailTemplate =
      scheme.email !== undefined ? compileNameTemplate(scheme.email, 'scheme.email') : undefined;
  }

  /**
   * The new user's names, taken at once. A `NameError` says why there are none; a username taken before
   * the address failed stays taken for the rest of the run, as a row's names are handed out in order.
   */
  give(record: RosterRecord, school: string): NewUserNames {
    const describe = `record_uid ${record.recordUid} (line ${record.line})`;
    const values = templateValues(record, school);
    const fromScheme = (template?: NameTemplate) =>
      this.usernames.allocate(template ?? this.usernameTemplate, values, {
        maxLength: this.scheme.max_length,
        record: describe,
      });
    let username: string;
    if (this.makeUsername !== undefined) {
      username = this.madeUsername(this.makeUsername, record, school, fromScheme);
    } else if (record.username !== undefined) {
      username = this.takeUsername(record.username);
    } else {
      username = fromScheme();
    }
    let email = record.email;
    if (email !== undefined) {
      if (this.emails.isTaken(email)) throw new NameError(`e-mail ${email} is already used by another entry`);
      this.emails.take(email);
    } else if (this.emailTemplate) {
      email = this.emails.allocate(this.emailTemplate, values, { record: describe });
    }
    return { username, email };
  }

  private takeUsername(username: string): string {
    if (this.usernames.isTaken(username)) throw new NameError(`username '${username}' is already taken`);
    this.usernames.take(username);
    return username;
  }

  /** The integrator's name for the row; whatever goes wrong in its code is the row's problem. */
  private madeUsername(
    make: UsernameMaker,
    record: RosterRecord,
    school: string,
    fromScheme: (template?: NameTemplate) => string,
  ): string {
    const given = new Set<string>();
    const ctx: UsernameContext = {
      school,
      fromScheme: (template) => {
        const name = fromScheme(template === undefined ? undefined : this.otherTemplate(template));
        given.add(name);
        return name;
      },
    };
    let made: unknown;
    try {
      made = make(record, ctx);
    } catch (error) {
      if (error instanceof NameError) throw error;
      throw new NameError(`makeUsername failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (typeof made !== 'string' || made.trim() === '')
      throw new NameError(`makeUsername returned ${described(made)}, not a username`);
    return given.has(made) ? made : this.takeUsername(made);
  }

  private otherTemplate(template: string): NameTemplate {
    let compiled = this.otherTemplates.get(template);
    if (compiled === undefined) {
      compiled = compileNameTemplate(template, 'makeUsername template');
      this.otherTemplates.set(template, compiled);
    }
    return compiled;
  }
}

/**
 * What the directory holds of the names a run asks about: each name is looked up once (`learn`). Asking
 * about a name never looked up is a bug, except in a trial (`settleNames`), which collects such names and
 * counts them free meanwhile.
 */
export class NameBook implements UsedNames {
  readonly #used = new Set<string>();
  readonly #asked = new Set<string>();
  #trial: Set<string> | undefined;
  #trials = 0;

  /** `lookUp`: which of these lower-cased names are in use. */
  constructor(private readonly lookUp: (names: string[]) => Promise<readonly string[]>) {}

  isUsed(name: string): boolean {
    if (this.#used.has(name)) return true;
    if (this.#asked.has(name)) return false;
    if (this.#trial === undefined)
      throw new Error(`the name '${name}' was not looked up before it was given out`);
    this.#trial.add(name);
    return false;
  }

  /** A counter's sequence that met taken names asks about more of its next names each trial: 2, 4, … 64. */
  lookahead(): number {
    return this.#trial === undefined ? 0 : Math.min(2 ** this.#trials, 64);
  }

  /** Looks the names up; resolves with whether any of them is in use. */
  async learn(names: Iterable<string>): Promise<boolean> {
    const fresh: string[] = [];
    for (const name of names) {
      const lower = lowerCase(name);
      if (this.#asked.has(lower)) continue;
      this.#asked.add(lower);
      fresh.push(lower);
    }
    if (fresh.length === 0) return false;
    const used = await this.lookUp(fresh);
    for (const name of used) this.#used.add(lowerCase(name));
    return used.length > 0;
  }

  beginTrial(): void {
    this.#trial = new Set();
    this.#trials += 1;
  }

  /** The names the trial asked about that were never looked up. */
  endTrial(): string[] {
    const wanted = [...(this.#trial ?? [])];
    this.#trial = undefined;
    return wanted;
  }
}

/**
 * Looks up every name `giveAll` would ask the books about: it runs as a trial (unknown names count as
 * free), the names it met are looked up, and again until a trial meets none — or all it met are free, as
 * the trial assumed, so the next would give the same. The names handed out depend only on the names asked
 * about, so a run with the same books then gives what a run knowing every name in the directory would.
 */
export async function settleNames(books: readonly NameBook[], giveAll: () => void): Promise<void> {
  for (;;) {
    for (const book of books) book.beginTrial();
    try {
      giveAll();
    } catch (error) {
      for (const book of books) book.endTrial();
      throw error;
    }
    const wanted = books.map((book) => book.endTrial());
    if (wanted.every((names) => names.length === 0)) return;
    const used = await Promise.all(books.map((book, index) => book.learn(wanted[index] ?? [])));
    if (!used.includes(true)) return;
  }
}

/** The entry that keeps a deleted user's username taken (`scheme.reserve_deleted`; seed 004). */
export function reservationEntry(
  layout: DirectoryLayout,
  user: { username: string; recordUid: string },
  sourceUid: string,
  why: 'deleted' | 'purged',
): { dn: string; attributes: Record<string, string[]> } {
  return {
    dn: layout.reservationDn(user.username),
    attributes: {
      objectClass: ['account'],
      uid: [user.username],
      description: [`reserved by rostersync: username of ${why} user ${user.recordUid} (${sourceUid})`],
    },
  };
}
