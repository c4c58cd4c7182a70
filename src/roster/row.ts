import type { MappedColumn } from './header.js';
import type { CsvRow } from './rows.js';
import type { RowRules } from './rules.js';
import { CheckedCells } from './shared-values.js';
import type { ClassRef, RosterProblem, RosterRecord, RowAction } from './types.js';
import {
  characterCount,
  findControlCharacter,
  MAX_LENGTH,
  normalizeEmail,
  parseBirthday,
  SCHOOL_ID_PATTERN,
  splitValues,
} from './values.js';

export interface CheckedRow {
  /** Present only when the row has no problems. */
  record?: RosterRecord;
  /** The row's record uid as far as it could be read ('' if none). */
  recordUid: string;
  /** The mapped record_uid column, for problems about the uid. */
  uidColumn?: MappedColumn;
  problems: RosterProblem[];
}

const ACTIONS: readonly RowAction[] = ['A', 'M', 'D'];

/** Checks one data row against the mapped columns and the configuration; collects every problem. */
export function checkRow(
  row: CsvRow,
  columns: MappedColumn[],
  cellCount: number,
  rules: RowRules,
): CheckedRow {
  const uidColumn = columns.find((column) => column.field === 'record_uid');
  const check = new RowCheck(row, rules);
  if (row.cells.length !== cellCount) {
    check.problems.push({
      file: rules.file,
      line: row.line,
      // The first cell missing, or the first one too many.
      column: Math.min(row.cells.length, cellCount) + 1,
      message: `expected ${cellCount} cells (as in the header), found ${row.cells.length}; row skipped`,
    });
    // The uid may still be where it belongs; keeping it stops its user from being removed.
    const recordUid = uidColumn === undefined ? '' : (row.cells[uidColumn.index] ?? '');
    return check.finish(undefined, recordUid, uidColumn);
  }

  check.reportUndecodableCell(columns);
  const record: RosterRecord = {
    line: row.line,
    recordUid: '',
    firstname: '',
    lastname: '',
    schools: [],
    roles: [],
    classes: [],
    attributes: rules.mapsAttributes ? {} : rules.shared.emptyAttributes(),
  };
  let classColumn: MappedColumn | undefined;
  for (const column of columns) {
    const cell = row.cells[column.index] ?? '';
    switch (column.field) {
      case 'record_uid':
        record.recordUid = check.text(column, cell, { required: true, max: MAX_LENGTH.record_uid });
        break;
      case 'firstname':
        record.firstname = check.text(column, cell, { required: true, max: MAX_LENGTH.firstname });
        break;
      case 'lastname':
        record.lastname = check.text(column, cell, { required: true, max: MAX_LENGTH.lastname });
        break;
      case 'schools':
        record.schools = check.schools(column, cell);
        break;
      case 'role':
        record.roles = check.roles(column, cell);
        break;
      case 'classes':
        // Class prefixes name schools, so classes are read once the schools are known.
        classColumn = column;
        break;
      case 'email':
        setIfDefined(record, 'email', check.email(column, cell));
        break;
      case 'birthday':
        setIfDefined(record, 'birthday', check.birthday(column, cell));
        break;
      case 'username':
        setIfDefined(record, 'username', optional(check.text(column, cell, { max: MAX_LENGTH.username })));
        break;
      case 'password':
        setIfDefined(record, 'password', optional(check.text(column, cell, {})));
        break;
      case 'action':
        setIfDefined(record, 'action', check.action(column, cell));
        break;
      default:
        if (column.field.startsWith('attr:')) {
          record.attributes[column.field.slice('attr:'.length)] = check.attribute(column, cell);
        }
    }
  }
  if (classColumn !== undefined) {
    record.classes = check.classes(classColumn, row.cells[classColumn.index] ?? '', record.schools);
  }
  return check.finish(record, record.recordUid, uidColumn);
}

function optional(value: string): string | undefined {
  return value === '' ? undefined : value;
}

function setIfDefined<K extends keyof RosterRecord>(
  record: RosterRecord,
  key: K,
  value: RosterRecord[K],
): void {
  if (value !== undefined) record[key] = value;
}

/** The checks of one row, sharing its problem list. */
class RowCheck {
  readonly problems: RosterProblem[] = [];

  constructor(
    private readonly row: CsvRow,
    private readonly rules: RowRules,
  ) {}

