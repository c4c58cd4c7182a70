/** Initial passwords for new users: random, readable aloud and unambiguous when printed on a letter. */
import { randomInt } from 'node:crypto';

// No 0/O, 1/l/I: teachers hand these out on paper. Letters and digits only, so a password never starts
// with a character a spreadsheet reads as a formula (=, +, -, @) and the passwords file lists it unchanged.
const LOWER = 'abcdefghijkmnopqrstuvwxyz';
const UPPER = 'ABCDEFGHJKLMNPQRSTUVWXYZ';
const DIGITS = '23456789';
const ALPHABET = LOWER + UPPER + DIGITS;

export const MIN_PASSWORD_LENGTH = 8;

/** A random password of `length` characters (≥ 8) with at least one lower-case letter, upper-case letter and digit. */
export function generatePassword(length: number): string {
  if (!Number.isInteger(length) || length < MIN_PASSWORD_LENGTH) {
    throw new RangeError(`password length must be a whole number ≥ ${MIN_PASSWORD_LENGTH}, got ${length}`);
  }
  const chars = [pick(LOWER), pick(UPPER), pick(DIGITS)];
  while (chars.length < length) chars.push(pick(ALPHABET));
  // Fisher–Yates, so the guaranteed characters are not always at the front.
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j] ?? '', chars[i] ?? ''];
  }
  return chars.join('');
}

function pick(alphabet: string): string {
  return alphabet.charAt(randomInt(alphabet.length));
}
