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
  const received = new Map<string, string[]>();
  for (const [name, value] of Object.entries(raw)) {
    if (name === 'dn') continue;
    const key = name.toLowerCase();
    received.set(key, [...(received.get(key) ?? []), ...asStrings(value)]);
  }
  const attributes: Record<string, string[]> = {};
  for (const name of requested) {
    attributes[name] = received.get(name.toLowerCase()) ?? [];
  }
  return { dn: raw.dn, attributes };
}