  finish(
    record: RosterRecord | undefined,
    recordUid: string,
    uidColumn: MappedColumn | undefined,
  ): CheckedRow {
    const problems =
      recordUid === '' ? this.problems : this.problems.map((problem) => ({ ...problem, recordUid }));
    return {
      ...(problems.length === 0 && record !== undefined ? { record } : {}),
      recordUid,
      ...(uidColumn === undefined ? {} : { uidColumn }),
      problems,
    };
  }

  report(column: MappedColumn, message: string): void {
    this.problems.push({
      file: this.rules.file,
      line: this.row.line,
      column: column.index + 1,
      field: column.field,
      header: column.header,
      message,
    });
  }

  /** A U+FFFD means the decoder met bytes that are not valid in the file's encoding. */
  reportUndecodableCell(columns: MappedColumn[]): void {
    const column = columns.find((candidate) => this.row.cells[candidate.index]?.includes('\uFFFD'));
    if (column === undefined) return;
    this.report(column, undecodableMessage(this.rules));
  }

  /** A single value; never repeated in messages, so it is safe for passwords too. */
  text(column: MappedColumn, cell: string, options: { required?: boolean; max?: number }): string {
    if (cell === '') {
      if (options.required === true) this.report(column, 'must not be empty');
      return '';
    }
    this.controlCharacters(column, cell);
    if (options.max !== undefined) this.length(column, cell, options.max);
    return cell;
  }

  schools(column: MappedColumn, cell: string): string[] {
    const checked = this.rules.checked.schools;
    const before = this.problems.length;
    return checked.get(cell) ?? this.remember(checked, cell, this.parseSchools(column, cell), before);
  }

  /** `value`, remembered for `cell` when checking it found no problem. */
  private remember<T>(checked: CheckedCells<T>, cell: string, value: T, problemsBefore: number): T {
    if (this.problems.length === problemsBefore) checked.set(cell, value);
    return value;
  }

  private parseSchools(column: MappedColumn, cell: string): string[] {
    this.multiValueControlCharacters(column, cell);
    const values = splitValues(cell, this.rules.separator);
    if (values.length === 0) this.report(column, 'at least one school is required');
    const schools: string[] = [];
    for (const value of values) {
      const { schools: known, schoolNames } = this.rules;
      if (known !== undefined) {
        const school = known.get(value.toLowerCase());
        if (school === undefined) {
          this.report(column, `unknown school '${value}' (known: ${schoolNames?.join(', ') ?? ''})`);
        } else {
          schools.push(school);
        }
      } else if (!SCHOOL_ID_PATTERN.test(value)) {
        this.report(
          column,
          `'${value}' is not a valid school id (letters, digits, '_', '.', '-'; starting with a letter or digit)`,
        );
      } else {
        schools.push(value);
      }
    }
    return this.rules.shared.list(schools.length < 2 ? schools : [...new Set(schools)]);
  }

  roles(column: MappedColumn, cell: string): string[] {
    const checked = this.rules.checked.roles;
    const before = this.problems.length;
    return checked.get(cell) ?? this.remember(checked, cell, this.parseRoles(column, cell), before);
  }

  private parseRoles(column: MappedColumn, cell: string): string[] {
    this.multiValueControlCharacters(column, cell);
    const values = splitValues(cell, this.rules.separator);
    if (values.length === 0) this.report(column, 'at least one role is required');
    const roles: string[] = [];
    for (const value of values) {
      const local =
        this.rules.roleValues.get(value) ?? this.rules.roleValuesLoose.get(value.toLowerCase()) ?? value;
      const role = this.rules.roles.get(local.toLowerCase());
      if (role === undefined) {
        this.report(column, `unknown role '${value}' (known: ${this.rules.roleNames.join(', ')})`);
      } else {
        roles.push(role);
      }
    }
    return this.rules.shared.list(roles.length < 2 ? roles : [...new Set(roles)]);
  }

  /** `SCHOOL-CLASS` belongs to SCHOOL when that is one of the row's schools; else to the primary school. */
  classes(column: MappedColumn, cell: string, schools: string[]): ClassRef[] {
    const byCell = this.rules.checked.classes;
    let checked = byCell.get(schools);
    if (checked === undefined) byCell.set(schools, (checked = new CheckedCells()));
    const before = this.problems.length;
    return (
      checked.get(cell) ?? this.remember(checked, cell, this.parseClasses(column, cell, schools), before)
    );
  }

