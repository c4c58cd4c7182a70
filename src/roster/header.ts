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
 * whole file, since no row could then be read reliably; so does a mapped column that is there more
 * than once (which one holds the field?), or one column that two entries both match. Columns nobody
 * maps may repeat: they are never read.
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
    const [index, ...others] = findColumns(cells, header);
    if (index === undefined) {
      problems.push({
        file,
        line,
        field,
        header,
        message: `column '${header}' (mapped to ${field}) is not in the header (found: ${describeHeader(cells)})`,
      });
    } else if (others[0] !== undefined) {
      const all = [index, ...others];
      problems.push({
        file,
        line,
        // The first repeat is where the header went wrong.
        column: others[0] + 1,
        field,
        header,
        message: `column '${header}' (mapped to ${field}) appears ${all.length} times in the header: ${describeColumns(cells, all)}; rename or remove all but one`,
      });
    } else {
      columns.push({ header, field, index });
    }
  }
  problems.push(...sharedColumnProblems(columns, cells, line, file));
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

/** The columns `header` names: every exact match, or failing those, every loose one. */
function findColumns(cells: string[], header: string): number[] {
  const exact = indexesOf(cells, (cell) => cell === header);
  if (exact.length > 0) return exact;
  const wanted = header.trim().toLowerCase();
  return indexesOf(cells, (cell) => cell.trim().toLowerCase() === wanted);
}

/** Two mapping entries that differ only in case can find the same column; it would feed both fields. */
function sharedColumnProblems(
  columns: MappedColumn[],
  cells: string[],
  line: number,
  file: string,
): RosterProblem[] {
  const problems: RosterProblem[] = [];
  const byIndex = new Map<number, MappedColumn>();
  for (const column of columns) {
    const earlier = byIndex.get(column.index);
    if (earlier === undefined) {
      byIndex.set(column.index, column);
      continue;
    }
    problems.push({
      file,
      line,
      column: column.index + 1,
      field: column.field,
      header: column.header,
      message: `csv.mapping entries '${earlier.header}' (${earlier.field}) and '${column.header}' (${column.field}) both match ${describeColumns(cells, [column.index])}; a column can feed one field only`,
    });
  }
  return problems;
}

function indexesOf(cells: string[], matches: (cell: string) => boolean): number[] {
  const indexes: number[] = [];
  cells.forEach((cell, index) => {
    if (matches(cell)) indexes.push(index);
  });
  return indexes;
}

/** `column 2 'Vorname' and column 6 'vorname'`, with 1-based column numbers as in problems. */
function describeColumns(cells: string[], indexes: number[]): string {
  const described = indexes.map((index) => `column ${index + 1} '${cells[index] ?? ''}'`);
  const last = described.pop() ?? '';
  return described.length === 0 ? last : `${described.join(', ')} and ${last}`;
}

function describeHeader(cells: string[]): string {
  return cells.map((cell) => `'${cell}'`).join(', ');
}
