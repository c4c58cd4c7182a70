/**
 * A roster repeats a few schools, roles and classes across thousands of rows. Equal lists and class refs
 * are kept once and shared by every record that has them (frozen, so that no holder can change another's),
 * which is most of what a record would otherwise hold beyond its own uid and names.
 */
import type { ClassRef } from './types.js';

const EMPTY_ATTRIBUTES: Record<string, string[]> = Object.freeze({});

export class SharedValues {
  private readonly lists = new Map<string, string[]>();
  private readonly classRefs = new Map<string, ClassRef>();
  private readonly classLists = new Map<string, ClassRef[]>();

  /** The shared list equal to `values` (same strings, same order). */
  list(values: string[]): string[] {
    const key = values.join('\0');
    const known = this.lists.get(key);
    if (known !== undefined) return known;
    const shared = Object.freeze(values.map((value) => this.string(value))) as string[];
    this.lists.set(key, shared);
    return shared;
  }

  /** The shared class ref of `school` and `name`. */
  classRef(school: string, name: string): ClassRef {
    const key = `${school}\n${name}`;
    const known = this.classRefs.get(key);
    if (known !== undefined) return known;
    const shared = Object.freeze({ school, name });
    this.classRefs.set(key, shared);
    return shared;
  }

  /** The shared list of these (shared) class refs. */
  classList(refs: ClassRef[]): ClassRef[] {
    const key = refs.map((ref) => `${ref.school}\n${ref.name}`).join('\0');
    const known = this.classLists.get(key);
    if (known !== undefined) return known;
    const shared = Object.freeze(refs) as ClassRef[];
    this.classLists.set(key, shared);
    return shared;
  }

  /** A record's `attr:` fields when the mapping has none: one empty object for all of them. */
  emptyAttributes(): Record<string, string[]> {
    return EMPTY_ATTRIBUTES;
  }

  /** One string for equal values (a one-element list's key is the value itself). */
  private string(value: string): string {
    return this.lists.get(value)?.[0] ?? value;
  }
}

/** How many distinct cells of a kind are remembered: rosters repeat a few; a roster that does not stays bounded. */
const MAX_CHECKED_CELLS = 10_000;

/**
 * A multi-value cell that passed its checks, by its text: the next row with the same cell (most rows, as a
 * roster repeats its schools, roles and classes) gets the same shared list without parsing it again.
 */
export class CheckedCells<T> {
  private readonly byCell = new Map<string, T>();

  get(cell: string): T | undefined {
    return this.byCell.get(cell);
  }

  set(cell: string, value: T): void {
    if (this.byCell.size < MAX_CHECKED_CELLS) this.byCell.set(cell, value);
  }
}
