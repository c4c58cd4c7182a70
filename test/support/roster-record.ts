/** A valid roster record as the roster reader makes it, as a plain value for the planner's unit tests. */
import type { RosterRecord } from '../../src/roster/index.js';

export function rosterRecord(recordUid: string, overrides: Partial<RosterRecord> = {}): RosterRecord {
  return {
    line: 2,
    recordUid,
    firstname: 'Jan',
    lastname: 'Meier',
    schools: ['gym1'],
    roles: ['student'],
    classes: [{ school: 'gym1', name: '5a' }],
    attributes: {},
    ...overrides,
  };
}
