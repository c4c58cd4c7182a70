/**
 * Deterministic synthetic rosters for the benchmark: the same seed and size always give the same CSV, so
 * runs on different days and machines compare.
 *
 * Shape (per size N, 20 schools): 85 % students in classes of about 25, 10 % teachers (half of them, 5 % of
 * all users, at two schools) teaching three classes, 5 % staff without classes.
 */

export const SCHOOLS = Array.from({ length: 20 }, (_, index) => `s${String(index + 1).padStart(2, '0')}`);
export const CLASS_SIZE = 25;

/** mulberry32: small, fast, good enough for test data, and identical on every platform. */
export function prng(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIRST_NAMES = (
  'Anna Ben Clara David Elif Finn Greta Hannes Ida Jonas Karla Luca Mia Noah Olga Paul Quirin Rosa ' +
  'Samuel Tara Ugur Vera Wim Xenia Yusuf Zoe Jürgen Ömer Zoë José Chloé Søren Leonie Emil Marie ' +
  'Felix Lina Milan Emma Theo Nele Anton Frieda Karl Lotta Moritz Pia Jakob'
).split(' ');
// Last names are built from syllables so that 100k users give realistic (not constant) name collisions.
const SYLLABLES = (
  'ber mann schu ster kel ler wag ner hof fer bau mei roth lang krü ger schmitt hart wig bach ' +
  'stein feld brun ner öz türk dal ko wal ski no vak ric ci fon tai ne dü ren see'
).split(' ');

function lastName(random) {
  const count = 2 + Math.floor(random() * 2);
  let name = '';
  for (let index = 0; index < count; index++) name += SYLLABLES[Math.floor(random() * SYLLABLES.length)];
  return name[0].toUpperCase() + name.slice(1);
}

const pick = (random, list) => list[Math.floor(random() * list.length)];

/** Class `c` of a school: grades 5..12, then a letter (a, b, … z, aa, ab …). */
function className(index) {
  const grade = 5 + (index % 8);
  let letters = '';
  let rest = Math.floor(index / 8);
  do {
    letters = String.fromCharCode(97 + (rest % 26)) + letters;
    rest = Math.floor(rest / 26) - 1;
  } while (rest >= 0);
  return `${grade}${letters}`;
}

const recordUid = (number) => `r${String(number).padStart(7, '0')}`;

/**
 * N roster rows. Each row: { id, first, last, schools: [..], role, classes: ['s01-5a', ..] }.
 * Record uids r0000001..rN; `next` is the first unused number (for churn's new users).
 */
export function makeRoster(size, seed = 1) {
  const random = prng(seed);
  const students = Math.round(size * 0.85);
  const teachers = Math.round(size * 0.1);
  const studentsPerSchool = Math.ceil(students / SCHOOLS.length);
  const classesPerSchool = Math.max(1, Math.ceil(studentsPerSchool / CLASS_SIZE));
  const rows = [];
  for (let index = 0; index < size; index++) {
    const number = index + 1;
    const first = pick(random, FIRST_NAMES);
    const last = lastName(random);
    if (index < students) {
      const school = SCHOOLS[index % SCHOOLS.length];
      const slot = Math.floor(index / SCHOOLS.length);
      const klass = className(Math.floor(slot / CLASS_SIZE) % classesPerSchool);
      rows.push({
        id: recordUid(number),
        first,
        last,
        schools: [school],
        role: 'student',
        classes: [`${school}-${klass}`],
      });
    } else if (index < students + teachers) {
      const primary = SCHOOLS[Math.floor(random() * SCHOOLS.length)];
      // Every other teacher also teaches at a second school: 5 % of all users are multi-school teachers.
      const schools =
        (index - students) % 2 === 0
          ? [primary]
          : [primary, SCHOOLS[(SCHOOLS.indexOf(primary) + 1) % SCHOOLS.length]];
      const classes = [];
      for (let count = 0; count < 3; count++) {
        const school = schools[count % schools.length];
        classes.push(`${school}-${className(Math.floor(random() * classesPerSchool))}`);
      }
      rows.push({
        id: recordUid(number),
        first,
        last,
        schools,
        role: 'teacher',
        classes: [...new Set(classes)],
      });
    } else {
      rows.push({
        id: recordUid(number),
        first,
        last,
        schools: [pick(random, SCHOOLS)],
        role: 'staff',
        classes: [],
      });
    }
  }
  return { rows, next: size + 1, classesPerSchool };
}

/** Picks `count` distinct indexes of `length`, deterministically. */
function sample(random, length, count, exclude = new Set()) {
  const chosen = new Set();
  while (chosen.size < count) {
    const index = Math.floor(random() * length);
    if (!exclude.has(index)) chosen.add(index);
  }
  return chosen;
}

/** The bench's churn: 5 % of the users renamed, 2 % missing, 2 % new (9 % of the roster in all). */
export const DEFAULT_CHURN = { renamed: 0.05, missing: 0.02, added: 0.02 };

/**
 * A churn of `percent` % of the roster in all, in the default churn's proportions (5 : 2 : 2): e.g. 2 % is
 * 1.11 % renamed, 0.44 % missing and 0.44 % new.
 */
export function churnMix(percent) {
  const total = DEFAULT_CHURN.renamed + DEFAULT_CHURN.missing + DEFAULT_CHURN.added;
  const scale = percent / 100 / total;
  return {
    renamed: DEFAULT_CHURN.renamed * scale,
    missing: DEFAULT_CHURN.missing * scale,
    added: DEFAULT_CHURN.added * scale,
  };
}

/** How many users a churn of `mix` renames, drops and adds in a roster of `size` rows. */
export function churnCounts(size, mix = DEFAULT_CHURN) {
  return {
    renamed: Math.round(size * mix.renamed),
    missing: Math.round(size * mix.missing),
    added: Math.round(size * mix.added),
  };
}

/**
 * The churn roster: of the users, `mix.renamed` change their last name, `mix.missing` are missing, and
 * `mix.added` (of the roster's size) are new students. Returns the rows and which record uids went missing.
 */
export function churnRoster(roster, seed = 2, mix = DEFAULT_CHURN) {
  const random = prng(seed);
  const { rows } = roster;
  const counts = churnCounts(rows.length, mix);
  const missing = sample(random, rows.length, counts.missing);
  const modified = sample(random, rows.length, counts.renamed, missing);
  const out = [];
  rows.forEach((row, index) => {
    if (missing.has(index)) return;
    out.push(modified.has(index) ? { ...row, last: `${row.last}-${lastName(random)}` } : row);
  });
  for (let count = 0; count < counts.added; count++) {
    const school = pick(random, SCHOOLS);
    const klass = className(Math.floor(random() * roster.classesPerSchool));
    out.push({
      id: recordUid(roster.next + count),
      first: pick(random, FIRST_NAMES),
      last: lastName(random),
      schools: [school],
      role: 'student',
      classes: [`${school}-${klass}`],
    });
  }
  return { rows: out, next: roster.next + counts.added, classesPerSchool: roster.classesPerSchool };
}

/** Drops `count` more users (not new ones), so that the purge finds that many more due. */
export function dropUsers(roster, count, seed = 3) {
  const random = prng(seed);
  const dropped = sample(random, roster.rows.length, count);
  return { ...roster, rows: roster.rows.filter((_, index) => !dropped.has(index)) };
}

export const ROSTER_HEADER = ['id', 'first', 'last', 'schools', 'role', 'classes'];

export const CSV_MAPPING = {
  id: 'record_uid',
  first: 'firstname',
  last: 'lastname',
  schools: 'schools',
  role: 'role',
  classes: 'classes',
};

const cell = (value) => (/[",\n\r]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value);

export function rosterCsv(roster) {
  const lines = [ROSTER_HEADER.join(',')];
  for (const row of roster.rows) {
    lines.push(
      [row.id, row.first, row.last, row.schools.join(','), row.role, row.classes.join(',')]
        .map(cell)
        .join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}
