// What every benchmark does with a test server from outside: bind arguments for the OpenLDAP tools, a
// fingerprint of its content to show that two servers ended up the same, what changed on a server during a
// run that must write nothing, and loading a stopped server offline with slapadd.
import { Buffer } from 'node:buffer';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { capture } from './measure.js';

const root = fileURLToPath(new URL('..', import.meta.url));

/** `-x -H URL -D admin -y password-file`: a simple bind as the server's admin. */
export const bind = (server) => [
  '-x',
  '-H',
  server.url,
  '-D',
  server.adminDn,
  '-y',
  server.adminPasswordFile,
];

/**
 * The mdb map size for a server of `size` users: 16 KiB per user, at least 4 GiB. The map is address space;
 * the data file holds ~1.7 KB per user after a seed of 100k (170 MB), so this leaves room for the churn,
 * the purge's reservations and mdb's free pages. (slapadd -q maps the file writable, which makes it a sparse
 * file of the map's size: `ls` shows the map size, `du` what is used.)
 */
export const mdbMaxSize = (size) => Math.max(4 * 1024 ** 3, size * 16 * 1024);

/**
 * Runs `ldapsearch -LLL -o ldif-wrap=no` and hands each entry to `onEntry` as { dn, lines } while the
 * output streams in, so that a directory of a million entries is never held as one text.
 */
export function searchEntries(server, args, onEntry) {
  return new Promise((resolve, reject) => {
    const child = spawn('ldapsearch', [...bind(server), '-LLL', '-o', 'ldif-wrap=no', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const errors = [];
    child.stderr.on('data', (chunk) => errors.push(chunk));
    let entry;
    const lines = createInterface({ input: child.stdout, crlfDelay: Infinity });
    lines.on('line', (line) => {
      if (line === '') {
        if (entry) onEntry(entry);
        entry = undefined;
      } else if (line.startsWith('#')) {
        // a comment (e.g. the paged-results prompt); not part of an entry
      } else if (entry === undefined) {
        if (/^dn::? /.test(line)) entry = { dn: line, lines: [] };
      } else entry.lines.push(line);
    });
    const ended = new Promise((done) => lines.once('close', done));
    child.once('error', reject);
    child.once('exit', async (code) => {
      await ended;
      if (entry) onEntry(entry);
      if (code === 0) resolve();
      else
        reject(
          new Error(`ldapsearch exited ${code}: ${Buffer.concat(errors).toString('utf8').slice(-2000)}`),
        );
    });
  });
}

// What the comparison leaves out, the same as the tests' canonical dump (testkit/comparison.ts).
const { COMPARISON_EXCLUDED_ATTRIBUTES, isRunLockEntry } = await import(
  join(root, 'build/testkit/comparison.js')
);
const EXCLUDED = new Set(COMPARISON_EXCLUDED_ATTRIBUTES);

/** Whether an entry (by its `dn:` or `dn::` line) is the run lock's: only rostersync's side has those. */
export function isRunState(dnLine) {
  const dn = dnLine.startsWith('dn:: ')
    ? Buffer.from(dnLine.slice(5), 'base64').toString('utf8')
    : dnLine.slice('dn: '.length);
  return isRunLockEntry(dn);
}

/** One entry as both sides must agree on it: the DN and the kept lines, names lower case, values sorted. */
export function canonicalEntry({ dn, lines }) {
  const kept = [];
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).toLowerCase();
    if (!EXCLUDED.has(name)) kept.push(`${name}${line.slice(colon)}`);
  }
  return `${dn.toLowerCase()}\n${kept.sort().join('\n')}`;
}

/**
 * Every entry under the suffix with its user and operational attributes (less `EXCLUDED`), canonical and
 * hashed one by one: { entries, users, groups, members, hash, byHash } where `byHash` maps each entry's
 * hash to its DN line (to name what differs) and `hash` covers them all, in no particular order.
 */
