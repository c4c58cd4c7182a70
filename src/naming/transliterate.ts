/**
 * Turning names from a roster into ASCII and into the characters a login name may hold. German spellings
 * come first (Müller → Mueller, as German schools write names without umlauts), then Greek after ELOT 743
 * (Παπαδόπουλος → Papadopoulos), any-ascii does the rest.
 */
import anyAscii from 'any-ascii';
import { romanizeGreek } from './greek.js';

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

/**
 * Unicode text as ASCII: German umlauts and ß spelt out, Greek romanised (ELOT 743), everything else via
 * any-ascii (é→e, ł→l, Ж→Zh). For scripts outside `hasLettersWithoutTransliteration`'s list the result is
 * ASCII but not a spelling anyone uses; name templates do not use it (see template.ts).
 */
export function transliterate(text: string): string {
  // NFC first, so a decomposed "u + combining diaeresis" is an ü like any other.
  const german = text.normalize('NFC').replace(/[äöüÄÖÜßẞ]/g, (char) => GERMAN[char] ?? char);
  return anyAscii(romanizeGreek(german));
}

/**
 * A letter of a script with no reliable Latin spelling of names. Reliable are alphabets whose letters map
 * to Latin ones by a standard that name holders themselves use: Latin, Greek (ELOT 743), Cyrillic,
 * Armenian, Georgian. Not reliable: Arabic, Hebrew and other abjads (most vowels are not written: علي,
 * "Ali", comes out as `ly`), Chinese characters and Japanese kanji (readings depend on language and person),
 * Korean, Thai, Indic and other scripts whose names have customary spellings a table does not know (이,
 * usually "Lee", comes out as `i`). Letters of no particular script (modifier letters such as ʼ) count as
 * reliable.
 */
const UNRELIABLE_LETTER =
  /(?![\p{Script=Latin}\p{Script=Greek}\p{Script=Cyrillic}\p{Script=Armenian}\p{Script=Georgian}\p{Script=Common}\p{Script=Inherited}])\p{L}/u;

/** Whether `text` has a letter that transliteration would only guess at (see UNRELIABLE_LETTER). */
export function hasLettersWithoutTransliteration(text: string): boolean {
  return UNRELIABLE_LETTER.test(text);
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
