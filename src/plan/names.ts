/**
 * Names for the users a plan creates (SPEC §4.4): a username from the roster's `username` column or the
 * `scheme.username` template, an address from the `email` column or `scheme.email`, each unique across
 * the whole base DN — and the reservation entry that keeps a deleted user's username taken. Pure: the
 * names in use come in as plain values.
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
} from '../naming/index.js';
import type { RosterRecord } from '../roster/index.js';
import type { DirectoryLayout } from '../directory/layout.js';

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
  /** Every username under the base DN (lower-cased), reservations included. */
  usernames: readonly string[];
  /** Every address under the base DN (lower-cased). */
  emails: readonly string[];
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

/** Hands out usernames and addresses to new users, one record at a time, in the order asked. */
export class NameGiver {
  private readonly usernames: NameAllocator;
  private readonly emails: NameAllocator;
  private readonly usernameTemplate: NameTemplate;
  private readonly emailTemplate: NameTemplate | undefined;

  constructor(
    private readonly scheme: Config['scheme'],
    inUse: NamesInUse,
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
    let username: string;
    if (record.username !== undefined) {
      if (this.usernames.isTaken(record.username))
        throw new NameError(`username '${record.username}' is already taken`);
      this.usernames.take(record.username);
      username = record.username;
    } else {
      username = this.usernames.allocate(this.usernameTemplate, values, {
        maxLength: this.scheme.max_length,
        record: describe,
      });
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
