/** Minimal LDIF writing helpers (RFC 2849): the schema LDIF and the plan as change records. */

/** RFC 2849 recommends lines of at most 76 characters. */
export const LDIF_LINE_WIDTH = 76;

/**
 * RFC 2849 SAFE-STRING: ASCII without NUL, LF or CR, not starting with space,
 * colon or '<'. We also refuse a trailing space, which some readers strip.
 */
function isSafeString(value: string): boolean {
  if (/^[ :<]/.test(value) || value.endsWith(' ')) return false;
  for (let index = 0; index < value.length; index++) {
    const code = value.charCodeAt(index);
    if (code === 0 || code === 10 || code === 13 || code > 127) return false;
  }
  return true;
}

/** One `attr: value` line, base64-encoded (`attr:: …`) when the value is not a SAFE-STRING. */
export function ldifAttributeLine(attribute: string, value: string): string {
  if (isSafeString(value)) {
    return `${attribute}: ${value}`;
  }
  return `${attribute}:: ${Buffer.from(value, 'utf8').toString('base64')}`;
}

/**
 * Folds a logical LDIF line into physical lines of at most `width` characters:
 * each continuation line starts with one space, which readers remove on unfolding.
 */
export function foldLdifLine(line: string, width: number = LDIF_LINE_WIDTH): string {
  if (width < 2) {
    throw new RangeError(`LDIF line width must be at least 2, got ${width}`);
  }
  if (line.length <= width) {
    return line;
  }
  const parts = [line.slice(0, width)];
  // Continuation lines carry one leading space, so they hold one character less.
  for (let start = width; start < line.length; start += width - 1) {
    parts.push(` ${line.slice(start, start + width - 1)}`);
  }
  return parts.join('\n');
}

/** Reverses folding: a newline followed by one space joins with the previous line. */
export function unfoldLdif(text: string): string {
  return text.replace(/\r?\n /g, '');
}
