/** Hands out the lowest free uidNumber/gidNumber at or above a minimum; deterministic for a given taken set. */
export class NumberAllocator {
  private readonly taken: Set<number>;
  private candidate: number;

  constructor(min: number, taken: Iterable<number>) {
    this.taken = new Set(taken);
    this.candidate = min;
  }

  next(): number {
    while (this.taken.has(this.candidate)) this.candidate += 1;
    const number = this.candidate;
    this.taken.add(number);
    return number;
  }
}
