/** Checks and normalisations of single cell values; each returns what is wrong or the clean value. */

/** Longest allowed values, in characters (SPEC §4.2). */
export const MAX_LENGTH = {
  record_uid: 256,
  firstname: 256,
  lastname: 256,
  email: 254,
  username: 256,
  class: 64,
  attribute: 1024,
} as const;

/** School ids end up in group names and DNs (same rule as the `schools` config key). */
export const SCHOOL_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** Splits a multi-value cell: values trimmed, empty ones and repeats dropped, order kept. */
export function splitValues(cell: string, separator: string): string[] {
  // Most cells hold one value: no splitting, trimming or de-duplicating to do.
  if (!cell.includes(separator)) {
    const value = cell.trim();
    return value === '' ? [] : [value];
  }
  const values = cell
    .split(separator)
    .map((value) => value.trim())
    .filter((value) => value !== '');
  return [...new Set(values)];
}

/** Length in characters (code points), not UTF-16 units. */
export function characterCount(value: string): number {
  let count = 0;
  for (const _char of value) count++;
  return count;
}

/** Names the first control character (C0, DEL, C1; NUL included) in `value`, e.g. "U+0000". */
export function findControlCharacter(value: string): string | undefined {
  for (let index = 0; index < value.length; index++) {
    const code = value.charCodeAt(index);
    if (code <= 0x1f || (code >= 0x7f && code <= 0x9f)) {
      return `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
    }
  }
  return undefined;
}

/**
 * A plain plausibility check, not RFC 5322: one '@', something before it, a domain with a dot
 * (not at either end, no empty labels), no whitespace. Returns the address with its domain in
 * lower case, or undefined.
 */
export function normalizeEmail(value: string): string | undefined {
  if (/\s/.test(value)) return undefined;
  const parts = value.split('@');
  if (parts.length !== 2) return undefined;
  const [local = '', domain = ''] = parts;
  if (local === '') return undefined;
  const labels = domain.split('.');
  if (labels.length < 2 || labels.some((label) => label === '')) return undefined;
  return `${local}@${domain.toLowerCase()}`;
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const GERMAN_DATE = /^(\d{1,2})\.(\d{1,2})\.(\d{4})$/;

/** Accepts YYYY-MM-DD, DD.MM.YYYY and D.M.YYYY; returns the ISO date, or undefined if not a real date. */
export function parseBirthday(value: string): string | undefined {
  const iso = ISO_DATE.exec(value);
  const german = iso === null ? GERMAN_DATE.exec(value) : null;
  const [year, month, day] =
    iso !== null ? [iso[1], iso[2], iso[3]] : german !== null ? [german[3], german[2], german[1]] : [];
  if (year === undefined || month === undefined || day === undefined) return undefined;
  const [y, m, d] = [Number(year), Number(month), Number(day)];
  if (m < 1 || m > 12 || d < 1 || d > daysInMonth(y, m)) return undefined;
  return `${year}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

function daysInMonth(year: number, month: number): number {
  // Day 0 of the next month is the last day of this one.
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}
