import type { Config } from '../config/index.js';
import { decodeFile } from './decode.js';
import { resolveDelimiter } from './delimiter.js';
import { type MappedColumn, mapHeader } from './header.js';
import { checkRow } from './row.js';
import { readCsvRows } from './rows.js';
import { rowRules } from './rules.js';
import type { Roster, RosterProblem } from './types.js';

/**
 * Reads and validates a roster CSV (SPEC §4.1–4.2), streaming it. Every problem is collected; how
 * many are tolerable is for the caller to decide (`tolerate_errors`).
 */
export async function readRoster(path: string, config: Config): Promise<Roster> {
  const roster: Roster = {
    file: path,
    records: [],
    invalidRecordUids: [],
    problems: [],
    rowCount: 0,
    complete: true,
  };
  const decoded = await decodeFile(path, config.csv.encoding);
  const rules = rowRules(config, path, decoded);
  const { delimiter, chunks } = await resolveDelimiter(decoded.text, config.csv.delimiter);
  let layout: { columns: MappedColumn[]; cellCount: number } | undefined;
  // record uid → line it was first seen on, valid row or not.
  const firstSeen = new Map<string, number>();

  rows: for await (const items of readCsvRows(chunks, delimiter)) {
    for (const item of items) {
      if (item.kind === 'malformed') {
        roster.problems.push({ file: path, line: item.line, message: item.message });
        roster.complete = false;
        continue;
      }
      if (layout === undefined) {
        const header = mapHeader(item.cells, item.line, config.csv.mapping, path);
        if (!header.ok) {
          roster.problems.push(...header.problems);
          roster.complete = false;
          break rows;
        }
        layout = header;
        continue;
      }

      roster.rowCount++;
      if (item.unterminated && item.cells.length < layout.cellCount) {
        // Cut off mid-row: who else was in the file is unknown, and this row is not a bad row to tolerate.
        roster.problems.push(truncationProblem(path, item.line, item.cells.length, layout.cellCount));
        roster.complete = false;
        continue;
      }
      const checked = checkRow(item, layout.columns, layout.cellCount, rules);
      // The row's own list: no copy for each of a million rows.
      const { recordUid, problems } = checked;
      let duplicate = false;
      if (recordUid !== '') {
        const earlierLine = firstSeen.get(recordUid);
        if (earlierLine === undefined) {
          firstSeen.set(recordUid, item.line);
        } else {
          duplicate = true;
          problems.push(duplicateProblem(path, item.line, recordUid, earlierLine, checked.uidColumn));
        }
      }
      if (problems.length === 0 && checked.record !== undefined) {
        roster.records.push(checked.record);
      } else {
        roster.problems.push(...problems);
        // A bad row still says its user is in the roster, so that user is never removed because of it.
        if (recordUid !== '' && !duplicate) roster.invalidRecordUids.push(recordUid);
      }
    }
  }

  if (layout === undefined && roster.problems.length === 0) {
    roster.problems.push({ file: path, line: 1, message: 'the file is empty (expected a header line)' });
    roster.complete = false;
  }
  roster.problems.sort(byPosition);
  return roster;
}

function truncationProblem(file: string, line: number, found: number, expected: number): RosterProblem {
  return {
    file,
    line,
    // Where the cut is: the first cell that is not there.
    column: found + 1,
    message: `the last line ends after ${found} of ${expected} cells without a line break: the file is cut off`,
  };
}

function duplicateProblem(
  file: string,
  line: number,
  recordUid: string,
  earlierLine: number,
  uidColumn: MappedColumn | undefined,
): RosterProblem {
  return {
    file,
    line,
    ...(uidColumn === undefined
      ? {}
      : { column: uidColumn.index + 1, field: 'record_uid', header: uidColumn.header }),
    recordUid,
    message: `duplicate record_uid '${recordUid}' (first seen on line ${earlierLine})`,
  };
}

function byPosition(a: RosterProblem, b: RosterProblem): number {
  return a.line - b.line || (a.column ?? 0) - (b.column ?? 0);
}
