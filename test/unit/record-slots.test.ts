import { describe, expect, it } from 'vitest';
import { RecordSlots } from '../../src/plan/record-slots.js';
import { rosterRecord } from '../support/roster-record.js';

const slots = (): RecordSlots<string> =>
  new RecordSlots<string>(['a', 'b', 'c'].map((uid) => rosterRecord(uid)));

describe('RecordSlots', () => {
  it('finds a record by its uid once and keeps its value at that position', () => {
    const values = slots();
    expect(values.recordCount).toBe(3);
    const position = values.position('b');
    expect(position).toBe(1);
    expect(values.recordAt(1).recordUid).toBe('b');
    expect(values.record('c')?.recordUid).toBe('c');
    expect(values.position('x')).toBeUndefined();
    expect(values.record('x')).toBeUndefined();
    expect(() => values.recordAt(3)).toThrow(RangeError);

    values.setAt(1, 'outcome of b');
    expect(values.get('b')).toBe('outcome of b');
    expect(values.valueAt(1)).toBe('outcome of b');
    expect(values.has('a')).toBe(false);
  });

  it('keeps the values of uids the roster does not have apart, and lists the records’ first, in roster order', () => {
    const values = slots();
    values.set('z', 'directory only');
    values.set('c', 'outcome of c');
    values.set('a', 'outcome of a');
    expect(values.has('z')).toBe(true);
    expect(values.position('z')).toBeUndefined();
    expect(values.values()).toEqual(['outcome of a', 'outcome of c', 'directory only']);
    expect(values.recordUids()).toEqual(['a', 'b', 'c']);

    values.delete('a');
    values.delete('z');
    expect(values.has('a')).toBe(false);
    expect(values.has('z')).toBe(false);
    expect(values.record('a')?.recordUid).toBe('a'); // the record stays; only its value went
    expect(values.values()).toEqual(['outcome of c']);
  });

  it('lets go of everything on clear', () => {
    const values = slots();
    values.set('b', 'outcome of b');
    values.set('z', 'directory only');
    values.clear();
    expect(values.recordCount).toBe(0);
    expect(values.get('b')).toBeUndefined();
    expect(values.get('z')).toBeUndefined();
    expect(values.values()).toEqual([]);
  });
});
