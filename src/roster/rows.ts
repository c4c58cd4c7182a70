import { Readable, pipeline } from 'node:stream';
import { type CsvError, type Info, parse } from 'csv-parse';
import type { Delimiter } from './delimiter.js';

/** One non-blank CSV row: its cells, whitespace-trimmed, and the physical line it starts on. */
export interface CsvRow {
  kind: 'row';
  line: number;
  cells: string[];
  /**
   * True only for the file's last row when no line break follows it: if it is also short of cells,
   * the file was cut off in the middle of it.
   */
  unterminated: boolean;
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

/**
 * Parses decoded text into rows as it streams in; blank lines (and rows of empty cells) are skipped.
 * Each row is held back until the next one arrives, so that the last one can be told apart.
 */
export async function* readCsvRows(
  chunks: AsyncIterable<string>,
  delimiter: Delimiter,
): AsyncGenerator<CsvRow | MalformedCsv> {
  const malformed: MalformedCsv[] = [];
  const ending = new TextEnding();
  const progress = new ParseProgress();
  const parser = parse({
    delimiter,
    info: true,
    // Cell counts are checked by the caller, which can say which row is wrong and keep going.
    relax_column_count: true,
    skip_empty_lines: true,
    trim: true,
    bom: true,
    skip_records_with_error: true,
    // Both callbacks run as the parser goes, which may be ahead of the loop below.
    on_record: (parsed, context) => {
      progress.recordEnded(context);
      return parsed;
    },
    on_skip: (error) => {
      if (error === undefined) return undefined;
      malformed.push(describeCsvError(error, progress));
      progress.recordSkipped(error);
      return undefined;
    },
  });
  // Errors of the source (an unreadable file) reach the loop below through the parser.
  pipeline(Readable.from(ending.watch(chunks)), parser, () => undefined);
  let held: { row: CsvRow; record: number } | undefined;
  for await (const { info, record } of parser as AsyncIterable<ParsedRecord>) {
    yield* malformed.splice(0);
    const cells = record.map((cell) => cell.trim());
    if (cells.every((cell) => cell === '')) continue;
    if (held !== undefined) yield held.row;
    // `info.lines` is the line the record ends on; quoted cells may span several lines.
    const innerLineBreaks = record.reduce((count, cell) => count + countLineBreaks(cell), 0);
    held = {
      row: { kind: 'row', line: info.lines - innerLineBreaks, cells, unterminated: false },
      record: info.records,
    };
  }
  if (held !== undefined) {
    const lastInFile = held.record === progress.records && !progress.skippedSinceRecord;
    yield { ...held.row, unterminated: lastInFile && !ending.lineBreak };
  }
  yield* malformed.splice(0);
}

/** How far the parser has got: the end of the last record, and whether broken CSV came after it. */
class ParseProgress {
  records = 0;
  endLine = 0;
  emptyLines = 0;
  skippedSinceRecord = false;

  recordEnded(context: Info): void {
    this.records = context.records;
    this.endLine = context.lines;
    this.emptyLines = context.empty_lines;
    this.skippedSinceRecord = false;
  }

  recordSkipped(error: CsvError): void {
    this.endLine = numberIn(error, 'lines', this.endLine);
    this.emptyLines = numberIn(error, 'empty_lines', this.emptyLines);
    this.skippedSinceRecord = true;
  }

  /** The line a record starts on that is still open at `error`: after the last one and the blank lines since. */
  openRecordStart(error: CsvError): number {
    return this.endLine + (numberIn(error, 'empty_lines', this.emptyLines) - this.emptyLines) + 1;
  }
}

/** Whether the text seen so far ends in a line break, blanks after it not counting. */
class TextEnding {
  lineBreak = false;

  async *watch(chunks: AsyncIterable<string>): AsyncGenerator<string> {
    for await (const chunk of chunks) {
      const content = chunk.replace(/[ \t]+$/, '');
      if (content !== '') this.lineBreak = content.endsWith('\n');
      yield chunk;
    }
  }
}

function countLineBreaks(text: string): number {
  let count = 0;
  for (let index = text.indexOf('\n'); index !== -1; index = text.indexOf('\n', index + 1)) count++;
  return count;
}

function numberIn(error: CsvError, key: string, fallback: number): number {
  const value = error[key];
  return typeof value === 'number' ? value : fallback;
}

function describeCsvError(error: CsvError, progress: ParseProgress): MalformedCsv {
  const line = numberIn(error, 'lines', 1);
  switch (error.code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      // The parser names the line the file ends on; the row with the open quote may start earlier.
      return {
        kind: 'malformed',
        line: Math.min(progress.openRecordStart(error), line),
        message:
          "the file ends inside a quoted cell of this row: it is cut off, or a closing '\"' is missing; the rest of the file could not be read",
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
