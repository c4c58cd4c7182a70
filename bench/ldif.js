/** LDIF helpers for the native-tool side of the benchmark: passwords for new users, counts of changes. */
import { Buffer } from 'node:buffer';
import { createHash, randomBytes } from 'node:crypto';

/** `{SSHA}` as slapd verifies it: base64(SHA-1(password + salt) + salt). */
export function ssha(password, salt = randomBytes(8)) {
  const digest = createHash('sha1').update(password, 'utf8').update(salt).digest();
  return `{SSHA}${Buffer.concat([digest, salt]).toString('base64')}`;
}

const isUserAdd = (record) =>
  /^changetype: add$/m.test(record) && /^objectClass: inetOrgPerson$/im.test(record);

/**
 * The plan's LDIF omits initial passwords (they only exist when the plan is applied); this adds one
 * precomputed `{SSHA}` userPassword to every user add, so that ldapmodify sends what rostersync sends.
 */
export function addPasswords(ldif) {
  let users = 0;
  const records = ldif.split(/\n\n/).map((record) => {
    if (!isUserAdd(record)) return record;
    users++;
    const password = randomBytes(12).toString('base64url');
    return `${record.replace(/\n+$/, '')}\nuserPassword: ${ssha(password)}`;
  });
  return { ldif: `${records.join('\n\n').replace(/\n*$/, '')}\n`, users };
}

/** Counts of change records by kind: { add, modify, delete, modrdn, userAdds }. */
export function countChanges(ldif) {
  const counts = { add: 0, modify: 0, delete: 0, modrdn: 0, userAdds: 0 };
  for (const record of ldif.split(/\n\n/)) {
    const match = /^changetype: (\w+)$/m.exec(record);
    if (!match) continue;
    counts[match[1]] = (counts[match[1]] ?? 0) + 1;
    if (isUserAdd(record)) counts.userAdds++;
  }
  return counts;
}
