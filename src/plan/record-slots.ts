/**
 * Values by record uid: one slot per roster record, at the record's position, and a map for the uids the
 * roster does not have. The planner finds each directory user's record by its uid once; its outcome then
 * goes to that record's slot without its uid being hashed again, and a million users' outcomes need no
 * map of their own (at that size each lookup in a map of a million is a cache miss).
 */
import type { RosterRecord } from '../roster/index.js';

export class RecordSlots<T> {
  private readonly positions = new Map<string, number>();
  private records: RosterRecord[] = [];
  private slots: (T | undefined)[];
  private readonly others = new Map<string, T>();

  constructor(records: Iterable<RosterRecord>) {
    for (const record of records) {
      this.positions.set(record.recordUid, this.records.length);
      this.records.push(record);
    }
    this.slots = new Array<T | undefined>(this.records.length).fill(undefined);
  }

  /** How many records there are. */
  get recordCount(): number {
    return this.records.length;
  }

  /** The position of the record with `recordUid`; undefined when the roster has none. */
  position(recordUid: string): number | undefined {
    return this.positions.get(recordUid);
  }

  recordAt(position: number): RosterRecord {
    const record = this.records[position];
    if (record === undefined) throw new RangeError(`no record at ${position}`);
    return record;
  }

  record(recordUid: string): RosterRecord | undefined {
    const position = this.positions.get(recordUid);
    return position === undefined ? undefined : this.records[position];
  }

  /** The uids of the records, in roster order. */
  recordUids(): string[] {
    return this.records.map((record) => record.recordUid);
  }

  valueAt(position: number): T | undefined {
    return this.slots[position];
  }

  setAt(position: number, value: T): void {
    this.slots[position] = value;
  }

  get(recordUid: string): T | undefined {
    const position = this.positions.get(recordUid);
    return position === undefined ? this.others.get(recordUid) : this.slots[position];
  }

  has(recordUid: string): boolean {
    return this.get(recordUid) !== undefined;
  }

  set(recordUid: string, value: T): void {
    const position = this.positions.get(recordUid);
    if (position === undefined) this.others.set(recordUid, value);
    else this.slots[position] = value;
  }

  delete(recordUid: string): void {
    const position = this.positions.get(recordUid);
    if (position === undefined) this.others.delete(recordUid);
    else this.slots[position] = undefined;
  }

  /** Every value: the records' in roster order, then the others'. */
  values(): T[] {
    const values: T[] = [];
    for (const value of this.slots) if (value !== undefined) values.push(value);
    for (const value of this.others.values()) values.push(value);
    return values;
  }

  /** Lets go of the records, the index and the values. */
  clear(): void {
    this.positions.clear();
    this.records = [];
    this.slots = [];
    this.others.clear();
  }
}
