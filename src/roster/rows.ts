import { Readable, pipeline } from 'node:stream';
import { type CsvError, type Info, parse } from 'csv-parse';
import type { Delimiter } from './delimiter.js';

/** One non-blank CSV row: its cells, whitespace-trimmed, and the physical line it starts on. */
export interface CsvRow {
  kind: 'row';
  line: number;
  cells: string[];
}

/**
 * A stretch of the file that is not valid CSV (broken quoting). The parser skips it and goes on, but
 * the rows in it are lost.
 */
export interface MalformedCsv {
  kind: 'malformed';
  line: number;
  message: string;
}

interface ParsedRecord {
  info: Info;
  record: string[];
}

/** Parses decoded text into rows as it streams in; blank lines (and rows of empty cells) are skipped. */
export async function* readCsvRows(
  chunks: AsyncIterable<string>,
  delimiter: Delimiter,
): AsyncGenerator<CsvRow | MalformedCsv> {
  const malformed: MalformedCsv[] = [];
  const parser = parse({
    delimiter,
    info: true,
    // Cell counts are checked by the caller, which can say which row is wrong and keep going.
    relax_column_count: true,
    skip_empty_lines: true,
    trim: true,
    bom: true,
    skip_records_with_error: true,
    on_skip: (error) => {
      if (error !== undefined) malformed.push(describeCsvError(error));
      return undefined;
    },
  });
  // Errors of the source (an unreadable file) reach the loop below through the parser.
  pipeline(Readable.from(chunks), parser, () => undefined);
  for await (const { info, record } of parser as AsyncIterable<ParsedRecord>) {
    yield* malformed.splice(0);
    const cells = record.map((cell) => cell.trim());
    if (cells.every((cell) => cell === '')) continue;
    // `info.lines` is the line the record ends on; quoted cells may span several lines.
    const innerLineBreaks = record.reduce((count, cell) => count + countLineBreaks(cell), 0);
    yield { kind: 'row', line: info.lines - innerLineBreaks, cells };
  }
  yield* malformed.splice(0);
}

function countLineBreaks(text: string): number {
  let count = 0;
  for (let index = text.indexOf('\n'); index !== -1; index = text.indexOf('\n', index + 1)) count++;
  return count;
}

function describeCsvError(error: CsvError): MalformedCsv {
  const line = typeof error.lines === 'number' ? error.lines : 1;
  switch (error.code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return {
        kind: 'malformed',
        line,
        message: "a quoted cell is never closed (a '\"' is missing); the rest of the file could not be read",
      };
    case 'CSV_INVALID_CLOSING_QUOTE':
    case 'CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE':
      return {
        kind: 'malformed',
        line,
        message:
          "a quoted cell must end at the delimiter or the end of the line (write a '\"' inside it as '\"\"')",
      };
    case 'INVALID_OPENING_QUOTE':
      return {
        kind: 'malformed',
        line,
        message: "a '\"' inside an unquoted cell (quote the whole cell and write the '\"' as '\"\"')",
      };
    default:
      return { kind: 'malformed', line, message: `not valid CSV: ${error.message}` };
  }
}
