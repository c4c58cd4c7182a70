/**
 * A roster cut off in its last line (SPEC §4.5: a roster that cannot be read to its end removes no one):
 * the cut row is not a bad row to be tolerated but makes the whole roster incomplete.
 */
import { basename } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatProblem, readRoster } from '../../src/roster/index.js';
import { HEADER, rosterConfig, type Scratch, scratchDir } from '../support/roster.js';

let scratch: Scratch;
beforeAll(async () => {
  scratch = await scratchDir('roster-truncation');
});
afterAll(async () => {
  await scratch.dispose();
});

/** Reads `text` as a roster file; problems are formatted with the bare file name. */
async function read(name: string, text: string) {
  const roster = await readRoster(await scratch.write(name, text), rosterConfig());
  const messages = roster.problems.map((problem) =>
    formatProblem({ ...problem, file: basename(problem.file) }),
  );
  return { ...roster, messages };
}

const rows = [HEADER, 'A,Anna,Meier,gs1,student', 'B,Ben,Schulz,gs1,teacher'];

describe('readRoster: a last line without a line break', () => {
  it('with too few cells is a truncation: the roster is incomplete and the problem names the line', async () => {
    const roster = await read('cut.csv', `${rows.join('\n')}\nC,Cem,Yıl`);
    expect(roster.complete).toBe(false);
    expect(roster.messages).toEqual([
      'cut.csv:4:4: the last line ends after 3 of 5 cells without a line break: the file is cut off',
    ]);
    // Not a bad row of its own: its uid does not stand for a user in the roster.
    expect(roster.invalidRecordUids).toEqual([]);
    expect(roster.records.map((record) => record.recordUid)).toEqual(['A', 'B']);
  });

  it('cut right after a delimiter, or with Windows line breaks, or trailing blanks, is a truncation too', async () => {
    for (const text of [
      `${rows.join('\n')}\nC,`,
      `${rows.join('\r\n')}\r\nC,Cem,Yıl,gs1`,
      `${rows.join('\n')}\nC,Cem  `,
      `${rows.join('\n')}\nC`,
    ]) {
      const roster = await read('cut-variants.csv', text);
      expect(roster.complete, JSON.stringify(text)).toBe(false);
      expect(roster.messages, JSON.stringify(text)).toEqual([
        expect.stringMatching(/^cut-variants\.csv:4:\d: the last line ends after \d of 5 cells/) as unknown,
      ]);
    }
  });

  it('starting with a quoted cell over two lines is reported on the line the row starts', async () => {
    const roster = await read('cut-multiline.csv', `${rows.join('\n')}\nC,"Cem\nCan",Yıl`);
    expect(roster.complete).toBe(false);
    expect(roster.messages).toEqual([
      'cut-multiline.csv:4:4: the last line ends after 3 of 5 cells without a line break: the file is cut off',
    ]);
  });

  it('inside an open quoted cell is a truncation, reported on the line the row starts', async () => {
    const roster = await read('cut-quoted.csv', `${rows.join('\n')}\n\nC,"Cem\nCa`);
    expect(roster.complete).toBe(false);
    expect(roster.messages).toEqual([
      expect.stringMatching(/^cut-quoted\.csv:5: the file ends inside a quoted cell/) as unknown,
    ]);
    expect(roster.records.map((record) => record.recordUid)).toEqual(['A', 'B']);
  });

  it('at the end of a file read in many chunks is found the same way', async () => {
    const body = Array.from({ length: 5000 }, (_, n) => `U-${n},Vorname${n},Nachname${n},gs1,student`);
    const roster = await read('long-cut.csv', `${[HEADER, ...body].join('\n')}\nU-5000,Vorn`);
    expect(roster.records).toHaveLength(5000);
    expect(roster.complete).toBe(false);
    expect(roster.messages).toEqual([
      'long-cut.csv:5002:3: the last line ends after 2 of 5 cells without a line break: the file is cut off',
    ]);
  });

  it('with all its cells is a complete row', async () => {
    const roster = await read('no-final-break.csv', `${rows.join('\n')}\nC,Cem,Yıl,gs1,student`);
    expect(roster).toMatchObject({ complete: true, problems: [], rowCount: 3 });
    expect(roster.records[2]).toMatchObject({ line: 4, recordUid: 'C', lastname: 'Yıl', roles: ['student'] });
  });

  it('with too many cells is a bad row, not a truncation', async () => {
    const roster = await read('long.csv', `${rows.join('\n')}\nC,Cem,Yıl,gs1,student,extra`);
    expect(roster.complete).toBe(true);
    expect(roster.messages).toEqual([
      'long.csv:4:6: expected 5 cells (as in the header), found 6; row skipped',
    ]);
    expect(roster.invalidRecordUids).toEqual(['C']);
  });
});

describe('readRoster: a short last line that does end in a line break', () => {
  it('is a bad row like any other: the roster stays complete and the uid counts as present', async () => {
    for (const ending of ['\n', '\n\n', '\n  ']) {
      const roster = await read('short.csv', `${rows.join('\n')}\nC,Cem,Yıl${ending}`);
      expect(roster.complete, JSON.stringify(ending)).toBe(true);
      expect(roster.messages).toEqual([
        'short.csv:4:4: expected 5 cells (as in the header), found 3; row skipped',
      ]);
      expect(roster.invalidRecordUids).toEqual(['C']);
    }
  });

  it('followed by a truncated row: only the truncation makes the roster incomplete', async () => {
    const roster = await read('short-then-cut.csv', `${rows.join('\n')}\nC,Cem\nD,Dana,Ott,gs`);
    expect(roster.complete).toBe(false);
    expect(roster.messages).toEqual([
      'short-then-cut.csv:4:3: expected 5 cells (as in the header), found 2; row skipped',
      'short-then-cut.csv:5:5: the last line ends after 4 of 5 cells without a line break: the file is cut off',
    ]);
  });
});
