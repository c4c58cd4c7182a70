/**
 * Hands out unique names from templates within one run. The caller seeds it with every name already in
 * the directory (and the reserved names of deleted users); results depend only on that set and on the
 * order of calls, so a dry run and the real run agree.
 */
import { EmptyNameError, NameCollisionError } from './errors.js';
import type { CounterKind, FieldValues, NameTemplate } from './template.js';

export interface AllocateOptions {
  /** `scheme.max_length`; counts counter digits too. Ignored for e-mail templates. */
  maxLength?: number;
  /** Names the record in error messages, e.g. `record_uid 4711 (line 12)`. */
  record?: string;
}

export class NameAllocator {
  readonly #taken = new Set<string>();
  /**
   * The first counter worth trying per template, base and length: every lower one is known taken. Saves
   * rescanning long runs of `meier2`…`meier40`; dropped on release, when a lower one may be free again.
   */
  readonly #nextCounter = new Map<string, number>();

  /**
   * `stillTaken`: names a name leaves behind when it is given up — the pseudonyms of a retired user (SPEC
   * §8): a name is taken while any of them is, so a retired name is never handed out again.
   */
  constructor(
    taken: Iterable<string> = [],
    private readonly stillTaken?: (name: string) => readonly string[],
  ) {
    for (const name of taken) this.take(name);
  }

  isTaken(name: string): boolean {
    const lower = name.toLowerCase();
    if (this.#taken.has(lower)) return true;
    return this.stillTaken?.(lower).some((left) => this.#taken.has(left.toLowerCase())) ?? false;
  }

  take(name: string): void {
    this.#taken.add(name.toLowerCase());
  }

  /** Frees a name, e.g. the e-mail of a user deleted earlier in the same run. */
  release(name: string): void {
    if (this.#taken.delete(name.toLowerCase())) this.#nextCounter.clear();
  }

  /** The first free name the template allows for these values; it is taken from then on. */
  allocate(template: NameTemplate, values: FieldValues, options: AllocateOptions = {}): string {
    const { maxLength, record } = options;
    const base = template.base(values);
    if (base === '') throw new EmptyNameError(template.key, record);

    if (template.counter === undefined) {
      const name = template.compose(base, '', maxLength);
      if (name === undefined) throw new EmptyNameError(template.key, record);
      if (this.isTaken(name)) throw new NameCollisionError(template.key, name, record);
      this.take(name);
      return name;
    }

    const hintKey = `${template.source}\n${base}\n${maxLength ?? ''}`;
    for (let counter = this.#nextCounter.get(hintKey) ?? 1; ; counter++) {
      const name = template.compose(base, counterText(template.counter, counter), maxLength);
      if (name === undefined) {
        throw new NameCollisionError(
          template.key,
          base,
          record,
          `has no free counter within max_length ${maxLength ?? ''}`.trimEnd(),
        );
      }
      if (!this.isTaken(name)) {
        this.take(name);
        this.#nextCounter.set(hintKey, counter + 1);
        return name;
      }
    }
  }
}

/** Attempt 1, 2, 3, … as counter text: COUNTER2 leaves the first attempt bare. */
function counterText(kind: CounterKind, attempt: number): string {
  return kind === 'COUNTER2' && attempt === 1 ? '' : String(attempt);
}
