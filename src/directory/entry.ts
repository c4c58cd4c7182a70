import type { Entry } from 'ldapts';

/** An entry as read from the directory: only the requested attributes, always as string arrays. */
export interface DirectoryEntry {
  dn: string;
  /** Keys are exactly the requested attribute names; an attribute the entry lacks maps to `[]`. */
  attributes: Record<string, string[]>;
}

type RawValue = Entry[string];

function asStrings(value: RawValue): string[] {
  const values: readonly (Buffer | string)[] = Array.isArray(value) ? value : [value];
  return values.map((item) => (typeof item === 'string' ? item : item.toString('utf8')));
}

/**
 * Maps an ldapts search entry to the requested attribute names. Servers may answer with a
 * different letter case than requested (`uid` vs `UID`), so names are matched case-insensitively.
 */
export function toDirectoryEntry(raw: Entry, requested: readonly string[]): DirectoryEntry {
  // `*` (all user attributes) and `+` (all operational ones) ask for whatever the entry has: those come
  // back under the names the server used, besides any names requested explicitly.
  const wildcard = requested.includes('*') || requested.includes('+');
  const received = new Map<string, { name: string; values: string[] }>();
  for (const [name, value] of Object.entries(raw)) {
    if (name === 'dn') continue;
    const key = name.toLowerCase();
    const known = received.get(key);
    if (known) known.values.push(...asStrings(value));
    else received.set(key, { name, values: asStrings(value) });
  }
  const attributes: Record<string, string[]> = {};
  if (wildcard) {
    for (const { name, values } of received.values()) if (values.length > 0) attributes[name] = values;
  }
  for (const name of requested) {
    if (name === '*' || name === '+') continue;
    attributes[name] = received.get(name.toLowerCase())?.values ?? [];
  }
  return { dn: raw.dn, attributes };
}
