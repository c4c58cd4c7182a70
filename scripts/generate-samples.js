#!/usr/bin/env node
// Writes the sample rosters in samples/: roster.csv, office-export-latin1.csv and roster-with-mistakes.csv.
// Deterministic (a seeded PRNG, no clock, no dependencies), so `node scripts/generate-samples.js` always
// produces byte-identical files. The configs (samples/*.yaml) and samples/README.md are kept by hand; the
// README lists the line numbers of the mistakes below, so keep the two in step.
import { Buffer } from 'node:buffer';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const samples = resolve(fileURLToPath(new URL('../samples', import.meta.url)));

/** mulberry32: a small, fast, seedable PRNG returning floats in [0, 1). */
function prng(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function makeRandom(seed) {
  const next = prng(seed);
  const int = (min, max) => min + Math.floor(next() * (max - min + 1));
  const pick = (list) => list[Math.floor(next() * list.length)];
  const chance = (p) => next() < p;
  const sample = (list, count) => {
    const copy = [...list];
    for (let i = copy.length - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      [copy[i], copy[j]] = [copy[j], copy[i]];
    }
    return copy.slice(0, count);
  };
  return { next, int, pick, chance, sample };
}

// ---------------------------------------------------------------------------------------------------------
// Name pools, by origin. Names in Latin script, with their diacritics.

/** Names from a comma-separated, possibly multi-line list. */
const list = (text) =>
  text
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);

