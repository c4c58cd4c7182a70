/**
 * Reads a user's archive back (`rostersync archive restore`): the LDIF change records `renderArchive` writes
 * (RFC 2849: folded lines, `::` base64 values, comments), an `add` of the entry and one `modify` per group
 * membership. Only what an archive holds is accepted; anything else is an error naming the file and line.
 */
import { readFile } from 'node:fs/promises';
import { ExitCode, RostersyncError } from '../errors.js';
import { unfoldLdif } from '../ldif.js';
import type { ArchivedMembership, ArchivedUser } from './render.js';

/** A change of a `modify` record. */
export interface LdifChange {
  operation: 'add' | 'delete' | 'replace';
  attribute: string;
  values: string[];
}

export type LdifRecord =
  | { line: number; dn: string; changetype: 'add'; attributes: Record<string, string[]> }
  | { line: number; dn: string; changetype: 'modify'; changes: LdifChange[] };

/** Not a readable archive: the command line names a wrong file (exit 2). */
export class ArchiveFormatError extends RostersyncError {
  constructor(source: string, line: number | undefined, message: string) {
    super(`${source}${line === undefined ? '' : `:${line}`}: ${message}`, ExitCode.usage);
  }
}

interface LogicalLine {
  line: number;
  text: string;
}

/** Logical lines (folds joined) with the number of their first physical line; blank lines kept as ''. */
function logicalLines(text: string): LogicalLine[] {
  const lines: LogicalLine[] = [];
  let line = 1;
  // A newline followed by a space continues the line: split only where it does not.
  for (const chunk of text.split(/\r?\n(?! )/)) {
    lines.push({ line, text: unfoldLdif(chunk) });
    line += chunk.split('\n').length;
  }
  return lines;
}

/** `attr: value`, `attr:: base64`; `attr:< URL` is not something an archive holds. */
function attributeValue(source: string, { line, text }: LogicalLine): { attribute: string; value: string } {
  const match = /^([A-Za-z0-9][A-Za-z0-9;.-]*):(:|<)? ?(.*)$/.exec(text);
  if (!match) throw new ArchiveFormatError(source, line, `not an LDIF line: ${JSON.stringify(text)}`);
  const [, attribute = '', kind, rest = ''] = match;
  if (kind === '<') throw new ArchiveFormatError(source, line, `${attribute}: values by URL are not read`);
  if (kind !== ':') return { attribute, value: rest.replace(/^ +/, '') };
  const encoded = rest.trim();
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(encoded) || encoded.length % 4 !== 0)
    throw new ArchiveFormatError(source, line, `${attribute}: invalid base64 value`);
  return { attribute, value: Buffer.from(encoded, 'base64').toString('utf8') };
}

interface ParsedLine {
  logical: LogicalLine;
  attribute: string;
  value: string;
}

/** `-` ends a change of a modify record; every other line is `attr: value`. */
const parsedLine = (source: string, logical: LogicalLine): ParsedLine =>
  logical.text === '-'
    ? { logical, attribute: '-', value: '' }
    : { logical, ...attributeValue(source, logical) };

/** The change records of an LDIF file (RFC 2849), `add` and `modify` only. */
export function parseLdifRecords(text: string, source: string): LdifRecord[] {
  const blocks: ParsedLine[][] = [[]];
  let first = true;
  for (const logical of logicalLines(text)) {
    if (logical.text.trim() === '') blocks.push([]);
    else if (logical.text.startsWith('#')) continue;
    else {
      const parsed = parsedLine(source, logical);
      // RFC 2849: an optional `version: 1` first, the first record below it (after blank lines or not).
      if (first && parsed.attribute.toLowerCase() === 'version') {
        if (parsed.value !== '1')
          throw new ArchiveFormatError(source, logical.line, `LDIF version ${parsed.value} is not 1`);
        blocks.push([]);
      } else blocks.at(-1)?.push(parsed);
      first = false;
    }
  }
  return blocks.filter((lines) => lines.length > 0).map((lines) => changeRecord(source, lines));
}

function changeRecord(source: string, [head, ...rest]: ParsedLine[]): LdifRecord {
  if (head?.attribute.toLowerCase() !== 'dn')
    throw new ArchiveFormatError(source, head?.logical.line, `expected a dn: line, got ${head?.attribute}:`);
  const line = head.logical.line;
  const dn = head.value;
  const hasType = rest[0]?.attribute.toLowerCase() === 'changetype';
  const changetype = hasType ? rest[0]?.value : 'add';
  const body = hasType ? rest.slice(1) : rest;
  if (changetype === 'add') {
    const attributes: Record<string, string[]> = {};
    for (const { logical, attribute, value } of body) {
      if (attribute === '-') throw new ArchiveFormatError(source, logical.line, "'-' in an add record");
      (attributes[attribute] ??= []).push(value);
    }
    return { line, dn, changetype, attributes };
  }
  if (changetype === 'modify') return { line, dn, changetype, changes: modifyChanges(source, body) };
  throw new ArchiveFormatError(
    source,
    rest[0]?.logical.line,
    `changetype ${changetype ?? ''} is not one an archive holds (add, modify)`,
  );
}

/** `add: attr` / `delete: attr` / `replace: attr`, its values, `-`. */
function modifyChanges(source: string, body: readonly ParsedLine[]): LdifChange[] {
  const changes: LdifChange[] = [];
  let current: LdifChange | undefined;
  for (const { logical, attribute, value } of body) {
    if (attribute === '-') {
      current = undefined;
      continue;
    }
    if (current === undefined) {
      const operation = attribute.toLowerCase();
      if (operation !== 'add' && operation !== 'delete' && operation !== 'replace')
        throw new ArchiveFormatError(
          source,
          logical.line,
          `expected add:, delete: or replace:, got ${attribute}:`,
        );
      current = { operation, attribute: value, values: [] };
      changes.push(current);
    } else if (attribute.toLowerCase() === current.attribute.toLowerCase()) {
      current.values.push(value);
    } else {
      throw new ArchiveFormatError(
        source,
        logical.line,
        `${attribute}: expected a value of ${current.attribute} or '-'`,
      );
    }
  }
  return changes;
}

/** The user an archive holds: its entry (the first record, an `add`) and the group values that named it. */
export function parseArchive(text: string, source: string): ArchivedUser {
  const records = parseLdifRecords(text, source);
  const [entry, ...groups] = records;
  if (entry?.changetype !== 'add')
    throw new ArchiveFormatError(
      source,
      entry?.line,
      'not a rostersync archive: it starts with no add record',
    );
  const memberships: ArchivedMembership[] = [];
  for (const group of groups) {
    if (group.changetype !== 'modify')
      throw new ArchiveFormatError(source, group.line, 'not a rostersync archive: a second add record');
    for (const change of group.changes) {
      if (change.operation !== 'add' || !/^(member|uniqueMember|memberUid)$/i.test(change.attribute))
        throw new ArchiveFormatError(
          source,
          group.line,
          `not a rostersync archive: ${change.operation}: ${change.attribute} is no group membership`,
        );
      for (const value of change.values)
        memberships.push({ group: group.dn, attribute: change.attribute, value });
    }
  }
  return { dn: entry.dn, attributes: entry.attributes, memberships };
}

/** Reads and parses the archive file at `path`. */
export async function readArchive(path: string): Promise<ArchivedUser> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ArchiveFormatError(path, undefined, `cannot read the archive: ${reason}`);
  }
  return parseArchive(text, path);
}
