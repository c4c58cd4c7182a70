/**
 * A byte order mark decides the encoding (UTF-8, UTF-16LE, UTF-16BE), whatever `csv.encoding` says, and
 * is not part of the first header cell. Without one, `csv.encoding` applies.
 */
import { Readable } from 'node:stream';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeBytes } from '../../src/roster/decode.js';
import { readRoster } from '../../src/roster/index.js';
import { rosterConfig, type Scratch, scratchDir } from '../support/roster.js';

let scratch: Scratch;
beforeAll(async () => {
  scratch = await scratchDir('roster-bom');
});
afterAll(async () => {
  await scratch.dispose();
});

const TEXT =
  'uid;firstname;lastname;schools;role\r\nS-1;Jürgen;Müller;gs1;student\r\nS-2;Renée;Öztürk-Weiß;gs1;teacher\r\n';

const BOMS = {
  'utf-8': Buffer.from([0xef, 0xbb, 0xbf]),
  'utf-16le': Buffer.from([0xff, 0xfe]),
  'utf-16be': Buffer.from([0xfe, 0xff]),
} as const;

function withBom(encoding: keyof typeof BOMS, text = TEXT): Buffer {
  return Buffer.concat([BOMS[encoding], iconv.encode(text, encoding, { addBOM: false })]);
}

const names = (roster: Awaited<ReturnType<typeof readRoster>>) =>
  roster.records.map((record) => `${record.firstname} ${record.lastname}`);

describe('readRoster: a byte order mark decides the encoding', () => {
  const configured = ['utf-8', 'windows-1252', 'latin1', 'iso-8859-1', 'utf-16le'] as const;
  for (const bom of Object.keys(BOMS) as (keyof typeof BOMS)[]) {
    for (const encoding of configured) {
      it(`reads a ${bom} file with its BOM under csv.encoding: ${encoding}`, async () => {
        const file = await scratch.write(`${bom}-as-${encoding}.csv`, withBom(bom));
        const roster = await readRoster(file, rosterConfig({ encoding }));
        expect(roster.problems).toEqual([]);
        expect(roster.complete).toBe(true);
        expect(names(roster)).toEqual(['Jürgen Müller', 'Renée Öztürk-Weiß']);
        expect(roster.records.map((record) => record.line)).toEqual([2, 3]);
      });
    }
  }

  it('reads a file that is nothing but a BOM and a header as an empty roster', async () => {
    const file = await scratch.write(
      'bom-header-only.csv',
      withBom('utf-16be', 'uid,firstname,lastname,schools,role'),
    );
    const roster = await readRoster(file, rosterConfig({ encoding: 'windows-1252' }));
    expect(roster).toMatchObject({ problems: [], complete: true, rowCount: 0 });
  });

  it('reports a file that is nothing but a BOM as empty', async () => {
    const roster = await readRoster(await scratch.write('bom-only.csv', BOMS['utf-8']), rosterConfig());
    expect(roster.problems.map((problem) => problem.message)).toEqual([
      'the file is empty (expected a header line)',
    ]);
  });

  it('does not blame csv.encoding for bad bytes in a file whose BOM says UTF-8', async () => {
    const bytes = Buffer.concat([BOMS['utf-8'], iconv.encode(TEXT, 'windows-1252')]);
    const roster = await readRoster(await scratch.write('bom-broken.csv', bytes), rosterConfig());
    expect(roster.problems[0]?.message).toBe(
      'contains bytes that are not valid UTF-8, although the file starts with a UTF-8 byte order mark',
    );
  });
});

describe('decodeBytes', () => {
  const decode = async (chunks: Buffer[], configured: 'utf-8' | 'windows-1252' = 'windows-1252') => {
    const decoded = await decodeBytes(Readable.from(chunks) as AsyncIterable<Buffer>, configured);
    let text = '';
    for await (const chunk of decoded.text) text += chunk;
    return { encoding: decoded.encoding, text };
  };

  it('finds a BOM split over several chunks', async () => {
    const bytes = withBom('utf-8', 'Müller\n');
    const chunks = [bytes.subarray(0, 1), bytes.subarray(1, 2), bytes.subarray(2, 5), bytes.subarray(5)];
    expect(await decode(chunks)).toEqual({ encoding: 'utf-8', text: 'Müller\n' });
  });

  it('keeps to csv.encoding without a BOM, also for a file shorter than any BOM', async () => {
    expect(await decode([iconv.encode('Müller\r\n', 'windows-1252')])).toEqual({
      encoding: 'windows-1252',
      text: 'Müller\n',
    });
    expect(await decode([Buffer.from([0xfc])])).toEqual({ encoding: 'windows-1252', text: 'ü' });
    expect(await decode([], 'utf-8')).toEqual({ encoding: 'utf-8', text: '' });
  });

  it('does not take windows-1252 text that merely starts like a BOM for one', async () => {
    // "ï»" is EF BB in windows-1252: two bytes of a UTF-8 BOM, but not all three.
    expect(await decode([iconv.encode('ï»x\n', 'windows-1252')])).toEqual({
      encoding: 'windows-1252',
      text: 'ï»x\n',
    });
  });
});