const GROUPS = {
  german: {
    weight: 55,
    first: list(`
      Anna, Lena, Julia, Laura, Lea, Sophie, Marie, Emma, Mia, Hannah, Lina, Clara, Greta, Ida, Frieda,
      Charlotte, Johanna, Katharina, Paula, Maja, Jana, Svenja, Annika, Jule, Merle, Pia, Nele, Helene,
      Antonia, Luise, Mathilda, Anna-Lena, Marie Luise, Lukas, Jan, Leon, Paul, Felix, Jonas, Finn,
      Ben, Elias, Noah, Maximilian, Tim, Niklas, Moritz, Jakob, Julian, Till, Ole, Hannes, Björn,
      Sören, Malte, Henrik, Anton, Emil, Theo, Karl, Jörn, Lasse, Jannik, Hans-Peter, Tom
    `),
    last: list(`
      Müller, Schmidt, Schneider, Fischer, Weber, Meyer, Wagner, Becker, Schulz, Hoffmann, Schäfer,
      Koch, Bauer, Richter, Klein, Wolf, Schröder, Neumann, Schwarz, Zimmermann, Braun, Krüger,
      Hofmann, Hartmann, Lange, Schmitt, Werner, Krause, Meier, Lehmann, Schulze, Köhler, Herrmann,
      König, Walter, Huber, Kaiser, Fuchs, Peters, Scholz, Möller, Weiß, Jung, Hahn, Vogel, Friedrich,
      Keller, Günther, Berger, Winkler, Roth, Lorenz, Baumann, Albrecht, Böhm, Kraus, Krämer, Jäger,
      Groß, Seidel, Brandt, Haas, Dietrich, Kühn, Pohl, Engel, Voigt, Pfeiffer, Müller-Lüdenscheidt,
      Schulze-Wenck, von der Heide, van den Berg, Meyer zu Knolle, zur Nieden, Graf von Bülow
    `),
  },
  turkish: {
    weight: 12,
    first: list(`
      Çağla, Ayşe, Elif, Zeynep, Büşra, Kübra, Selin, Deniz, Gökhan, Emre, Yusuf, Mehmet, Ömer, Şükrü,
      İlker, Hüseyin, Can, Burak, Eren, Melek
    `),
    last: list(`
      Öztürk, Şahin, Yılmaz, Kaya, Demir, Çelik, Yıldız, Aydın, Özdemir, Arslan, Doğan, Kılıç, Güneş,
      Koç, Yılmaz-Schulte
    `),
  },
  polish: {
    weight: 7,
    first: list(`
      Łukasz, Wojciech, Małgorzata, Agnieszka, Paweł, Krzysztof, Zofia, Michał, Katarzyna, Jakub,
      Bartłomiej, Grażyna, Zuzanna, Jędrzej
    `),
    last: list(`
      Wójcik, Kowalski, Nowak, Wiśniewski, Lewandowski, Kamiński, Zieliński, Szymański, Woźniak,
      Dąbrowski, Kozłowski, Jabłoński, Grabowski, Król
    `),
  },
  russianGerman: {
    weight: 8,
    first: list(`
      Alexander, Dmitri, Jewgeni, Viktor, Natalia, Swetlana, Olga, Tatjana, Irina, Artjom, Maxim,
      Anastasia, Jelena, Waldemar, Xenia, Jegor
    `),
    last: list(`
      Iwanow, Petrow, Smirnow, Kusnezow, Wolkow, Sokolow, Popow, Lebedew, Fjodorow, Morosow, Dück,
      Penner, Friesen, Janzen, Töws
    `),
  },
  greek: {
    weight: 5,
    first: list(`
      Giorgos, Dimitrios, Konstantinos, Eleni, Maria, Sofia, Nikos, Ioannis, Katerina, Vasiliki,
      Christos, Athanasia, Panagiotis
    `),
    last: list(`
      Papadopoulos, Georgiou, Nikolaidis, Konstantinidis, Papadakis, Vlachos, Karagiannis, Oikonomou,
      Dimitriou, Christodoulou
    `),
  },
  arabic: {
    weight: 6,
    first: list(`
      Mohammed, Ahmad, Omar, Yasmin, Layla, Fatima, Aisha, Karim, Rami, Nour, Hassan, Amira, Samir,
      Rana, Mariam, Ibrahim
    `),
    last: list(`
      Al-Hassan, El-Sayed, Haddad, Khalil, Mansour, Nasser, Saleh, Abdullah, Al-Masri, Ben Ali, Hamdan,
      Aziz, Abu Bakr
    `),
  },
  vietnamese: {
    weight: 3,
    first: list(`
      Thị Hương, Văn Minh, Thu Trang, Đức Anh, Minh Châu, Ngọc Lan, Quốc Bảo, Thanh Hà, Hoàng Long,
      Bảo Ngọc
    `),
    last: list(`
      Nguyễn, Trần, Lê, Phạm, Hoàng, Vũ, Đặng, Bùi, Đỗ, Võ
    `),
  },
  other: {
    weight: 4,
    first: list(`
      José, María, Sofía, Joaquín, Inês, João, Chloé, Noé, Anaïs, Gaëlle, François, Hélène, Søren,
      Bjørn, Åsa, Tereza, Jiří, Věra, Siobhán, Seán, Matteo, Giulia, Zoë, Núria
    `),
    last: list(`
      García-López, Fernández, Gonçalves, Muñoz, Peña, Lefèvre, Béranger, Dubois, Ærø, Sørensen,
      Ångström, Dvořák, Novák, Černý, O'Brien, O'Connor, McCarthy, D'Angelo, De Luca, Esposito
    `),
  },
};

const GROUP_NAMES = Object.keys(GROUPS);
const TOTAL_WEIGHT = GROUP_NAMES.reduce((sum, name) => sum + GROUPS[name].weight, 0);

function randomName(random, filter = () => true) {
  for (;;) {
    let roll = random.next() * TOTAL_WEIGHT;
    let group = GROUP_NAMES[0];
    for (const name of GROUP_NAMES) {
      roll -= GROUPS[name].weight;
      if (roll < 0) {
        group = name;
        break;
      }
    }
    const { first, last } = GROUPS[group];
    // Mostly a family of one origin; sometimes mixed (a German first name with another family name and so on).
    const firstname = random.chance(0.85) ? random.pick(first) : random.pick(GROUPS.german.first);
    const lastname = random.pick(last);
    if (filter(firstname) && filter(lastname)) return { firstname, lastname };
  }
}

