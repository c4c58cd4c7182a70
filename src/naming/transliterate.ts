/**
 * Turning names from a roster into ASCII and into the characters a login name may hold. German spellings
 * come first (Müller → Mueller, as German schools write names without umlauts), any-ascii does the rest.
 */
import anyAscii from 'any-ascii';

const GERMAN: Readonly<Record<string, string>> = {
  ä: 'ae',
  ö: 'oe',
  ü: 'ue',
  Ä: 'Ae',
  Ö: 'Oe',
  Ü: 'Ue',
  ß: 'ss',
  ẞ: 'SS',
};

/** Unicode text as ASCII: German umlauts and ß spelt out, everything else via any-ascii (é→e, ł→l, Ж→Zh). */
export function transliterate(text: string): string {
  // NFC first, so a decomposed "u + combining diaeresis" is an ü like any other.
  const german = text.normalize('NFC').replace(/[äöüÄÖÜßẞ]/g, (char) => GERMAN[char] ?? char);
  return anyAscii(german);
}

const SEPARATOR_RUN = /[._-]{2,}/g;
const EDGE_SEPARATORS = /^[._-]+|[._-]+$/g;

/** Transliterated, lower case, only `[a-z0-9._-]`; spaces and all other characters dropped. */
export function toNameCharacters(text: string): string {
  return transliterate(text)
    .toLowerCase()
    .replace(/[^a-z0-9._-]/g, '');
}

/**
 * Runs of `.`, `-`, `_` collapsed to their first character, none at either end: `-a..b_` → `a.b`.
 * Applied to the whole name, so a separator next to an empty field disappears.
 */
export function tidySeparators(name: string): string {
  return name.replace(SEPARATOR_RUN, (run) => run.charAt(0)).replace(EDGE_SEPARATORS, '');
}
