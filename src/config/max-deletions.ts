/** `safety.max_deletions` (and `--max-deletions`): a count, or a share of the in-scope users. */
export type MaxDeletions = { kind: 'count'; count: number } | { kind: 'percent'; percent: number };

/** Parses `N` (a whole number ≥ 0) or `"N%"` (0 ≤ N ≤ 100); undefined when it is neither. */
export function parseMaxDeletions(value: unknown): MaxDeletions | undefined {
  if (typeof value === 'number') {
    return Number.isSafeInteger(value) && value >= 0 ? { kind: 'count', count: value } : undefined;
  }
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return parseMaxDeletions(Number(text));
  const percent = /^(\d+(?:\.\d+)?)\s*%$/.exec(text);
  if (percent === null) return undefined;
  const share = Number(percent[1]);
  return share <= 100 ? { kind: 'percent', percent: share } : undefined;
}

/** The file form of a parsed limit, e.g. `10%` or `25`. */
export function formatMaxDeletions(limit: MaxDeletions): number | string {
  return limit.kind === 'count' ? limit.count : `${limit.percent}%`;
}
