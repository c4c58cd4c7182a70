/**
 * Distinguished names per RFC 4514: building with correct escaping, parsing back to raw values,
 * and a normalised form for comparisons.
 *
 * ldapts' own DN/RDN classes are not used: they quote values with leading or trailing spaces
 * (RFC 2253 style), leave a leading '#' unescaped inside quotes and do not encode NUL as `\00`.
 */
import { RostersyncError } from './errors.js';

/** One `attribute=value` pair of an RDN; `value` is the raw (unescaped) string. */
export interface AttributeTypeAndValue {
  attribute: string;
  value: string;
}

/** A relative distinguished name: one pair, or several joined with '+' (multi-valued RDN). */
export type Rdn = AttributeTypeAndValue[];

/** A DN that does not parse; a run that stops on one exits 1. */
export class InvalidDnError extends RostersyncError {
  readonly dn: string;

  constructor(dn: string, reason: string) {
    super(`invalid DN ${JSON.stringify(dn)}: ${reason}`);
    this.dn = dn;
  }
}

const ATTRIBUTE_TYPE = /^(?:[A-Za-z][A-Za-z0-9-]*|\d+(?:\.\d+)*)$/;

/** Characters that RFC 4514 requires (or permits) to be escaped with a backslash anywhere in a value. */
const SPECIAL_CHARACTERS = new Set(['"', '+', ',', ';', '<', '>', '\\', '=']);

function hexByte(code: number): string {
  return `\\${code.toString(16).toUpperCase().padStart(2, '0')}`;
}

/** Values made only of these need no escaping at all: the common case, checked without splitting. */
const PLAIN_VALUE = /^[A-Za-z0-9][A-Za-z0-9._@-]*$/;

/** Escapes a raw attribute value for use in a DN string (RFC 4514 section 2.4). */
export function escapeDnValue(value: string): string {
  if (PLAIN_VALUE.test(value)) return value;
  const characters = Array.from(value);
  const last = characters.length - 1;
  return characters
    .map((character, index) => {
      const code = character.codePointAt(0) ?? 0;
      // Control characters (including NUL, which RFC 4514 requires as \00) as hex pairs keeps DNs printable.
      if (code < 0x20 || code === 0x7f) return hexByte(code);
      if (SPECIAL_CHARACTERS.has(character)) return `\\${character}`;
      if (index === 0 && (character === '#' || character === ' ')) return `\\${character}`;
      if (index === last && character === ' ') return '\\ ';
      return character;
    })
    .join('');
}

function checkAttributeType(attribute: string, dnForError: string): void {
  if (!ATTRIBUTE_TYPE.test(attribute)) {
    throw new InvalidDnError(dnForError, `invalid attribute type ${JSON.stringify(attribute)}`);
  }
}

/** Builds one escaped RDN string, e.g. `rdn('uid', 'foo,bar')` → `uid=foo\,bar`. */
export function rdn(attribute: string, value: string): string {
  checkAttributeType(attribute, `${attribute}=${value}`);
  return `${attribute}=${escapeDnValue(value)}`;
}

/** Formats a (possibly multi-valued) RDN from raw values. */
export function formatRdn(parts: Rdn): string {
  if (parts.length === 0) throw new InvalidDnError('', 'an RDN needs at least one attribute');
  return parts.map((part) => rdn(part.attribute, part.value)).join('+');
}

/** Formats a whole DN from parsed RDNs (most specific first). */
export function formatDn(rdns: readonly Rdn[]): string {
  return rdns.map(formatRdn).join(',');
}

