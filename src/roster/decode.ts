import { createReadStream } from 'node:fs';
import iconv from 'iconv-lite';
import type { Config } from '../config/index.js';

export type RosterEncoding = Config['csv']['encoding'];

/**
 * Streams a file as decoded text (a byte order mark dropped), chunk by chunk, so that a large roster
 * is never held in memory as one string. Line breaks come out as `\n` only: CSV files from Windows
 * use `\r\n`, and the parser's line count goes wrong on them.
 */
export async function* decodeFile(path: string, encoding: RosterEncoding): AsyncGenerator<string> {
  const decoder = iconv.getDecoder(encoding);
  const lineBreaks = new LineBreakNormalizer();
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    const text = lineBreaks.write(decoder.write(chunk));
    if (text !== '') yield text;
  }
  const rest = lineBreaks.write(decoder.end() ?? '') + lineBreaks.end();
  if (rest !== '') yield rest;
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
