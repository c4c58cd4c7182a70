/**
 * A canonical text of a directory subtree, for comparing two directories with plain string equality:
 * DNs normalized (attribute types lower case, values unescaped and escaped again one way, multi-valued
 * RDNs sorted), attribute names lower case, values sorted, entries sorted by DN. What differs between two
 * servers by nature is left out: operational bookkeeping (UUIDs, CSNs, timestamps, creators),
 * `userPassword`, which holds a random initial password, and the run lock's leases.
 */
import { Client } from 'ldapts';
import { COMPARISON_EXCLUDED_ATTRIBUTES, isRunLockEntry } from '../../testkit/comparison.js';

/** Left out of the dump: operational attributes that differ per server or per run, and passwords. */
export const DUMP_EXCLUDED_ATTRIBUTES: ReadonlySet<string> = new Set(COMPARISON_EXCLUDED_ATTRIBUTES);

const SPECIAL = new Set([',', '+', '"', '\\', '<', '>', ';', '=']);

/** Reads one RDN value as written (RFC 4514 escapes `\c` and `\XX`, hex escapes as UTF-8 bytes). */
function unescapeValue(text: string): string {
  const bytes: number[] = [];
  for (let index = 0; index < text.length; index++) {
    const char = text.charAt(index);
    if (char === '\\' && index + 1 < text.length) {
      const pair = text.slice(index + 1, index + 3);
      if (/^[0-9a-fA-F]{2}$/.test(pair)) {
        bytes.push(Number.parseInt(pair, 16));
        index += 2;
      } else {
        bytes.push(...Buffer.from(text.charAt(index + 1), 'utf8'));
        index += 1;
      }
    } else {
      const code = text.codePointAt(index) ?? 0;
      const symbol = String.fromCodePoint(code);
      bytes.push(...Buffer.from(symbol, 'utf8'));
      index += symbol.length - 1;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** One fixed way to write a value: specials with a backslash, `#` and space at the edges escaped. */
function escapeValue(value: string): string {
  let out = '';
  for (const [index, char] of [...value].entries()) {
    const edge = index === 0 || index === [...value].length - 1;
    if (SPECIAL.has(char) || (index === 0 && char === '#') || (edge && char === ' ')) out += `\\${char}`;
    else out += char;
  }
  return out;
}

/** Splits at unescaped `sep`, keeping escapes in place. */
function splitUnescaped(text: string, sep: ',' | '+'): string[] {
  const parts: string[] = [];
  let current = '';
  for (let index = 0; index < text.length; index++) {
    const char = text.charAt(index);
    if (char === '\\' && index + 1 < text.length) {
      current += char + text.charAt(index + 1);
      index += 1;
    } else if (char === sep) {
      parts.push(current);
      current = '';
    } else current += char;
  }
  parts.push(current);
  return parts;
}

/** The DN in one canonical spelling; the case of values is kept, since it is part of what was written. */
export function canonicalDn(dn: string): string {
  if (dn.trim() === '') return '';
  return splitUnescaped(dn, ',')
    .map((rdnText) =>
      splitUnescaped(rdnText, '+')
        .map((ava) => {
          const at = ava.indexOf('=');
          const type = ava.slice(0, at).trim().toLowerCase();
          return `${type}=${escapeValue(unescapeValue(ava.slice(at + 1).trim()))}`;
        })
        .sort()
        .join('+'),
    )
    .join(',');
}

function valueText(value: string | Buffer): string {
  return Buffer.isBuffer(value) ? value.toString('utf8') : value;
}

/** Sorts by DN from the root down, so parents come before their children. */
function compareDns(a: string, b: string): number {
  const left = splitUnescaped(a, ',').reverse().join('\n');
  const right = splitUnescaped(b, ',').reverse().join('\n');
  return left < right ? -1 : left > right ? 1 : 0;
}

/** Every entry under `baseDn` (the base entry included), as canonical LDIF-like text. */
export async function dumpDirectory(
  url: string,
  adminDn: string,
  adminPassword: string,
  baseDn: string,
): Promise<string> {
  const client = new Client({ url });
  try {
    await client.bind(adminDn, adminPassword);
    const { searchEntries } = await client.search(baseDn, {
      scope: 'sub',
      filter: '(objectClass=*)',
      attributes: ['*', '+'],
      paged: { pageSize: 500 },
    });
    const entries = searchEntries.map((entry) => {
      const dn = canonicalDn(entry.dn);
      const lines: string[] = [];
      const attributes = new Map<string, string[]>();
      for (const [name, raw] of Object.entries(entry)) {
        if (name === 'dn') continue;
        const attribute = name.toLowerCase();
        // ldapts also lists what was asked for but is absent (here `*` and `+`), as [].
        if (DUMP_EXCLUDED_ATTRIBUTES.has(attribute) || attribute === '*' || attribute === '+') continue;
        const values = (Array.isArray(raw) ? raw : [raw]).map(valueText);
        attributes.set(attribute, [...(attributes.get(attribute) ?? []), ...values]);
      }
      for (const attribute of [...attributes.keys()].sort()) {
        for (const value of (attributes.get(attribute) ?? []).sort()) {
          lines.push(`${attribute}: ${JSON.stringify(value).slice(1, -1)}`);
        }
      }
      return { dn, text: [`dn: ${dn}`, ...lines].join('\n') };
    });
    const data = entries.filter((entry) => !isRunLockEntry(entry.dn));
    data.sort((a, b) => compareDns(a.dn, b.dn));
    return `${data.map((entry) => entry.text).join('\n\n')}\n`;
  } finally {
    await client.unbind().catch(() => {});
  }
}

/** Entry by entry, what differs between two dumps: short enough to read in a test failure. */
export function dumpDifference(
  left: string,
  right: string,
  labels: [string, string] = ['left', 'right'],
  limit = 40,
): string {
  const entries = (text: string): Map<string, string[]> =>
    new Map(
      text
        .split('\n\n')
        .filter((entry) => entry.trim() !== '')
        .map((entry) => {
          const lines = entry.trim().split('\n');
          return [lines[0] ?? '', lines.slice(1)];
        }),
    );
  const a = entries(left);
  const b = entries(right);
  const out: string[] = [];
  for (const dn of new Set([...a.keys(), ...b.keys()])) {
    const x = a.get(dn);
    const y = b.get(dn);
    if (x === undefined) out.push(`only in ${labels[1]}: ${dn}`);
    else if (y === undefined) out.push(`only in ${labels[0]}: ${dn}`);
    else {
      const onlyX = x.filter((line) => !y.includes(line)).map((line) => `  ${labels[0]}: ${line}`);
      const onlyY = y.filter((line) => !x.includes(line)).map((line) => `  ${labels[1]}: ${line}`);
      if (onlyX.length > 0 || onlyY.length > 0) out.push([dn, ...onlyX, ...onlyY].join('\n'));
    }
    if (out.length >= limit) break;
  }
  return out.join('\n');
}

/**
 * A test subtree as `dumpDirectory` writes it, comparable with another subtree's: the base DN (in entry DNs
 * and in values) written `BASE`, the base entry itself left out.
 */
export async function dumpSubtree(tree: {
  url: string;
  adminDn: string;
  adminPassword: string;
  baseDn: string;
}): Promise<string> {
  const text = await dumpDirectory(tree.url, tree.adminDn, tree.adminPassword, tree.baseDn);
  const base = canonicalDn(tree.baseDn);
  return text
    .split('\n\n')
    .filter((entry) => !entry.startsWith(`dn: ${base}\n`))
    .join('\n\n')
    .replaceAll(base, 'BASE')
    .replaceAll(tree.baseDn, 'BASE');
}