/** Joins already escaped RDNs and DNs, most specific first; empty parts (the root DN) are skipped. */
export function dn(...parts: string[]): string {
  return parts.filter((part) => part.length > 0).join(',');
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function isHexDigit(character: string | undefined): boolean {
  return character !== undefined && /^[0-9A-Fa-f]$/.test(character);
}

/** BER tags of string types a `#hexstring` value may carry and that we decode as text. */
const BER_STRING_TAGS = new Set([0x04, 0x0c, 0x12, 0x13, 0x14, 0x16, 0x1a]);

/** Decodes a `#hexstring` attribute value: the BER encoding of a string-typed value. */
function decodeBerString(hex: string, dnForError: string): string {
  if (hex.length === 0 || hex.length % 2 !== 0 || !/^[0-9A-Fa-f]+$/.test(hex)) {
    throw new InvalidDnError(dnForError, 'malformed #hexstring value');
  }
  const bytes = Buffer.from(hex, 'hex');
  const tag = bytes[0] ?? 0;
  if (!BER_STRING_TAGS.has(tag)) {
    throw new InvalidDnError(dnForError, `unsupported BER tag 0x${tag.toString(16)} in #hexstring value`);
  }
  let length = bytes[1] ?? 0;
  let offset = 2;
  if (length & 0x80) {
    const lengthBytes = length & 0x7f;
    length = 0;
    for (let i = 0; i < lengthBytes; i += 1) length = length * 256 + (bytes[offset + i] ?? 0);
    offset += lengthBytes;
  }
  if (offset + length !== bytes.length) {
    throw new InvalidDnError(dnForError, 'BER length does not match #hexstring value');
  }
  try {
    return utf8.decode(bytes.subarray(offset));
  } catch {
    throw new InvalidDnError(dnForError, '#hexstring value is not valid UTF-8');
  }
}

/** Sequential reader over a DN string; `position` indexes UTF-16 code units. */
class DnReader {
  position = 0;

  constructor(readonly text: string) {}

  get done(): boolean {
    return this.position >= this.text.length;
  }

  peek(): string | undefined {
    return this.text[this.position];
  }

  skipSpaces(): void {
    while (this.peek() === ' ') this.position += 1;
  }

  fail(reason: string): never {
    throw new InvalidDnError(this.text, `${reason} at position ${this.position}`);
  }

  readAttributeType(): string {
    this.skipSpaces();
    const start = this.position;
    while (!this.done && /[A-Za-z0-9.-]/.test(this.peek() ?? '')) this.position += 1;
    const attribute = this.text.slice(start, this.position);
    // Tolerate the legacy "OID." prefix (RFC 1779).
    const type = /^oid\./i.test(attribute) ? attribute.slice(4) : attribute;
    if (!ATTRIBUTE_TYPE.test(type)) this.fail(`invalid attribute type ${JSON.stringify(attribute)}`);
    this.skipSpaces();
    if (this.peek() !== '=') this.fail("expected '='");
    this.position += 1;
    return type;
  }

  readValue(): string {
    this.skipSpaces();
    if (this.peek() === '#') return this.readHexString();
    if (this.peek() === '"') return this.readQuotedValue();
    return this.readStringValue();
  }

  private readHexString(): string {
    this.position += 1;
    const start = this.position;
    while (isHexDigit(this.peek())) this.position += 1;
    const value = decodeBerString(this.text.slice(start, this.position), this.text);
    this.skipSpaces();
    return value;
  }

  /** RFC 2253 quoted values; only backslash-escapes are special inside the quotes. */
  private readQuotedValue(): string {
    this.position += 1;
    const pieces: string[] = [];
    while (this.peek() !== '"') {
      if (this.done) this.fail('unterminated quoted value');
      pieces.push(this.peek() === '\\' ? this.readEscape() : this.readCharacter());
    }
    this.position += 1;
    this.skipSpaces();
    return pieces.join('');
  }

  private readStringValue(): string {
    let value = '';
    // Length of `value` up to the last escaped character: unescaped trailing spaces are dropped after it.
    let protectedLength = 0;
    while (!this.done) {
      const character = this.peek();
      if (character === ',' || character === '+' || character === ';') break;
      if (character === '\\') {
        value += this.readEscape();
        protectedLength = value.length;
      } else if (character === '"' || character === '<' || character === '>') {
        // RFC 4514 allows '=' unescaped inside values, but not these.
        this.fail(`unescaped ${JSON.stringify(character)} in value`);
      } else {
        value += this.readCharacter();
      }
    }
    let end = value.length;
    while (end > protectedLength && value[end - 1] === ' ') end -= 1;
    return value.slice(0, end);
  }

  private readCharacter(): string {
    const code = this.text.codePointAt(this.position) ?? 0;
    if (code === 0) this.fail('unescaped NUL in value');
    const character = String.fromCodePoint(code);
    this.position += character.length;
    return character;
  }

  /** Reads `\c` or a run of `\XX` hex pairs, which together may encode a multi-byte UTF-8 character. */
  private readEscape(): string {
    const bytes: number[] = [];
    while (this.peek() === '\\' && isHexDigit(this.text[this.position + 1])) {
      const pair = this.text.slice(this.position + 1, this.position + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(pair)) this.fail('incomplete hex pair');
      bytes.push(Number.parseInt(pair, 16));
      this.position += 3;
    }
    if (bytes.length > 0) {
      try {
        return utf8.decode(Uint8Array.from(bytes));
      } catch {
        this.fail('hex-escaped bytes are not valid UTF-8');
      }
    }
    this.position += 1;
    if (this.done) this.fail('dangling backslash');
    const escaped = this.readCharacter();
    if (!SPECIAL_CHARACTERS.has(escaped) && escaped !== ' ' && escaped !== '#') {
      this.fail(`invalid escape \\${escaped}`);
    }
    return escaped;
  }
}

/** Parses a DN string into RDNs (most specific first) with unescaped values. The empty string is the root DN. */
export function parseDn(text: string): Rdn[] {
  const reader = new DnReader(text);
  reader.skipSpaces();
  if (reader.done) return [];
  const rdns: Rdn[] = [];
  let current: Rdn = [];
  for (;;) {
    const attribute = reader.readAttributeType();
    const value = reader.readValue();
    current.push({ attribute, value });
    if (reader.done) break;
    const separator = reader.peek();
    reader.position += 1;
    if (separator === '+') continue;
    // ';' separates RDNs in legacy (RFC 1779) DNs.
    if (separator === ',' || separator === ';') {
      rdns.push(current);
      current = [];
      continue;
    }
    reader.fail(`unexpected ${JSON.stringify(separator)}`);
  }
  rdns.push(current);
  return rdns;
}

/** Parses a single RDN (`uid=a` or `cn=a+sn=b`). */
export function parseRdn(text: string): Rdn {
  const rdns = parseDn(text);
  const [only] = rdns;
  if (rdns.length !== 1 || only === undefined) throw new InvalidDnError(text, 'expected exactly one RDN');
  return only;
}

/** Comparison key for one value: Unicode NFC, case-folded, insignificant spaces collapsed. */
function comparableValue(value: string): string {
  return value.normalize('NFC').toLowerCase().replace(/ {2,}/g, ' ').trim();
}

function normalizeRdn(parts: Rdn): Rdn {
  return parts
    .map((part) => ({ attribute: part.attribute.toLowerCase(), value: comparableValue(part.value) }))
    .sort((a, b) =>
      a.attribute === b.attribute ? compare(a.value, b.value) : compare(a.attribute, b.attribute),
    );
}

function compare(a: string, b: string): number {
  if (a < b) return -1;
  return a > b ? 1 : 0;
}

/**
 * Canonical form of a DN for equality checks and map keys: attribute types lower-cased, values
 * case-folded, multi-valued RDNs sorted, canonical escaping. Not for sending to the server.
 */
export function normalizeDn(text: string): string {
  // Almost every DN a run sees is plain ASCII: its canonical form is just its lower-case form.
  if (PLAIN_DN.test(text)) return lowerCase(text);
  const cached = normalizedDns.get(text);
  if (cached !== undefined) return cached;
  const normalized = formatDn(parseDn(text).map(normalizeRdn));
  // A run compares the same DNs many times (users, groups, containers): remember them, within bounds.
  if (normalizedDns.size >= NORMALIZED_CACHE_SIZE) normalizedDns.clear();
  normalizedDns.set(text, normalized);
  return normalized;
}

/**
 * DNs whose RDNs are single `type=value` pairs of letters, digits, `._@-` and inner single spaces. Parsing
 * and re-formatting such a DN changes nothing but letter case, so the fast paths below skip the parser.
 */
const PLAIN_DN =
  /^[A-Za-z][A-Za-z0-9-]*=[A-Za-z0-9._@-]+(?: [A-Za-z0-9._@-]+)*(?:,[A-Za-z][A-Za-z0-9-]*=[A-Za-z0-9._@-]+(?: [A-Za-z0-9._@-]+)*)*$/;

const NORMALIZED_CACHE_SIZE = 500_000;

const MAY_CHANGE_CASE = /[A-Z\u0080-\uFFFF]/;

/**
 * `text.toLowerCase()`, but `text` itself when nothing in it has case to fold: `toLowerCase` always makes a
 * new string, and a run keeps a lower-case key of every DN and username it manages (a million at scale).
 */
export function lowerCase(text: string): string {
  return MAY_CHANGE_CASE.test(text) ? text.toLowerCase() : text;
}
const normalizedDns = new Map<string, string>();

/** True when both strings name the same entry. */
export function dnEquals(a: string, b: string): boolean {
  return normalizeDn(a) === normalizeDn(b);
}

/** The DN one level up (`''` for a top-level entry), or undefined for the root DN itself. */
export function parentDn(text: string): string | undefined {
  if (PLAIN_DN.test(text)) {
    const comma = text.indexOf(',');
    return comma < 0 ? '' : text.slice(comma + 1);
  }
  const rdns = parseDn(text);
  if (rdns.length === 0) return undefined;
  return formatDn(rdns.slice(1));
}

/** The first (most specific) RDN of a DN, formatted. */
export function leafRdn(text: string): string {
  if (PLAIN_DN.test(text)) {
    const comma = text.indexOf(',');
    return comma < 0 ? text : text.slice(0, comma);
  }
  const [first] = parseDn(text);
  if (first === undefined) throw new InvalidDnError(text, 'the root DN has no RDN');
  return formatRdn(first);
}

/** True when `text` lies strictly below `ancestor` (an entry is not its own descendant). */
export function isDescendantOf(text: string, ancestor: string): boolean {
  const own = parseDn(text).map((part) => formatRdn(normalizeRdn(part)));
  const theirs = parseDn(ancestor).map((part) => formatRdn(normalizeRdn(part)));
  if (own.length <= theirs.length) return false;
  const offset = own.length - theirs.length;
  return theirs.every((part, index) => own[offset + index] === part);
}
