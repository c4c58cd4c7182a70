import { createReadStream } from 'node:fs';
import iconv from 'iconv-lite';
import type { Config } from '../config/index.js';

/** `csv.encoding`, or UTF-16BE, which only a byte order mark selects. */
export type RosterEncoding = Config['csv']['encoding'] | 'utf-16be';

/** The text of a roster file and the encoding it was decoded with. */
export interface DecodedText {
  encoding: RosterEncoding;
  /** True when a byte order mark chose the encoding (and was dropped), not `csv.encoding`. */
  fromByteOrderMark: boolean;
  text: AsyncIterable<string>;
}

/** Longest first: the UTF-8 mark is three bytes, the UTF-16 ones two. */
const BYTE_ORDER_MARKS: readonly { bytes: Buffer; encoding: RosterEncoding }[] = [
  { bytes: Buffer.from([0xef, 0xbb, 0xbf]), encoding: 'utf-8' },
  { bytes: Buffer.from([0xff, 0xfe]), encoding: 'utf-16le' },
  { bytes: Buffer.from([0xfe, 0xff]), encoding: 'utf-16be' },
];
const LONGEST_MARK = 3;

/**
 * Streams a file as decoded text, chunk by chunk, so that a large roster is never held in memory as
 * one string. A byte order mark decides the encoding over `csv.encoding`: a file that carries one says
 * what it is, and read any other way its header would be garbage. The mark itself is dropped.
 * Line breaks come out as `\n` only: CSV files from Windows use `\r\n`, and the parser's line count
 * goes wrong on them.
 */
export function decodeFile(path: string, configured: RosterEncoding): Promise<DecodedText> {
  return decodeBytes(createReadStream(path) as AsyncIterable<Buffer>, configured);
}

export async function decodeBytes(
  chunks: AsyncIterable<Buffer>,
  configured: RosterEncoding,
): Promise<DecodedText> {
  const bytes = chunks[Symbol.asyncIterator]();
  // Reads just far enough to see a mark (a file could arrive a byte at a time, or be shorter).
  let head = Buffer.alloc(0);
  while (head.length < LONGEST_MARK) {
    const next = await bytes.next();
    if (next.done === true) break;
    head = Buffer.concat([head, next.value]);
  }
  const mark = BYTE_ORDER_MARKS.find(({ bytes: markBytes }) =>
    head.subarray(0, markBytes.length).equals(markBytes),
  );
  const encoding = mark?.encoding ?? configured;
  return {
    encoding,
    fromByteOrderMark: mark !== undefined,
    text: decodeChunks(head.subarray(mark?.bytes.length ?? 0), bytes, encoding),
  };
}

async function* decodeChunks(
  head: Buffer,
  rest: AsyncIterator<Buffer>,
  encoding: RosterEncoding,
): AsyncGenerator<string> {
  const decoder = iconv.getDecoder(encoding);
  const lineBreaks = new LineBreakNormalizer();
  try {
    let chunk: Buffer | undefined = head;
    while (chunk !== undefined) {
      const text = lineBreaks.write(decoder.write(chunk));
      if (text !== '') yield text;
      const next = await rest.next();
      chunk = next.done === true ? undefined : next.value;
    }
    const tail = lineBreaks.write(decoder.end() ?? '') + lineBreaks.end();
    if (tail !== '') yield tail;
  } finally {
    // A reader that stops early (a bad header) closes the file here.
    await rest.return?.();
  }
}

/** Turns `\r\n` and lone `\r` into `\n`, also when a `\r\n` pair is split between two chunks. */
export class LineBreakNormalizer {
  private pendingCarriageReturn = false;

  write(text: string): string {
    if (text === '') return '';
    let input = text;
    if (this.pendingCarriageReturn) {
      input = '\r' + input;
      this.pendingCarriageReturn = false;
    }
    if (input.endsWith('\r')) {
      this.pendingCarriageReturn = true;
      input = input.slice(0, -1);
    }
    return input.replace(/\r\n?/g, '\n');
  }

  end(): string {
    const rest = this.pendingCarriageReturn ? '\n' : '';
    this.pendingCarriageReturn = false;
    return rest;
  }
}
