import { type CsvError, type Info, parse, type Parser } from 'csv-parse';
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

/** A record as the parser ended it: its cells, the line it ends on, its number. */
interface ParsedRecord {
  kind: 'record';
  cells: string[];
  endLine: number;
  number: number;
}

/**
 * Parses decoded text into rows as it streams in; blank lines (and rows of empty cells) are skipped.
 * The rows come in batches, one per chunk of text: the parser hands each record to a callback as it ends
 * it, so no record goes through a stream of its own (a million of them at scale). The last row is held
 * back until the text ends, so that it can be told apart.
 */
export async function* readCsvRows(
  chunks: AsyncIterable<string>,
  delimiter: Delimiter,
): AsyncGenerator<(CsvRow | MalformedCsv)[]> {
  // What the parser ended, in file order: records and broken stretches.
  const parsed: (ParsedRecord | MalformedCsv)[] = [];
  const ending = new TextEnding();
  const progress = new ParseProgress();
  const parser = parse({
    delimiter,
    // Cell counts are checked by the caller, which can say which row is wrong and keep going.
    relax_column_count: true,
    skip_empty_lines: true,
    trim: true,
    bom: true,
    skip_records_with_error: true,
    on_record: (cells: string[], context) => {
      progress.recordEnded(context);
      parsed.push({ kind: 'record', cells, endLine: context.lines, number: context.records });
      // Taken here: nothing goes on to the parser's output stream.
      return null;
    },
    on_skip: (error) => {
      if (error === undefined) return undefined;
      parsed.push(describeCsvError(error, progress));
      progress.recordSkipped(error);
      return undefined;
    },
  });
  const finished = parserFinished(parser);
  let held: { row: CsvRow; number: number } | undefined;
  const rowsOf = (items: (ParsedRecord | MalformedCsv)[]): (CsvRow | MalformedCsv)[] => {
    const rows: (CsvRow | MalformedCsv)[] = [];
    for (const item of items) {
      if (item.kind === 'malformed') {
        rows.push(item);
        continue;
      }
      const cells = item.cells.map((cell) => cell.trim());
      if (cells.every((cell) => cell === '')) continue;
      if (held !== undefined) rows.push(held.row);
      // `endLine` is the line the record ends on; quoted cells may span several lines.
      const innerLineBreaks = item.cells.reduce((count, cell) => count + countLineBreaks(cell), 0);
      held = {
        row: { kind: 'row', line: item.endLine - innerLineBreaks, cells, unterminated: false },
        number: item.number,
      };
    }
    return rows;
  };

  try {
    for await (const chunk of ending.watch(chunks)) {
      await write(parser, chunk);
      const rows = rowsOf(parsed.splice(0));
      if (rows.length > 0) yield rows;
    }
    parser.end();
    await finished;
  } finally {
    // Stopped early (a bad header) or failed: the parser is let go.
    if (!parser.writableFinished) parser.destroy();
  }
  const rows = rowsOf(parsed.splice(0));
  if (held !== undefined) {
    const lastInFile = held.number === progress.records && !progress.skippedSinceRecord;
    rows.push({ ...held.row, unterminated: lastInFile && !ending.lineBreak });
  }
  if (rows.length > 0) yield rows;
}

/** Hands `chunk` to the parser; resolves once it has been parsed, its records taken by `on_record`. */
function write(parser: Parser, chunk: string): Promise<void> {
  return new Promise((resolve, reject) => {
    parser.write(chunk, (error) => (error ? reject(error) : resolve()));
  });
}

/** Resolves when the parser has parsed the end of the text (its writable side finished). */
function parserFinished(parser: Parser): Promise<void> {
  const finished = new Promise<void>((resolve, reject) => {
    parser.once('finish', resolve);
    parser.once('error', reject);
  });
  // Observed by the caller only after the last chunk; an earlier error is thrown by that chunk's write.
  finished.catch(() => undefined);
  return finished;
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
