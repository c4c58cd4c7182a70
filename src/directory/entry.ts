import type { Entry } from 'ldapts';

/** An entry as read from the directory: only the requested attributes, always as string arrays. */
export interface DirectoryEntry {
  dn: string;
  /** Keys are exactly the requested attribute names; an attribute the entry lacks maps to `[]`. */
  attributes: Record<string, string[]>;
}

type RawValue = Entry[string];

function asStrings(value: RawValue): string[] {
  if (typeof value === 'string') return [value];
  const values: readonly (Buffer | string)[] = Array.isArray(value) ? value : [value];
  // ldapts' own array is not used elsewhere: when it holds strings only (the usual case), keep it.
  for (const item of values) {
    if (typeof item !== 'string') {
      return values.map((each) => (typeof each === 'string' ? each : each.toString('utf8')));
    }
  }
  return values as string[];
}

/** Every attribute of the entry by lower-cased name, merging names that differ only in case. */
function byLowerCaseName(raw: Entry): Map<string, { name: string; values: string[] }> {
  const received = new Map<string, { name: string; values: string[] }>();
  for (const [name, value] of Object.entries(raw)) {
    if (name === 'dn') continue;
    const key = name.toLowerCase();
    const known = received.get(key);
    if (known) known.values.push(...asStrings(value));
    else received.set(key, { name, values: asStrings(value) });
  }
  return received;
}

/**
 * Maps an ldapts search entry to the requested attribute names. Servers usually answer with the names as
 * requested, which is looked up directly (this runs once per entry of every read); when they use another
 * letter case (`uid` vs `UID`), names are matched case-insensitively. `*` (all user attributes) and `+`
 * (all operational ones) return whatever the entry has, under the names the server used.
 */
export function toDirectoryEntry(
  raw: Entry,
  requested: readonly string[],
  everything = requested.includes('*') || requested.includes('+'),
): DirectoryEntry {
  const attributes: Record<string, string[]> = {};
  let received: Map<string, { name: string; values: string[] }> | undefined;
  if (everything) {
    received = byLowerCaseName(raw);
    for (const { name, values } of received.values()) if (values.length > 0) attributes[name] = values;
  }
  for (const name of requested) {
    if (name === '*' || name === '+') continue;
    const exact = raw[name];
    if (exact !== undefined) {
      attributes[name] = asStrings(exact);
      continue;
    }
    received ??= byLowerCaseName(raw);
    attributes[name] = received.get(name.toLowerCase())?.values ?? [];
  }
  return { dn: raw.dn, attributes };
}
