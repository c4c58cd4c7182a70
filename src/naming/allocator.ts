/**
 * Hands out unique names from templates within one run. The caller tells it which names the directory
 * already uses (and the reserved names of deleted users); results depend only on those and on the order
 * of calls, so a dry run and the real run agree.
 */
import { lowerCase } from '../dn.js';
import { EmptyNameError, NameCollisionError } from './errors.js';
import type { CounterKind, FieldValues, NameTemplate } from './template.js';

/**
 * The names in use before this run (lower-cased). A large directory is not read whole for them: the names
 * a run may give out are looked up, and `isUsed` answers for those (see `NameBook`).
 */
export interface UsedNames {
  isUsed(name: string): boolean;
  /**
   * While the names worth looking up are being found: how many further names of a counter's sequence to
   * ask about as well, past one that turned out taken. Zero or absent otherwise.
   */
  lookahead?(): number;
}

/** Names known one by one, e.g. a test's or a small snapshot's. */
export function usedNamesOf(names: Iterable<string>): UsedNames {
  const used = new Set<string>();
  for (const name of names) used.add(lowerCase(name));
  return { isUsed: (name) => used.has(name) };
}

export interface AllocateOptions {
  /** `scheme.max_length`; counts counter digits too. Ignored for e-mail templates. */
  maxLength?: number;
  /** Names the record in error messages, e.g. `record_uid 4711 (line 12)`. */
  record?: string;
}

export class NameAllocator {
  readonly #used: UsedNames;
  /** Taken in this run: given out, or in use by entries the run keeps. */
  readonly #taken = new Set<string>();
  /** Used before this run and freed by it (a deleted user's address), unless taken again. */
  readonly #released = new Set<string>();
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
    used: UsedNames | Iterable<string> = [],
    private readonly stillTaken?: (name: string) => readonly string[],
  ) {
    this.#used = isUsedNames(used) ? used : usedNamesOf(used);
  }

  isTaken(name: string): boolean {
    const lower = lowerCase(name);
    if (this.#holds(lower)) return true;
    return this.stillTaken?.(lower).some((left) => this.#holds(lowerCase(left))) ?? false;
  }

  #holds(lower: string): boolean {
    return this.#taken.has(lower) || (!this.#released.has(lower) && this.#used.isUsed(lower));
  }

  take(name: string): void {
    this.#taken.add(lowerCase(name));
  }

  /** Frees a name, e.g. the e-mail of a user deleted earlier in the same run. */
  release(name: string): void {
    const lower = lowerCase(name);
    this.#taken.delete(lower);
    this.#released.add(lower);
    this.#nextCounter.clear();
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
    const counterKind = template.counter;
    const nameAt = (counter: number) => template.compose(base, counterText(counterKind, counter), maxLength);
    const first = this.#nextCounter.get(hintKey) ?? 1;
    for (let counter = first; ; counter++) {
      const name = nameAt(counter);
      if (name === undefined) {
        throw new NameCollisionError(
          template.key,
          base,
          record,
          `has no free counter within max_length ${maxLength ?? ''}`.trimEnd(),
        );
      }
      if (!this.isTaken(name)) {
        if (counter > first) this.#askAhead(nameAt, counter);
        this.take(name);
        this.#nextCounter.set(hintKey, counter + 1);
        return name;
      }
    }
  }

  /**
   * While names to look up are being found, a sequence that met taken names asks about the ones after
   * `counter` too: a long run of them (`meier2`…`meier40`) is then found in a few rounds, not one per name.
   */
  #askAhead(nameAt: (counter: number) => string | undefined, counter: number): void {
    const ahead = this.#used.lookahead?.() ?? 0;
    for (let next = counter + 1; next <= counter + ahead; next++) {
      const name = nameAt(next);
      if (name === undefined) return;
      this.isTaken(name);
    }
  }
}

function isUsedNames(used: UsedNames | Iterable<string>): used is UsedNames {
  return typeof (used as Partial<UsedNames>).isUsed === 'function';
}

/** Attempt 1, 2, 3, … as counter text: COUNTER2 leaves the first attempt bare. */
function counterText(kind: CounterKind, attempt: number): string {
  return kind === 'COUNTER2' && attempt === 1 ? '' : String(attempt);
}
