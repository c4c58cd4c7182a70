/** The roster: reading and validating the CSV input of an import (SPEC §4.1–4.2). */
export { formatProblem } from './format.js';
export { readRoster } from './read.js';
export type { ClassRef, Roster, RosterProblem, RosterRecord, RowAction } from './types.js';
