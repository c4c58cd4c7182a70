/**
 * LDIF helpers for the native-tool side of the benchmark, and a fingerprint of a directory's content so that
 * both servers can be shown to hold the same result after each step.
 */
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

/** Parses `ldapsearch -LLL -o ldif-wrap=no` output into [{ dn, lines: ['attr: value', …] }]. */
export function parseEntries(text) {
  const entries = [];
  for (const block of text.split(/\n\n+/)) {
    const lines = block.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
    if (lines.length === 0 || !/^dn::? /.test(lines[0])) continue;
    entries.push({ dn: lines[0], lines: lines.slice(1) });
  }
  return entries;
}

/**
 * What both sides must agree on: every user and group, with all user attributes except the password
 * (random per side), as sorted lines; DNs and attribute names compared case-insensitively.
 */
export function fingerprint(text) {
  const entries = parseEntries(text);
  let users = 0;
  let groups = 0;
  let members = 0;
  const canonical = entries
    .map(({ dn, lines }) => {
      const kept = lines
        .filter((line) => !/^userPassword::? /i.test(line))
        .map((line) => {
          const colon = line.indexOf(':');
          return `${line.slice(0, colon).toLowerCase()}${line.slice(colon)}`;
        })
        .sort();
      if (kept.some((line) => /^objectclass: inetOrgPerson$/i.test(line))) users++;
      if (kept.some((line) => /^objectclass: groupOfNames$/i.test(line))) groups++;
      members += kept.filter((line) => line.startsWith('member:')).length;
      return `${dn.toLowerCase()}\n${kept.join('\n')}`;
    })
    .sort();
  const hash = createHash('sha256').update(canonical.join('\n\n')).digest('hex').slice(0, 16);
  return { entries: entries.length, users, groups, members, hash, canonical };
}

/** The first few entries that differ between two fingerprints, for the log when they disagree. */
export function firstDifferences(left, right, limit = 3) {
  const rightSet = new Set(right.canonical);
  const leftSet = new Set(left.canonical);
  return {
    onlyLeft: left.canonical.filter((entry) => !rightSet.has(entry)).slice(0, limit),
    onlyRight: right.canonical.filter((entry) => !leftSet.has(entry)).slice(0, limit),
  };
}
