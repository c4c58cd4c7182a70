import type { Config } from '../config/index.js';
import type { DecodedText } from './decode.js';
import { CheckedCells, SharedValues } from './shared-values.js';
import type { ClassRef } from './types.js';

/** What row checks need from the configuration, with case-insensitive lookups prepared once. */
export interface RowRules {
  file: string;
  /** How the file was decoded, for the advice on bytes that could not be. */
  encoding: DecodedText['encoding'];
  encodingFromByteOrderMark: boolean;
  separator: string;
  roleNames: readonly string[];
  /** Lower-cased role → configured spelling. */
  roles: ReadonlyMap<string, string>;
  /** `csv.role_values`: local spelling → role, exactly as configured. */
  roleValues: ReadonlyMap<string, string>;
  /** `csv.role_values` with lower-cased keys, for a second, case-insensitive try. */
  roleValuesLoose: ReadonlyMap<string, string>;
  /** Only when `schools` is configured: lower-cased school → configured spelling. */
  schools?: ReadonlyMap<string, string>;
  schoolNames?: readonly string[];
  /** Equal schools, roles and classes of many rows as one value. */
  shared: SharedValues;
  /** Cells already checked without a problem: schools and roles by cell, classes by cell per schools list. */
  checked: {
    schools: CheckedCells<string[]>;
    roles: CheckedCells<string[]>;
    classes: WeakMap<readonly string[], CheckedCells<ClassRef[]>>;
  };
  /** Whether any column is mapped to an `attr:` field. */
  mapsAttributes: boolean;
}

export function rowRules(
  config: Config,
  file: string,
  decoded: Pick<DecodedText, 'encoding' | 'fromByteOrderMark'>,
): RowRules {
  const lowerKeys = (names: readonly string[]) => new Map(names.map((name) => [name.toLowerCase(), name]));
  const roleValuesLoose = new Map<string, string>();
  for (const [spelling, role] of Object.entries(config.csv.role_values)) {
    // The first spelling wins when two differ only in case.
    if (!roleValuesLoose.has(spelling.toLowerCase())) roleValuesLoose.set(spelling.toLowerCase(), role);
  }
  return {
    file,
    encoding: decoded.encoding,
    encodingFromByteOrderMark: decoded.fromByteOrderMark,
    separator: config.csv.multi_value_separator,
    roleNames: config.roles,
    roles: lowerKeys(config.roles),
    roleValues: new Map(Object.entries(config.csv.role_values)),
    roleValuesLoose,
    shared: new SharedValues(),
    checked: { schools: new CheckedCells(), roles: new CheckedCells(), classes: new WeakMap() },
    mapsAttributes: Object.values(config.csv.mapping).some((field) => field.startsWith('attr:')),
    ...(config.schools === undefined
      ? {}
      : { schools: lowerKeys(config.schools), schoolNames: config.schools }),
  };
}
