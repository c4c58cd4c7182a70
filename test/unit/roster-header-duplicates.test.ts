/**
 * A header where a mapped column appears more than once: which one feeds the field cannot be told, so
 * the roster is not read at all. Duplicates among columns nobody maps are harmless and pass.
 */
import { basename } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatProblem, readRoster } from '../../src/roster/index.js';
import { MAPPING, rosterConfig, type Scratch, scratchDir } from '../support/roster.js';

let scratch: Scratch;
beforeAll(async () => {
  scratch = await scratchDir('roster-header-duplicates');
});
afterAll(async () => {
  await scratch.dispose();
});

async function read(name: string, lines: string[], mapping: Record<string, string> = MAPPING) {
  const file = await scratch.write(name, `${lines.join('\n')}\n`);
  const roster = await readRoster(file, rosterConfig({ mapping }));
  const messages = roster.problems.map((problem) =>
    formatProblem({ ...problem, file: basename(problem.file) }),
  );
  return { ...roster, messages };
}

const GERMAN = {
  ID: 'record_uid',
  Vorname: 'firstname',
  Nachname: 'lastname',
  Schule: 'schools',
  Rolle: 'role',
};

describe('readRoster: a mapped column twice in the header', () => {
  it('fails with both columns, their header names and numbers, before any row is read', async () => {
    const roster = await read(
      'twice.csv',
      ['ID,Vorname,Nachname,Schule,Rolle,Vorname', 'A,Anna,Meier,gs1,student,Anne'],
      GERMAN,
    );
    expect(roster.messages).toEqual([
      "twice.csv:1:6: firstname: column 'Vorname' (mapped to firstname) appears 2 times in the header: column 2 'Vorname' and column 6 'Vorname'; rename or remove all but one",
    ]);
    expect(roster.problems[0]).toMatchObject({ line: 1, column: 6, field: 'firstname', header: 'Vorname' });
    expect(roster).toMatchObject({ complete: false, records: [], rowCount: 0 });
  });

  it('names every copy when no column matches exactly, only ignoring case and blanks', async () => {
    const roster = await read(
      'loose.csv',
      ['id,VORNAME,Nachname,Schule,Rolle,Vorname', 'A,Anna,Meier,gs1,student,Anne'],
      { ID: 'record_uid', vorname: 'firstname', Nachname: 'lastname', Schule: 'schools', Rolle: 'role' },
    );
    expect(roster.messages).toEqual([
      "loose.csv:1:6: firstname: column 'vorname' (mapped to firstname) appears 2 times in the header: column 2 'VORNAME' and column 6 'Vorname'; rename or remove all but one",
    ]);
    expect(roster.complete).toBe(false);
  });

  it('reports each duplicated mapped column', async () => {
    const roster = await read(
      'two-pairs.csv',
      ['ID,Vorname,Nachname,Schule,Rolle,Rolle,Vorname', 'A,Anna,Meier,gs1,student,student,Anne'],
      GERMAN,
    );
    expect(roster.messages).toEqual([
      "two-pairs.csv:1:6: role: column 'Rolle' (mapped to role) appears 2 times in the header: column 5 'Rolle' and column 6 'Rolle'; rename or remove all but one",
      "two-pairs.csv:1:7: firstname: column 'Vorname' (mapped to firstname) appears 2 times in the header: column 2 'Vorname' and column 7 'Vorname'; rename or remove all but one",
    ]);
  });

  it('fails when two csv.mapping entries find the same column', async () => {
    const roster = await read(
      'shared.csv',
      ['ID,Vorname,Nachname,Schule,Rolle', 'A,Anna,Meier,gs1,student'],
      {
        ...GERMAN,
        vorname: 'attr:givenName',
      },
    );
    expect(roster.messages).toEqual([
      "shared.csv:1:2: attr:givenName: csv.mapping entries 'Vorname' (firstname) and 'vorname' (attr:givenName) both match column 2 'Vorname'; a column can feed one field only",
    ]);
    expect(roster.complete).toBe(false);
  });
});

describe('readRoster: duplicates that do not matter', () => {
  it('an exact match wins over others that differ only in case, as before', async () => {
    const roster = await read(
      'exact.csv',
      ['ID,vorname,Nachname,Schule,Rolle,Vorname', 'A,wrong,Meier,gs1,student,Anna'],
      GERMAN,
    );
    expect(roster.problems).toEqual([]);
    expect(roster.records[0]?.firstname).toBe('Anna');
  });

  it('columns nobody maps may repeat, empty header cells included', async () => {
    const roster = await read(
      'unmapped.csv',
      ['ID,Notiz,Vorname,Nachname,Schule,Rolle,Notiz,,', 'A,x,Anna,Meier,gs1,student,y,,'],
      GERMAN,
    );
    expect(roster.problems).toEqual([]);
    expect(roster.complete).toBe(true);
    expect(roster.records[0]).toMatchObject({ recordUid: 'A', firstname: 'Anna' });
  });
});
