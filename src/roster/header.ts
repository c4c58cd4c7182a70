import type { Config } from '../config/index.js';
import type { RosterProblem } from './types.js';

/** Fields every roster needs a column for. */
export const REQUIRED_FIELDS = ['record_uid', 'firstname', 'lastname', 'schools', 'role'] as const;

/** A mapped column: the header as configured, the field it feeds and its 0-based index in each row. */
export interface MappedColumn {
  header: string;
  field: string;
  index: number;
}

export type HeaderResult =
  { ok: true; columns: MappedColumn[]; cellCount: number } | { ok: false; problems: RosterProblem[] };

/**
 * Finds the column of every `csv.mapping` entry in the header line: an exact match first, then one
 * that differs only in case and surrounding whitespace. A missing column or required field fails the
 * whole file, since no row could then be read reliably.
 */
export function mapHeader(
  cells: string[],
  line: number,
  mapping: Config['csv']['mapping'],
  file: string,
): HeaderResult {
  const problems: RosterProblem[] = [];
  const columns: MappedColumn[] = [];
  for (const [header, field] of Object.entries(mapping)) {
    const index = findColumn(cells, header);
    if (index === undefined) {
      problems.push({
        file,
        line,
        field,
        header,
        message: `column '${header}' (mapped to ${field}) is not in the header (found: ${describeHeader(cells)})`,
      });
    } else {
      columns.push({ header, field, index });
    }
  }
  const mappedFields = new Set(Object.values(mapping));
  for (const field of REQUIRED_FIELDS) {
    if (!mappedFields.has(field)) {
      problems.push({
        file,
        line,
        field,
        message: `no column is mapped to the required field '${field}' (see csv.mapping)`,
      });
    }
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, columns, cellCount: cells.length };
}

function findColumn(cells: string[], header: string): number | undefined {
  const exact = cells.indexOf(header);
  if (exact !== -1) return exact;
  const wanted = header.trim().toLowerCase();
  const loose = cells.findIndex((cell) => cell.trim().toLowerCase() === wanted);
  return loose === -1 ? undefined : loose;
}

function describeHeader(cells: string[]): string {
  return cells.map((cell) => `'${cell}'`).join(', ');
}
