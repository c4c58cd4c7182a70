/** The roster as read from one CSV file (SPEC §4.1–4.2). */

/** A class of one school; `name` is the class name without the school prefix. */
export interface ClassRef {
  school: string;
  name: string;
}

/** The action a mapped `action` column forces for its row (UCS's `__action`): add, modify, delete. */
export type RowAction = 'A' | 'M' | 'D';

/** One valid roster row. */
export interface RosterRecord {
  /** 1-based physical line where the record starts (the header is line 1). */
  line: number;
  recordUid: string;
  firstname: string;
  lastname: string;
  /** The first school is the primary one; configured spelling when `schools` is set. */
  schools: string[];
  /** Canonical roles from `roles` (after `csv.role_values`), deduplicated. */
  roles: string[];
  classes: ClassRef[];
  /** Trimmed, domain part lower-cased. */
  email?: string;
  /** ISO `YYYY-MM-DD`. */
  birthday?: string;
  /** Only when a column is mapped to `username`. */
  username?: string;
  /** Only when a column is mapped to `password`; never logged. */
  password?: string;
  /** Only when a column is mapped to `action`. */
  action?: RowAction;
  /**
   * `attr:<ldapName>` fields by LDAP attribute name, split on the multi-value separator. A mapped
   * column with an empty cell gives an empty list: the roster says the attribute has no values.
   */
  attributes: Record<string, string[]>;
}

/** One thing wrong with the roster, pointing at the file, line and (where there is one) column. */
export interface RosterProblem {
  file: string;
  line: number;
  /** 1-based index of the CSV column. */
  column?: number;
  field?: string;
  header?: string;
  recordUid?: string;
  message: string;
}

export interface Roster {
  file: string;
  /** Rows that passed validation, in file order. */
  records: RosterRecord[];
  /** Record uids of rows that failed validation but had a usable uid: their users count as present. */
  invalidRecordUids: string[];
  problems: RosterProblem[];
  /** Data rows read (excluding the header and blank lines). */
  rowCount: number;
  /**
   * False when part of the file could not be read as rows at all (a mapped column is missing, or
   * broken quoting swallowed rows). Who is in the unreadable part is unknown, so nobody may be
   * removed on the strength of such a roster, whatever `tolerate_errors` says.
   */
  complete: boolean;
}
