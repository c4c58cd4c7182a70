/**
 * Failed sign-ins per client address in a sliding window: past the limit, sign-in is refused (429) until the
 * oldest failure leaves the window. Successful sign-ins do not count; a success clears the address.
 */
export interface FailureLimit {
  max: number;
  windowMs: number;
}

export const SIGN_IN_FAILURE_LIMIT: FailureLimit = { max: 5, windowMs: 15 * 60_000 };

export class FailureLimiter {
  readonly #failures = new Map<string, number[]>();

  constructor(private readonly limit: FailureLimit = SIGN_IN_FAILURE_LIMIT) {}

  /** Seconds until `key` may try again; 0 when it may now. */
  retryAfter(key: string, now = Date.now()): number {
    const recent = this.#recent(key, now);
    if (recent.length < this.limit.max) return 0;
    const oldest = recent[0] ?? now;
    return Math.max(1, Math.ceil((oldest + this.limit.windowMs - now) / 1000));
  }

  fail(key: string, now = Date.now()): void {
    this.#failures.set(key, [...this.#recent(key, now), now]);
  }

  succeed(key: string): void {
    this.#failures.delete(key);
  }

  #recent(key: string, now: number): number[] {
    const recent = (this.#failures.get(key) ?? []).filter((at) => at > now - this.limit.windowMs);
    if (recent.length === 0) this.#failures.delete(key);
    else this.#failures.set(key, recent);
    return recent;
  }
}