export async function directoryFingerprint(server) {
  let users = 0;
  let groups = 0;
  let members = 0;
  const byHash = new Map();
  await searchEntries(
    server,
    ['-b', server.suffix, '-E', 'pr=1000/noprompt', '(objectClass=*)', '*', '+'],
    (entry) => {
      if (isRunState(entry.dn)) return;
      const text = canonicalEntry(entry);
      if (/^objectclass: inetOrgPerson$/im.test(text)) users++;
      if (/^objectclass: groupOfNames$/im.test(text)) groups++;
      for (const line of entry.lines) if (line.startsWith('member:')) members++;
      byHash.set(createHash('sha1').update(text).digest('base64'), entry.dn);
    },
  );
  const all = createHash('sha256');
  for (const hash of [...byHash.keys()].sort()) all.update(hash);
  return { entries: byHash.size, users, groups, members, hash: all.digest('hex').slice(0, 16), byHash };
}

/** One entry's canonical text, read again by its DN line (`dn: …` or `dn:: base64`). */
async function entryText(server, dnLine) {
  const dn = dnLine.startsWith('dn:: ')
    ? Buffer.from(dnLine.slice(5), 'base64').toString('utf8')
    : dnLine.slice(4);
  let text = `${dnLine} (gone)`;
  await searchEntries(server, ['-b', dn, '-s', 'base', '(objectClass=*)', '*', '+'], (entry) => {
    text = canonicalEntry(entry);
  });
  return text;
}

/**
 * Whether two servers hold the same entries (as `directoryFingerprint` sees them); when not, the first
 * `limit` entries found only on either side, as text.
 */
export async function compareDirectories(left, right, limit = 3) {
  const [a, b] = await Promise.all([directoryFingerprint(left), directoryFingerprint(right)]);
  const same = a.hash === b.hash;
  const only = async (server, mine, theirs) => {
    const dns = [];
    for (const [hash, dn] of mine.byHash) {
      if (dns.length >= limit) break;
      if (!theirs.byHash.has(hash)) dns.push(dn);
    }
    return Promise.all(dns.map((dn) => entryText(server, dn)));
  };
  return {
    same,
    entries: a.entries,
    users: a.users,
    groups: a.groups,
    members: a.members,
    onlyLeft: same ? [] : await only(left, a, b),
    onlyRight: same ? [] : await only(right, b, a),
  };
}

/**
 * What a run that must write nothing is checked against: how many entries the server holds and the newest
 * entryCSN among them (every add, modify and rename gives its entry a new, later CSN; a delete lowers the count).
 */
export async function directoryState(server) {
  let entries = 0;
  let newestCsn = '';
  await searchEntries(
    server,
    ['-b', server.suffix, '-E', 'pr=1000/noprompt', '(objectClass=*)', 'entryCSN'],
    (entry) => {
      if (isRunState(entry.dn)) return;
      entries++;
      for (const line of entry.lines) {
        const csn = line.slice('entryCSN: '.length);
        if (line.startsWith('entryCSN: ') && csn > newestCsn) newestCsn = csn;
      }
    },
  );
  return { entries, newestCsn };
}

/** How many entries match `filter` under the server's suffix. */
export async function countEntries(server, filter) {
  const text = await capture('ldapsearch', [
    ...bind(server),
    '-b',
    server.suffix,
    '-E',
    'pr=1000/noprompt',
    '-LLL',
    filter,
    '1.1',
  ]);
  return text.split('\n').filter((line) => /^dn::? /.test(line)).length;
}

/**
 * Loads `ldifFile` into a running test server offline: stops it, adds the entries with `slapadd -q` (the
 * server's own slapd.conf, so its indexes are built as the entries go in), starts it again on the same
 * port. The server must keep its files when stopped (started with `dir`). Resolves with slapadd's seconds.
 */
export async function loadOffline(server, ldifFile) {
  const { findOpenLdapProgram } = await import(join(root, 'build/testkit/slapd.js'));
  await server.stop();
  const started = performance.now();
  await capture(findOpenLdapProgram('slapadd'), [
    '-q',
    '-f',
    join(server.dir, 'slapd.conf'),
    '-b',
    server.suffix,
    '-l',
    ldifFile,
  ]);
  const seconds = (performance.now() - started) / 1000;
  await server.restart();
  return seconds;
}