// ---------------------------------------------------------------------------------------------------------
// Helpers

const SPECIAL_LETTERS = {
  ä: 'ae',
  ö: 'oe',
  ü: 'ue',
  ß: 'ss',
  æ: 'ae',
  ø: 'o',
  å: 'a',
  ł: 'l',
  đ: 'd',
  ı: 'i',
  œ: 'oe',
};

/** An ASCII local part in the style of a school's mail server: "Jürgen Müller" → "juergen.mueller". */
function mailPart(name) {
  return [...name.toLowerCase()]
    .map((ch) => SPECIAL_LETTERS[ch] ?? ch)
    .join('')
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/'/g, '')
    .replace(/\s+/g, '-')
    .replace(/[^a-z0-9-]/g, '');
}

function mailer(domainOf) {
  const used = new Set();
  return (person, school) => {
    const base = `${mailPart(person.firstname)}.${mailPart(person.lastname)}`;
    let local = base;
    for (let n = 2; used.has(`${local}@${school}`); n++) local = `${base}${n}`;
    used.add(`${local}@${school}`);
    return `${local}@${domainOf(school)}`;
  };
}

const pad = (n) => String(n).padStart(2, '0');

/** A date as DD.MM.YYYY, `days` after 1 July of `year`. */
function dateAfterJuly(year, days) {
  const date = new Date(Date.UTC(year, 6, 1) + days * 86400000);
  return `${pad(date.getUTCDate())}.${pad(date.getUTCMonth() + 1)}.${date.getUTCFullYear()}`;
}

/** A pupil's birthday for grade `grade` in school year 2025/26; some repeated a year. */
function studentBirthday(random, grade) {
  const year = 2019 - grade - (random.chance(0.08) ? 1 : 0);
  return dateAfterJuly(year, random.int(0, 364));
}

const adultBirthday = (random, from, to) => dateAfterJuly(random.int(from, to - 1), random.int(0, 364));

