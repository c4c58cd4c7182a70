/**
 * Settled users: what an incremental import remembers of the users it found holding their roster rows.
 *
 * A key is a 64-bit hash of one roster row (as the planner reads it) together with the DN, `uid` and
 * `entryCSN` of the entry that held it. It states a fact about one version of one entry: any change to the
 * entry, by anyone and on any replica, gives it a new `entryCSN`, and any change to the row gives a new
 * key. So a key never needs to be forgotten or checked for staleness, and a lost or stale set of keys only
 * makes a run read more. The facts hold for one config, one rostersync version and one `--school` scope:
 * the saved set records those and is not used under others (`src/state/settled.ts`).
 */
import { hash } from 'node:crypto';
import type { RosterRecord } from '../roster/index.js';

/** The entry a key is about. */
export interface SettledEntry {
  dn: string;
  username: string;
  entryCSN?: string | undefined;
}

/**
 * The key of `record` held by `entry`; undefined when the entry's CSN was not read. The row's line is left
 * out (rows move in the file without meaning anything), and so is its password: an existing user's password
 * is not the import's to change, and a hash of it must not sit in a state file.
 */
export function settledKey(record: RosterRecord, entry: SettledEntry): bigint | undefined {
  if (entry.entryCSN === undefined) return undefined;
  const text = JSON.stringify([
    record.recordUid,
    record.firstname,
    record.lastname,
    record.schools,
    record.roles,
    record.classes.map(({ school, name }) => [school, name]),
    record.email ?? null,
    record.birthday ?? null,
    record.username ?? null,
    record.action ?? null,
    Object.entries(record.attributes),
    entry.dn,
    entry.username,
    entry.entryCSN,
  ]);
  // As hex: a Buffer per key costs twice the time, and its memory outside the heap lingers until collected.
  return BigInt(`0x${hash('sha256', text, 'hex').slice(0, 16)}`);
}

/** A set of keys, sorted for binary search: eight bytes a user. */
export class SettledKeys {
  constructor(private readonly sorted: BigUint64Array) {}

  static empty(): SettledKeys {
    return new SettledKeys(new BigUint64Array(0));
  }

  get size(): number {
    return this.sorted.length;
  }

  get keys(): BigUint64Array {
    return this.sorted;
  }

  has(key: bigint): boolean {
    const { sorted } = this;
    let low = 0;
    let high = sorted.length - 1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      const value = sorted[middle] as bigint;
      if (value === key) return true;
      if (value < key) low = middle + 1;
      else high = middle - 1;
    }
    return false;
  }
}

/**
 * Collects the keys of a run, in a typed array sized for the expected count (the roster's rows) that
 * doubles if it fills.
 */
export class SettledKeysBuilder {
  private buffer: BigUint64Array;
  private length = 0;

  constructor(expected = 1024) {
    this.buffer = new BigUint64Array(Math.max(expected, 16));
  }

  add(key: bigint): void {
    if (this.length === this.buffer.length) {
      const larger = new BigUint64Array(this.buffer.length * 2);
      larger.set(this.buffer);
      this.buffer = larger;
    }
    this.buffer[this.length++] = key;
  }

  get size(): number {
    return this.length;
  }

  /** The keys sorted, duplicates removed, in place: the builder is done with after this. */
  build(): SettledKeys {
    const keys = this.buffer.subarray(0, this.length).sort();
    let unique = 0;
    for (let index = 0; index < keys.length; index++) {
      if (index === 0 || keys[index] !== keys[unique - 1]) keys[unique++] = keys[index] as bigint;
    }
    return new SettledKeys(keys.subarray(0, unique));
  }
}
