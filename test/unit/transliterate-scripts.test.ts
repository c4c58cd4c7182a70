/**
 * Names in other scripts: Greek romanised as Greeks spell their names in Latin letters (ELOT 743), and
 * scripts without a reliable Latin form never turned into a guessed, permanent username.
 */
import { describe, expect, it } from 'vitest';
import {
  compileNameTemplate,
  EmptyNameError,
  hasLettersWithoutTransliteration,
  NameAllocator,
  toNameCharacters,
  transliterate,
} from '../../src/naming/index.js';

describe('Greek (ELOT 743)', () => {
  it.each([
    // ου
    ['Παπαδόπουλος', 'Papadopoulos'],
    ['Ουρανία', 'Ourania'],
    ['ΠΑΠΑΔΟΠΟΥΛΟΣ', 'PAPADOPOULOS'],
    // αυ, ευ, ηυ: v before vowels and voiced consonants, f before voiceless ones and at the end
    ['Ευάγγελος', 'Evangelos'],
    ['Αυγερινός', 'Avgerinos'],
    ['Παύλος', 'Pavlos'],
    ['Ευθυμίου', 'Efthymiou'],
    ['Ευστάθιος', 'Efstathios'],
    ['Ζευς', 'Zefs'],
    ['ηύρα', 'ivra'],
    // γγ, γκ, γξ, γχ
    ['Αγγελική', 'Angeliki'],
    ['Γκίκας', 'Gkikas'],
    ['Σφίγξ', 'Sfinx'],
    ['Αγχίαλος', 'Anchialos'],
    // μπ: b at the start of a word, mb inside
    ['Μπακογιάννης', 'Bakogiannis'],
    ['Λάμπρος', 'Lambros'],
    ['Ελένη Μπαλτά', 'Eleni Balta'],
    // ντ, τσ, τζ letter by letter
    ['Κωνσταντίνος', 'Konstantinos'],
    ['Τσιμισκής', 'Tsimiskis'],
    ['Τζαβέλας', 'Tzavelas'],
    // single letters
    ['Χρήστος', 'Christos'],
    ['Θεόδωρος', 'Theodoros'],
    ['ΘΕΟΔΩΡΟΣ', 'THEODOROS'],
    ['Ψαρράς', 'Psarras'],
    ['Ξανθή', 'Xanthi'],
    // a diaeresis keeps the vowels apart
    ['Μαϊμού', 'Maimou'],
    ['Προϋπόθεση', 'Proypothesi'],
    // polytonic spelling: breathings and circumflex dropped
    ['Ἀθῆναι', 'Athinai'],
  ])('%s → %s', (greek, latin) => {
    expect(transliterate(greek)).toBe(latin);
  });

  it('keeps German and Latin names as they were', () => {
    expect(transliterate('Jürgen Papadopoulos-Müller')).toBe('Juergen Papadopoulos-Mueller');
    expect(transliterate('Γιώργος Müller')).toBe('Giorgos Mueller');
  });

  it('gives login characters', () => {
    expect(toNameCharacters('Παπαδόπουλος')).toBe('papadopoulos');
    expect(toNameCharacters('Ευάγγελος')).toBe('evangelos');
  });
});

describe('scripts without a reliable transliteration', () => {
  it.each(['علي', 'حسن', 'שלום', '李小龍', '김민준', 'さくら', 'สมชาย', 'राम', 'Ali علي'])(
    '%s has such letters',
    (text) => {
      expect(hasLettersWithoutTransliteration(text)).toBe(true);
    },
  );

  it.each(['Ali', 'Renée', 'Łukasz', 'Nguyễn', 'Παπαδόπουλος', 'Дмитрий', 'Արամ', 'ნინო', "Ngʼang'a", ''])(
    '%s has none',
    (text) => {
      expect(hasLettersWithoutTransliteration(text)).toBe(false);
    },
  );
});

describe('name templates and such names', () => {
  const username = compileNameTemplate('<firstname>[0].<lastname>[COUNTER2]', 'scheme.username');
  const email = compileNameTemplate('<firstname>.<lastname>@schule.example', 'scheme.email');

  it('spell a Greek name the Greek way', () => {
    const values = { firstname: 'Γιώργος', lastname: 'Παπαδόπουλος', record_uid: 'S-1' };
    const allocator = new NameAllocator();
    expect(allocator.allocate(username, values, { maxLength: 20 })).toBe('g.papadopoulos');
    expect(allocator.allocate(email, values)).toBe('giorgos.papadopoulos@schule.example');
  });

  it('fall back to the record uid when a name part is Arabic, not to a guess like `ly.hsn`', () => {
    const values = { firstname: 'علي', lastname: 'حسن', record_uid: 'S-4711' };
    const allocator = new NameAllocator();
    expect(allocator.allocate(username, values, { maxLength: 20 })).toBe('s-4711');
    expect(allocator.allocate(email, values)).toBe('s-4711@schule.example');
  });

  it('fall back when only one part has such letters, and count on from there on collision', () => {
    const allocator = new NameAllocator(['s-4711']);
    const values = { firstname: 'Ali', lastname: 'حسن', record_uid: 'S-4711' };
    expect(allocator.allocate(username, values, { maxLength: 20 })).toBe('s-47112');
  });

  it('report the row when the record uid cannot be used either, naming the column that helps', () => {
    const allocate = (): string =>
      new NameAllocator().allocate(
        username,
        { firstname: 'علي', lastname: 'حسن', record_uid: 'علي' },
        { record: 'record_uid علي (line 3)' },
      );
    expect(allocate).toThrow(EmptyNameError);
    expect(allocate).toThrow(
      "scheme.username: the template gives an empty name for record_uid علي (line 3); give the row a value in a column mapped to 'username'",
    );
  });
});
