/**
 * Helpers for import tests that check what an import must leave alone and what it reports: whole-entry
 * snapshots (user and operational attributes), hand-made entries, searches with filter objects only, and
 * the JSON log lines the CLI writes to stderr.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { type Client, EqualityFilter } from 'ldapts';

export type EntryValues = Record<string, string[]>;

function normalize(entry: Record<string, unknown>): EntryValues {
  const out: EntryValues = {};
  for (const [key, value] of Object.entries(entry)) {
    const values = Array.isArray(value) ? (value as unknown[]) : [value];
    out[key] = values.map((item) => (Buffer.isBuffer(item) ? item.toString('utf8') : String(item))).sort();
  }
  return out;
}

/** Every attribute of one entry, user and operational (`modifyTimestamp`, `entryCSN`, …), values sorted. */
export async function readEntry(client: Client, dn: string): Promise<EntryValues | undefined> {
  try {
    const { searchEntries } = await client.search(dn, { scope: 'base', attributes: ['*', '+'] });
    const entry = searchEntries[0];
    return entry ? normalize(entry) : undefined;
  } catch (error) {
    if (error instanceof Error && error.name === 'NoSuchObjectError') return undefined;
    throw error;
  }
}

/** Entries under `baseDn` whose `attribute` equals `value`, found with an EqualityFilter object. */
export async function findBy(
  client: Client,
  baseDn: string,
  attribute: string,
  value: string,
): Promise<EntryValues[]> {
  const { searchEntries } = await client.search(baseDn, {
    scope: 'sub',
    filter: new EqualityFilter({ attribute, value }),
    attributes: ['*', '+'],
  });
  return searchEntries.map((entry) => normalize(entry));
}

/** The single entry whose `attribute` equals `value`; fails the test when there is not exactly one. */
export async function findOne(
  client: Client,
  baseDn: string,
  attribute: string,
  value: string,
): Promise<EntryValues> {
  const found = await findBy(client, baseDn, attribute, value);
  if (found.length !== 1) {
    throw new Error(`expected one entry with ${attribute}=${JSON.stringify(value)}, found ${found.length}`);
  }
  return found[0] as EntryValues;
}

/** First value of an attribute, or undefined. */
export function one(entry: EntryValues | undefined, attribute: string): string | undefined {
  return entry?.[attribute]?.[0];
}

/** The values of an attribute (looked up case-insensitively), or an empty list. */
export function values(
  entry: EntryValues | Record<string, string | string[]> | undefined,
  attribute: string,
): string[] {
  if (entry === undefined) return [];
  const key = Object.keys(entry).find((name) => name.toLowerCase() === attribute.toLowerCase());
  const value = key === undefined ? undefined : entry[key];
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** An `organizationalUnit` below `parentDn`. */
export async function addOu(client: Client, ou: string, parentDn: string): Promise<string> {
  const dn = `ou=${ou},${parentDn}`;
  await client.add(dn, { objectClass: 'organizationalUnit', ou });
  return dn;
}

export interface HandUser {
  uid: string;
  givenName: string;
  sn: string;
  mail?: string;
  /** Set to make it a user of another import source. */
  sourceUid?: string;
  recordUid?: string;
  schools?: string[];
  roles?: string[];
}

/** Adds a user by hand, the way an admin or another import job would; returns its DN. */
export async function addHandUser(client: Client, parentDn: string, user: HandUser): Promise<string> {
  const dn = `uid=${user.uid},${parentDn}`;
  const attributes: Record<string, string | string[]> = {
    objectClass: user.sourceUid === undefined ? ['inetOrgPerson'] : ['inetOrgPerson', 'rostersyncUser'],
    uid: user.uid,
    givenName: user.givenName,
    sn: user.sn,
    cn: `${user.givenName} ${user.sn}`,
  };
  if (user.mail !== undefined) attributes.mail = user.mail;
  if (user.sourceUid !== undefined) {
    attributes.rostersyncSourceUid = user.sourceUid;
    attributes.rostersyncRecordUid = user.recordUid ?? user.uid;
    if (user.schools) attributes.rostersyncSchool = user.schools;
    if (user.roles) attributes.rostersyncRole = user.roles;
  }
  await client.add(dn, attributes);
  return dn;
}

export interface LogLine {
  level?: string;
  message?: string;
  [field: string]: unknown;
}

/** The JSON log lines of a run's stderr (other lines, e.g. usage text, are skipped). */
export function logLines(stderr: string): LogLine[] {
  const lines: LogLine[] = [];
  for (const text of stderr.split('\n')) {
    if (!text.startsWith('{')) continue;
    try {
      lines.push(JSON.parse(text) as LogLine);
    } catch {
      // not a log line
    }
  }
  return lines;
}

/**
 * Whether some log line points at `file:line:column`: either its text holds that position, or its
 * structured fields give the file, the line and the column.
 */
export function reportsPosition(stderr: string, file: string, line: number, column: number): boolean {
  const position = `${file}:${line}:${column}`;
  if (stderr.includes(position)) return true;
  return logLines(stderr).some(
    (entry) => entry.file === file && entry.line === line && entry.column === column,
  );
}

/** The log lines that mention `needle` in their message. */
export function messagesWith(stderr: string, needle: string): LogLine[] {
  return logLines(stderr).filter(
    (entry) => typeof entry.message === 'string' && entry.message.includes(needle),
  );
}

/** Initial passwords by username, read with a real CSV parser (record uids may hold commas and quotes). */
export async function initialPasswords(stateDir: string): Promise<Map<string, string>> {
  const text = await readFile(join(stateDir, 'passwords.csv'), 'utf8').catch(() => '');
  const rows = parse(text, { relax_column_count: true });
  const map = new Map<string, string>();
  for (const [username, , password] of rows.slice(1)) {
    if (username !== undefined && password !== undefined) map.set(username, password);
  }
  return map;
}