  private parseClasses(column: MappedColumn, cell: string, schools: string[]): ClassRef[] {
    this.multiValueControlCharacters(column, cell);
    const classes = new Map<string, ClassRef>();
    for (const value of splitValues(cell, this.rules.separator)) {
      const school = longestSchoolPrefix(value, schools);
      const ref: ClassRef =
        school === undefined
          ? this.rules.shared.classRef(schools[0] ?? '', value)
          : this.rules.shared.classRef(school, value.slice(school.length + 1).trim());
      if (ref.name === '') {
        this.report(column, `class '${value}' has no name after the school`);
        continue;
      }
      if (characterCount(ref.name) > MAX_LENGTH.class) {
        this.report(column, `class name '${ref.name}' is longer than ${MAX_LENGTH.class} characters`);
        continue;
      }
      classes.set(`${ref.school}\n${ref.name}`, ref);
    }
    return this.rules.shared.classList([...classes.values()]);
  }

  email(column: MappedColumn, cell: string): string | undefined {
    if (cell === '') return undefined;
    if (this.controlCharacters(column, cell) || !this.length(column, cell, MAX_LENGTH.email))
      return undefined;
    const email = normalizeEmail(cell);
    if (email === undefined) this.report(column, `'${cell}' is not a valid e-mail address`);
    return email;
  }

  birthday(column: MappedColumn, cell: string): string | undefined {
    if (cell === '') return undefined;
    if (this.controlCharacters(column, cell)) return undefined;
    const birthday = parseBirthday(cell);
    if (birthday === undefined) {
      this.report(column, `'${cell}' is not a valid date (expected YYYY-MM-DD or DD.MM.YYYY)`);
    }
    return birthday;
  }

  action(column: MappedColumn, cell: string): RowAction | undefined {
    if (cell === '') return undefined;
    if (this.controlCharacters(column, cell)) return undefined;
    const action = ACTIONS.find((candidate) => candidate === cell.toUpperCase());
    if (action === undefined) this.report(column, `unknown action '${cell}' (expected A, M or D, or empty)`);
    return action;
  }

  attribute(column: MappedColumn, cell: string): string[] {
    this.multiValueControlCharacters(column, cell);
    const values = splitValues(cell, this.rules.separator);
    for (const value of values) {
      if (characterCount(value) > MAX_LENGTH.attribute) {
        this.report(column, `a value is longer than ${MAX_LENGTH.attribute} characters`);
      }
    }
    return values;
  }

  /** Reports a control character; true if there was one. The value itself is not repeated. */
  /**
   * Line breaks around the separators of a multi-value cell are layout (a quoted cell written one value
   * per line), not content: only the values themselves must be free of control characters.
   */
  private multiValueControlCharacters(column: MappedColumn, cell: string): boolean {
    const { separator } = this.rules;
    const values = cell.includes(separator) ? splitValues(cell, separator).join(separator) : cell.trim();
    return this.controlCharacters(column, values);
  }

  private controlCharacters(column: MappedColumn, cell: string): boolean {
    const found = findControlCharacter(cell);
    if (found !== undefined) this.report(column, `contains a control character (${found})`);
    return found !== undefined;
  }

  /** Reports a value over `max` characters; true if the length is fine. */
  private length(column: MappedColumn, cell: string, max: number): boolean {
    const count = characterCount(cell);
    if (count > max) this.report(column, `is ${count} characters long (at most ${max})`);
    return count <= max;
  }
}

function longestSchoolPrefix(value: string, schools: string[]): string | undefined {
  const lowerValue = value.toLowerCase();
  let found: string | undefined;
  for (const school of schools) {
    if (lowerValue.startsWith(`${school.toLowerCase()}-`) && school.length > (found?.length ?? -1))
      found = school;
  }
  return found;
}

function undecodableMessage(rules: RowRules): string {
  const { encoding } = rules;
  if (rules.encodingFromByteOrderMark) {
    // The mark overrides csv.encoding, so changing that would not help: the file itself is broken.
    return `contains bytes that are not valid ${encoding.toUpperCase()}, although the file starts with a ${encoding.toUpperCase()} byte order mark`;
  }
  return encoding === 'utf-8'
    ? 'contains bytes that are not valid UTF-8; if the file comes from Excel or another Windows program, set csv.encoding: windows-1252'
    : `contains bytes that cannot be decoded as ${encoding} (check csv.encoding)`;
}