function csvLine(cells, delimiter) {
  return cells
    .map((cell) => {
      const text = cell ?? '';
      return /["\r\n]/.test(text) || text.includes(delimiter) ? `"${text.replace(/"/g, '""')}"` : text;
    })
    .join(delimiter);
}

function classNames(grades, letters) {
  return grades.flatMap((grade) => letters.map((letter) => `${grade}${letter}`));
}

const GRADES = [5, 6, 7, 8, 9, 10];
const gradeOf = (className) => Number.parseInt(className, 10);
const byGrade = (names) => [...names].sort((a, b) => gradeOf(a) - gradeOf(b) || a.localeCompare(b));

// ---------------------------------------------------------------------------------------------------------
// samples/roster.csv: two schools, UTF-8, comma-separated.

function roster() {
  const random = makeRandom(20250801);
  const classes = { gym1: classNames(GRADES, ['a', 'b', 'c']), rs2: classNames(GRADES, ['a', 'b']) };
  const email = mailer((school) => `${school}.schule.example`);

  // People the documentation talks about: diacritics, apostrophes, double-barrelled names, and
  // username collisions (j.mueller, l.schmidt) within one school and across both.
  const featuredStudents = {
    gym1: [
      ['5a', 'Zoë', 'Öztürk'],
      ['5b', 'Julia', 'Müller'],
      ['5c', 'Anna-Lena', 'Meyer zu Knolle'],
      ['6a', 'Jan', 'Müller'],
      ['6b', 'José', 'García-López'],
      ['6c', 'Siobhán', "O'Brien"],
      ['7a', 'Łukasz', 'Wójcik'],
      ['7b', 'Lukas', 'Schmidt'],
      ['7c', 'Matteo', "D'Angelo"],
      ['8a', 'Julia', 'Müller'],
      ['8b', 'Marie Luise', 'von der Heide'],
      ['8c', 'Çağla', 'Şahin'],
      ['9a', 'Ömer', 'Yılmaz-Schulte'],
      ['9b', 'Thị Hương', 'Nguyễn'],
      ['9c', 'Tereza', 'Dvořák'],
      ['10a', 'Søren', 'Ærø'],
      ['10b', 'Jana', 'Müller'],
    ],
    rs2: [
      ['5a', 'Jan', 'Müller'],
      ['6a', 'Lukas', 'Schmidt'],
      ['6b', 'Bảo Ngọc', 'Trần'],
      ['7a', 'Julia', 'Müller'],
      ['8b', 'Seán', "O'Connor"],
      ['9a', 'Chloé', 'Lefèvre'],
      ['9b', 'Jan', 'Müller'],
      ['10a', 'Mohammed', 'Al-Hassan'],
      ['10b', 'Hans-Peter', 'Graf von Bülow'],
    ],
  };
  const featuredTeachers = {
    gym1: [
      ['Jürgen', 'Müller'],
      ['Anna', 'Schmidt'],
      ['Małgorzata', 'Kowalski'],
      ['Hélène', 'Dubois'],
    ],
    rs2: [
      ['Julia', 'Müller'],
      ['Giorgos', 'Papadopoulos'],
      ['Nour', 'Ben Ali'],
    ],
    both: [
      ['Jan', 'Müller', ['gym1', 'rs2']],
      ['Věra', 'Dvořák', ['gym1', 'rs2']],
      ['Kübra', 'Özdemir', ['rs2', 'gym1']],
    ],
  };

  let nextStudentId = 100200;
  const studentId = () => {
    nextStudentId += random.int(1, 23);
    return `S-${nextStudentId}`;
  };
  let nextTeacherId = 2000;
  const teacherId = () => {
    nextTeacherId += random.int(1, 3);
    return `L-${nextTeacherId}`;
  };
  let nextStaffId = 3000;
  const staffId = () => `M-${++nextStaffId}`;

  const rows = [];
  const bySchool = { gym1: [], rs2: [] };

  for (const school of ['gym1', 'rs2']) {
    for (const className of classes[school]) {
      const grade = gradeOf(className);
      const size = random.int(14, 17);
      const pupils = featuredStudents[school]
        .filter(([c]) => c === className)
        .map(([, firstname, lastname]) => ({ firstname, lastname }));
      while (pupils.length < size) pupils.push(randomName(random));
      pupils.sort(
        (a, b) => a.lastname.localeCompare(b.lastname, 'de') || a.firstname.localeCompare(b.firstname, 'de'),
      );
      for (const pupil of pupils) {
        bySchool[school].push([
          studentId(),
          pupil.firstname,
          pupil.lastname,
          school,
          'Schueler',
          className,
          '',
          studentBirthday(random, grade),
        ]);
      }
    }
  }

  const teacherRow = (person, schools) => {
    const [first, second] = schools;
    const own = byGrade(random.sample(classes[first], random.int(second ? 1 : 2, second ? 3 : 5)));
    const other = second
      ? byGrade(random.sample(classes[second], random.int(1, 2))).map((c) => `${second}-${c}`)
      : [];
    // Some offices write the first school's prefix too (gym1-5a): both spellings mean the same class.
    const ownCells = second && random.chance(0.3) ? own.map((c) => `${first}-${c}`) : own;
    return [
      teacherId(),
      person.firstname,
      person.lastname,
      schools.join(','),
      'Lehrer',
      [...ownCells, ...other].join(','),
      email(person, first),
      adultBirthday(random, 1961, 1998),
    ];
  };

  const teacherCounts = { gym1: 38, rs2: 27 };
  for (const school of ['gym1', 'rs2']) {
    const people = featuredTeachers[school].map(([firstname, lastname]) => ({ firstname, lastname }));
    while (people.length < teacherCounts[school]) people.push(randomName(random));
    for (const person of people) bySchool[school].push(teacherRow(person, [school]));
  }
  const both = featuredTeachers.both.map(([firstname, lastname, schools]) => ({
    person: { firstname, lastname },
    schools,
  }));
  while (both.length < 10) both.push({ person: randomName(random), schools: ['gym1', 'rs2'] });
  for (const { person, schools } of both) bySchool[schools[0]].push(teacherRow(person, schools));

  const staffCounts = { gym1: 6, rs2: 5 };
  for (const school of ['gym1', 'rs2']) {
    for (let i = 0; i < staffCounts[school]; i++) {
      const person = randomName(random);
      bySchool[school].push([
        staffId(),
        person.firstname,
        person.lastname,
        school,
        'Mitarbeiter',
        '',
        email(person, school),
        adultBirthday(random, 1963, 1996),
      ]);
    }
  }
  // School social work serves both schools.
  const social = { firstname: 'Åsa', lastname: 'Sørensen' };
  bySchool.rs2.push([
    staffId(),
    social.firstname,
    social.lastname,
    'rs2,gym1',
    'Mitarbeiter',
    '',
    email(social, 'rs2'),
    '14.03.1984',
  ]);

  rows.push(...bySchool.gym1, ...bySchool.rs2);
  // Ids were handed out when the pupils enrolled, not in class order: deal them out at random.
  const pupils = rows.filter((row) => row[0].startsWith('S-'));
  const ids = random.sample(
    pupils.map((row) => row[0]),
    pupils.length,
  );
  pupils.forEach((row, index) => {
    row[0] = ids[index];
  });
  const header = ['Schul-ID', 'Vorname', 'Nachname', 'Schule', 'Rolle', 'Klassen', 'E-Mail', 'Geburtstag'];
  const text = [header, ...rows].map((cells) => csvLine(cells, ',')).join('\n') + '\n';
  writeFileSync(join(samples, 'roster.csv'), text, 'utf8');
  return rows.length;
}

// ---------------------------------------------------------------------------------------------------------
// samples/office-export-latin1.csv: one school, as a spreadsheet exports it (windows-1252, ";", CRLF).

const isLatin1 = (text) => [...text].every((ch) => ch.codePointAt(0) <= 0xff);

function officeExport() {
  const random = makeRandom(20250915);
  const classes = classNames(GRADES, ['a', 'b']);
  const mail = mailer(() => 'rs2-schule.example');
  const rows = [];
  let nr = 40100;
  const number = () => String((nr += random.int(1, 9)));

  const featured = [
    ['5a', 'Zoë', 'Müller'],
    ['6b', 'Søren', 'Ærø'],
    ['7a', 'José', 'García-López'],
    ['8a', 'François', 'Béranger'],
    ['8b', 'Inês', 'Gonçalves'],
    ['9a', 'Núria', 'Muñoz'],
    ['10b', 'Åsa', 'Ångström'],
  ];
  for (const className of classes) {
    const pupils = featured
      .filter(([c]) => c === className)
      .map(([, firstname, lastname]) => ({ firstname, lastname }));
    const size = random.int(7, 9);
    while (pupils.length < size) pupils.push(randomName(random, isLatin1));
    pupils.sort(
      (a, b) => a.lastname.localeCompare(b.lastname, 'de') || a.firstname.localeCompare(b.firstname, 'de'),
    );
    for (const pupil of pupils) {
      rows.push([number(), pupil.firstname, pupil.lastname, 'rs2', 'Schüler', className, '']);
    }
  }
  const teachers = [
    { firstname: 'Jörg', lastname: 'Weiß' },
    { firstname: 'Hélène', lastname: "D'Angelo" },
  ];
  while (teachers.length < 120 - rows.length) teachers.push(randomName(random, isLatin1));
  for (const teacher of teachers) {
    rows.push([
      number(),
      teacher.firstname,
      teacher.lastname,
      'rs2',
      'Lehrkraft',
      byGrade(random.sample(classes, random.int(1, 4))).join(','),
      mail(teacher, 'rs2'),
    ]);
  }

  const header = ['Nr', 'Vorname', 'Familienname', 'Schule', 'Funktion', 'Klasse', 'Mail'];
  const text = [header, ...rows].map((cells) => csvLine(cells, ';')).join('\r\n') + '\r\n';
  if (!isLatin1(text)) throw new Error('office export: a character outside latin1 slipped in');
  writeFileSync(join(samples, 'office-export-latin1.csv'), Buffer.from(text, 'latin1'));
  return rows.length;
}

// ---------------------------------------------------------------------------------------------------------
// samples/roster-with-mistakes.csv: fixed content; samples/README.md names each mistake by its line.

function mistakes() {
  const lines = [
    'Schul-ID,Vorname,Nachname,Schule,Rolle,Klassen,E-Mail,Geburtstag',
    'S-100901,Mia,Wagner,gym1,Schueler,5a,,12.09.2014', // 2 valid
    'S-100902,Emre,Kaya,rs2,Schueler,6b,,03.02.2014', // 3 valid
    ',Paula,Fischer,gym1,Schueler,5b,,21.11.2014', // 4 empty Schul-ID
    'S-100905,Jonas,Becker,gym1,Schueler,7a,,30.04.2012', // 5 valid
    'S-100906,Zoë,Öztürk,gym1,Schueler,6c,,17.08.2013', // 6 duplicate Schul-ID (see 14)
    'M-3101,Günther,Krause,gym1,Hausmeister,,g.krause@gym1.schule.example,02.06.1968', // 7 unknown role
    'S-100908,Łukasz,Wójcik,rs2,Schueler,8a,,09.10.2011', // 8 valid
    'S-100909,Lina,Hoffmann,gs9,Schueler,3b,,25.01.2017', // 9 unknown school
    'L-2101,Anna,Schmidt,gym1,Lehrer,"5a,6b",anna.schmidt@,14.05.1979', // 10 invalid e-mail
    'S-100911,Çağla,Şahin,rs2,Schueler,9b,,06.07.2010', // 11 valid
    'S-100912,Tim,Schröder,gym1,Schueler,8c,,31.02.2011', // 12 invalid birthday
    'L-2102,Siobhán,O\'Brien,"gym1,rs2",Lehrer,"7b,rs2-7a",siobhan.obrien@gym1.schule.example,29.02.1984', // 13 valid
    'S-100906,Jan,Müller,gym1,Schueler,9a,,11.12.2009', // 14 duplicate Schul-ID (see 6)
    'S-100915,Elif,Demir,rs2,Schueler,10a,', // 15 a missing cell (7 instead of 8)
    'S-100916,Thị Hương,Nguyễn,gym1,Schueler,10b,,19.03.2009', // 16 valid
    'S-100917,Noah,Weber,gym1,Schueler,' +
      '5a-bilingualer-zweig-englisch-franzoesisch-mit-schwerpunkt-naturwissenschaften,,08.08.2014', // 17 too long
    'S-100918,José,García-López,rs2,Schueler,7b,,01.01.2012', // 18 valid
    'L-2103,Jürgen,Müller,gym1,Lehrer,"5a,\n6b",juergen.mueller@gym1.schule.example,23.10.1971', // 19–20 valid
    "S-100920,Matteo,D'Angelo,gym1,Schueler,6a,,15.06.2013", // 21 valid
    'S-100921,Katarzyna,Nowak,rs2,Schueler,5b,,27.09.2014', // 22 valid
  ];
  writeFileSync(join(samples, 'roster-with-mistakes.csv'), lines.join('\n') + '\n', 'utf8');
  return lines.length - 1;
}

const counts = { roster: roster(), office: officeExport(), mistakes: mistakes() };
process.stdout.write(
  `samples/roster.csv: ${counts.roster} rows; samples/office-export-latin1.csv: ${counts.office} rows; ` +
    `samples/roster-with-mistakes.csv: ${counts.mistakes} records\n`,
);
