/**
 * `target.push(...items)` passes every item as an argument and throws RangeError (maximum call stack size
 * exceeded) from about a hundred thousand of them: lists that grow with the directory are appended here.
 */
export function appendAll<T>(target: T[], items: Iterable<T>): void {
  for (const item of items) target.push(item);
}

/** The same values in the same order. */
export const sameList = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && a.every((value, index) => value === b[index]);
