import { describe, expect, it } from 'vitest';
import { appendAll } from '../../src/arrays.js';

describe('appendAll', () => {
  it('appends lists far longer than push(...items) can take', () => {
    const many = Array.from({ length: 500_000 }, (_, index) => index);
    expect(() => [].push(...(many as never[]))).toThrow(RangeError);
    const target = [-1];
    appendAll(target, many);
    expect(target).toHaveLength(500_001);
    expect(target.at(-1)).toBe(499_999);
  });
});
