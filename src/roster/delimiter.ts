import type { Config } from '../config/index.js';

export type Delimiter = Exclude<Config['csv']['delimiter'], 'auto'>;

/** In order of preference: a tie goes to the earlier one, so `,` wins every tie it is in. */
const CANDIDATES: readonly Delimiter[] = [',', ';', '\t', '|'];

/**
 * Settles `csv.delimiter`. For `auto` it reads just far enough to see the header line and picks the
 * candidate that occurs most often there outside quotes; the text read so far is handed back in
 * front of the rest, so nothing is read twice.
 */
export async function resolveDelimiter(
  chunks: AsyncIterable<string>,
  configured: Config['csv']['delimiter'],
): Promise<{ delimiter: Delimiter; chunks: AsyncIterable<string> }> {
  if (configured !== 'auto') return { delimiter: configured, chunks };
  const iterator = chunks[Symbol.asyncIterator]();
  const peeked: string[] = [];
  const sniffer = new HeaderLineSniffer();
  while (!sniffer.complete) {
    const next = await iterator.next();
    if (next.done === true) break;
    peeked.push(next.value);
    sniffer.write(next.value);
  }
  return { delimiter: sniffer.delimiter(), chunks: replay(peeked, iterator) };
}

async function* replay(peeked: string[], rest: AsyncIterator<string>): AsyncGenerator<string> {
  yield* peeked;
  for (let next = await rest.next(); next.done !== true; next = await rest.next()) yield next.value;
}

/** Counts delimiter candidates on the first non-blank line, which may arrive in pieces. */
export class HeaderLineSniffer {
  complete = false;
  private readonly counts = new Map<Delimiter, number>();
  private inQuotes = false;
  private lineHasContent = false;

  write(text: string): void {
    for (const char of text) {
      if (this.complete) return;
      if (char === '"') {
        // A doubled quote inside a quoted field toggles twice, which leaves the state as it was.
        this.inQuotes = !this.inQuotes;
        this.lineHasContent = true;
      } else if (char === '\n' && !this.inQuotes) {
        if (this.lineHasContent) this.complete = true;
        else this.counts.clear();
      } else if (!this.inQuotes) {
        if ((CANDIDATES as readonly string[]).includes(char)) {
          const candidate = char as Delimiter;
          this.counts.set(candidate, (this.counts.get(candidate) ?? 0) + 1);
        }
        if (!/\s/.test(char)) this.lineHasContent = true;
      }
    }
  }

  delimiter(): Delimiter {
    let best: Delimiter = ',';
    let bestCount = 0;
    for (const candidate of CANDIDATES) {
      const count = this.counts.get(candidate) ?? 0;
      if (count > bestCount) {
        best = candidate;
        bestCount = count;
      }
    }
    return best;
  }
}
