/**
 * Greek romanisation after ELOT 743 (the standard of Greek passports, equal to ISO 843 for these letters):
 * Παπαδόπουλος → Papadopoulos, Ευάγγελος → Evangelos, Μπακογιάννης → Bakogiannis. Letter-by-letter tables
 * (any-ascii's) give Papadopoylos and Eyaggelos, which are not how these people spell their names.
 *
 * Rules beyond one letter → one spelling:
 * - ου → ou;
 * - αυ, ευ, ηυ → av, ev, iv before a vowel or a voiced consonant, af, ef, if before a voiceless consonant or
 *   at the end of a word;
 * - γ before γ, ξ, χ → n (γγ → ng, γξ → nx, γχ → nch); γκ → gk;
 * - μπ → b at the start of a word, mb inside it;
 * - a diaeresis (ϊ, ϋ) splits a pair: Ευΐα → Evia, but Μαϊμού → Maimou, Προϋπόθεση → Proypothesi.
 * ντ, τσ, τζ follow from their letters (nt, ts, tz). Accents and breathings are dropped.
 */

const LETTERS: Readonly<Record<string, string>> = {
  α: 'a',
  β: 'v',
  γ: 'g',
  δ: 'd',
  ε: 'e',
  ζ: 'z',
  η: 'i',
  θ: 'th',
  ι: 'i',
  κ: 'k',
  λ: 'l',
  μ: 'm',
  ν: 'n',
  ξ: 'x',
  ο: 'o',
  π: 'p',
  ρ: 'r',
  σ: 's',
  ς: 's',
  τ: 't',
  υ: 'y',
  φ: 'f',
  χ: 'ch',
  ψ: 'ps',
  ω: 'o',
  ϐ: 'v',
  ϑ: 'th',
  ϒ: 'y',
  ϕ: 'f',
  ϖ: 'p',
  ϰ: 'k',
  ϱ: 'r',
  ϲ: 's',
  ϳ: 'j',
  ϵ: 'e',
};

const VOWELS = new Set(['α', 'ε', 'η', 'ι', 'ο', 'υ', 'ω']);
/** After αυ, ευ, ηυ these make the υ a v (voiced); anything else, and the end of a word, makes it an f. */
const VOICED = new Set(['β', 'γ', 'δ', 'ζ', 'λ', 'μ', 'ν', 'ρ']);
const DIAERESIS = '\u0308';

/** One Greek letter of the text, without its accents. */
interface Letter {
  /** Lower case, unaccented. */
  base: string;
  upper: boolean;
  /** ϊ, ϋ: the letter is said on its own, not as part of a pair. */
  diaeresis: boolean;
}

/** `cluster` as a Greek letter, or undefined for anything else (Greek punctuation, stray marks). */
function letterOf(cluster: string): Letter | undefined {
  const decomposed = cluster.normalize('NFD');
  const first = decomposed.charAt(0);
  const base = first.toLowerCase();
  if (LETTERS[base] === undefined) return undefined;
  return { base, upper: first !== base, diaeresis: decomposed.includes(DIAERESIS) };
}

/** Replaces each run of Greek letters in `text` by its romanisation; everything else is left as it is. */
export function romanizeGreek(text: string): string {
  return text.replace(/[\p{Script=Greek}\p{M}]+/gu, (run) => romanizeWord(clusters(run.normalize('NFC'))));
}

/** Each character with the combining marks that follow it (a letter with an accent NFC has no single form for). */
function clusters(text: string): string[] {
  return text.match(/\P{M}\p{M}*|\p{M}+/gu) ?? [];
}

function romanizeWord(chars: string[]): string {
  const letters = chars.map(letterOf);
  let out = '';
  for (let index = 0; index < chars.length;) {
    const letter = letters[index];
    if (letter === undefined) {
      // Not a letter (Greek punctuation, a stray mark): left for any-ascii, the next step.
      out += chars[index] ?? '';
      index += 1;
      continue;
    }
    const next = letters[index + 1];
    const { text, length } = romanizeAt(letter, next, letters[index + 2], index === 0);
    const span = letters.slice(index, index + length);
    out += withCase(text, span, letters[index + length], letters[index - 1]);
    index += length;
  }
  return out;
}

/** The romanisation of the letter (or pair) starting here, and how many letters it took. */
function romanizeAt(
  letter: Letter,
  next: Letter | undefined,
  afterNext: Letter | undefined,
  wordStart: boolean,
): { text: string; length: number } {
  const pair = next !== undefined && !next.diaeresis ? letter.base + next.base : '';
  if (pair === 'ου') return { text: 'ou', length: 2 };
  if (pair === 'αυ' || pair === 'ευ' || pair === 'ηυ') {
    const voiced = afterNext !== undefined && (VOWELS.has(afterNext.base) || VOICED.has(afterNext.base));
    return { text: `${LETTERS[letter.base] ?? ''}${voiced ? 'v' : 'f'}`, length: 2 };
  }
  if (pair === 'μπ') return { text: wordStart ? 'b' : 'mb', length: 2 };
  if (letter.base === 'γ' && next !== undefined && ['γ', 'ξ', 'χ'].includes(next.base)) {
    return { text: 'n', length: 1 };
  }
  return { text: LETTERS[letter.base] ?? '', length: 1 };
}

/**
 * Upper case carried over: a capital starts a capitalised word (Θεόδωρος → Theodoros), a word in capitals
 * stays in capitals (ΘΕΟΔΩΡΟΣ → THEODOROS).
 */
function withCase(
  text: string,
  span: readonly (Letter | undefined)[],
  following: Letter | undefined,
  preceding: Letter | undefined,
): string {
  if (!span[0]?.upper) return text;
  const neighbour = span[1] ?? following ?? preceding;
  if (neighbour?.upper) return text.toUpperCase();
  return text.charAt(0).toUpperCase() + text.slice(1);
}
