/**
 * `target.push(...items)` passes every item as an argument and throws RangeError (maximum call stack size
 * exceeded) from about a hundred thousand of them: lists that grow with the directory are appended here.
 */
export function appendAll<T>(target: T[], items: Iterable<T>): void {
  for (const item of items) target.push(item);
}
