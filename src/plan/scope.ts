/** Which schools a run manages: those given with `--school`, or every school. Ids compare case-insensitively. */
export class Scope {
  private readonly schools: ReadonlySet<string>;

  constructor(readonly given: readonly string[]) {
    this.schools = new Set(given.map((school) => school.toLowerCase()));
  }

  get all(): boolean {
    return this.schools.size === 0;
  }

  includes(school: string): boolean {
    return this.all || this.schools.has(school.toLowerCase());
  }

  /** Whether any of these schools is managed by this run. */
  touches(schools: readonly string[]): boolean {
    return schools.some((school) => this.includes(school));
  }
}
