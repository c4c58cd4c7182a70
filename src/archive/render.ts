/**
 * A user's archive (SPEC §8, seed 004) as LDIF change records: the entry as an `add` (every user attribute
 * but the password, plus `entryUUID`, `createTimestamp`, `pwdLastSuccess`), then one `modify` per group
 * that named it, adding the member value back. `ldapmodify -a` can replay it, and `rostersync archive
 * restore` reads it. Pure.
 */
import { foldLdifLine, ldifAttributeLine } from '../ldif.js';

/** A group value that named the user: `member`/`uniqueMember` hold its DN, `memberUid` its username. */
export interface ArchivedMembership {
  group: string;
  attribute: string;
  value: string;
}

export interface ArchivedUser {
  dn: string;
  attributes: Record<string, string[]>;
  memberships: ArchivedMembership[];
}

/** Operational attributes the archive keeps: who the entry was, and when it was made and last used. */
export const ARCHIVED_OPERATIONAL = ['entryUUID', 'createTimestamp', 'pwdLastSuccess'] as const;

/** Never archived: the password (hashes included). */
const NEVER = new Set(['userpassword']);

const line = (attribute: string, value: string): string => foldLdifLine(ldifAttributeLine(attribute, value));

export function renderArchive(user: ArchivedUser, header: readonly string[]): string {
  const entry = [line('dn', user.dn), 'changetype: add'];
  for (const [attribute, values] of Object.entries(user.attributes)) {
    if (NEVER.has(attribute.toLowerCase())) continue;
    for (const value of values) entry.push(line(attribute, value));
  }
  const groups = user.memberships.map((membership) =>
    [
      line('dn', membership.group),
      'changetype: modify',
      `add: ${membership.attribute}`,
      line(membership.attribute, membership.value),
      '-',
    ].join('\n'),
  );
  return `${[[...header.map((text) => `# ${text}`), 'version: 1'].join('\n'), entry.join('\n'), ...groups].join('\n\n')}\n`;
}
