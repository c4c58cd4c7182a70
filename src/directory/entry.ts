import type { Entry } from 'ldapts';

/** An entry as read from the directory: only the requested attributes, always as string arrays. */
export interface DirectoryEntry {
  dn: string;
  /** Keys are exactly the requested attribute names; an attribute the entry lacks maps to `[]`. */
  attributes: Record<string, string[]>;
}

/** A search entry as parsed: what ldapts' `SearchEntry` is, and what an ldapts `Entry` is turned back into. */
export interface ParsedEntry {
  name: string;
  attributes: readonly ParsedAttribute[];
}

export interface ParsedAttribute {
  type: string;
  /** Strings where the value is UTF-8, else the value's bytes (and always for `;binary`). */
  values: readonly (string | Buffer)[];
}

function asStrings(values: readonly (string | Buffer)[]): string[] {
  // ldapts' own array is not used elsewhere: when it holds strings only (the usual case), keep it.
  for (const item of values) {
    if (typeof item !== 'string') {
      return values.map((each) => (typeof each === 'string' ? each : each.toString('utf8')));
    }
  }
  return values as string[];
}

/**
 * Received attribute name → what it fills, for each requested name as requested and lower-cased (a server
 * may answer `UID` for `uid`). The first requested name wins: one asked for twice fills its first place.
 */
function byReceivedName<T>(
  requested: readonly string[],
  fill: (name: string, position: number) => T,
): Map<string, T> {
  const map = new Map<string, T>();
  requested.forEach((name, position) => {
    if (!map.has(name)) map.set(name, fill(name, position));
  });
  requested.forEach((name, position) => {
    if (!map.has(name.toLowerCase())) map.set(name.toLowerCase(), fill(name, position));
  });
  return map;
}

/** The attribute names the entries of one search are mapped to. */
export type EntryMapper = (entry: ParsedEntry) => DirectoryEntry;

/**
 * Maps the entries of a search to the requested attribute names; built once per search, as it runs once
 * per entry of every read. Servers usually answer with the names as requested, which are looked up
 * directly; another letter case (`uid` vs `UID`) is matched case-insensitively (one requested name per
 * attribute: asked for twice in different cases, only the first gets the values). `*` (all user attributes)
 * and `+` (all operational ones) add whatever else the entry has, under the names the server used.
 */
export function entryMapper(requested: readonly string[]): EntryMapper {
  const everything = requested.includes('*') || requested.includes('+');
  const names = requested.filter((name) => name !== '*' && name !== '+');
  const byName = byReceivedName(names, (name) => name);
  return (entry) => {
    const attributes: Record<string, string[]> = {};
    for (const attribute of entry.attributes) {
      let name = byName.get(attribute.type) ?? byName.get(attribute.type.toLowerCase());
      if (name === undefined) {
        if (!everything || attribute.values.length === 0) continue;
        name = attribute.type;
      }
      const values = asStrings(attribute.values);
      const known = attributes[name];
      if (known === undefined) attributes[name] = values;
      else attributes[name] = [...known, ...values];
    }
    for (const name of names) attributes[name] ??= [];
    return { dn: entry.name, attributes };
  };
}

/**
 * An entry's values by the position of each requested attribute: `undefined` where the entry lacks it
 * (`null` once the row has crossed to another thread as JSON).
 */
export interface EntryRow {
  dn: string;
  values: (string[] | null | undefined)[];
}

/**
 * Maps the entries of a search to rows: the values of `requested[i]` at `values[i]`, names matched as
 * `entryMapper` matches them. For reads of many entries of one kind (no `*` or `+`).
 */
export function rowMapper(requested: readonly string[]): (entry: ParsedEntry) => EntryRow {
  if (requested.includes('*') || requested.includes('+'))
    throw new Error('entry rows hold named attributes only, not * or +');
  const positions = byReceivedName(requested, (_, position) => position);
  const width = requested.length;
  return (entry) => {
    const values = new Array<string[] | undefined>(width);
    for (const attribute of entry.attributes) {
      const position = positions.get(attribute.type) ?? positions.get(attribute.type.toLowerCase());
      if (position === undefined) continue;
      const known = values[position];
      values[position] =
        known === undefined ? asStrings(attribute.values) : [...known, ...asStrings(attribute.values)];
    }
    return { dn: entry.name, values };
  };
}

/** An ldapts `Entry` (from `Client.search`) as the entry it was parsed from. */
export function parsedEntry(entry: Entry): ParsedEntry {
  const attributes: ParsedAttribute[] = [];
  for (const [type, value] of Object.entries(entry)) {
    if (type === 'dn') continue;
    attributes.push({ type, values: Array.isArray(value) ? value : [value] });
  }
  return { name: entry.dn, attributes };
}

/** Maps one ldapts `Entry` to the requested attribute names (see `entryMapper`). */
export function toDirectoryEntry(raw: Entry, requested: readonly string[]): DirectoryEntry {
  return entryMapper(requested)(parsedEntry(raw));
}
