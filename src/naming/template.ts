/**
 * Username and e-mail templates (SPEC §4.4), modelled on UCS@school's username scheme:
 * `<firstname>[0].<lastname>[COUNTER2]`, `<firstname>.<lastname>@school.example`.
 *
 * A template is compiled once, when the config is loaded, so a typo fails the run before anything is read;
 * rendering is then cheap and cannot fail on syntax.
 */
import { closestKey } from '../suggest.js';
import { TemplateError } from './errors.js';
import { hasLettersWithoutTransliteration, tidySeparators, toNameCharacters } from './transliterate.js';

/** `[COUNTER2]`: nothing first, then 2, 3, … on collision. `[ALWAYSCOUNTER]`: 1, 2, 3, … always. */
export type CounterKind = 'COUNTER2' | 'ALWAYSCOUNTER';
const COUNTERS: readonly CounterKind[] = ['COUNTER2', 'ALWAYSCOUNTER'];

export type TemplateKind = 'username' | 'email';

/** The string fields every caller may use; others come from `CompileOptions.fields` or `attr:<ldapName>`. */
export const STANDARD_FIELDS: readonly string[] = [
  'firstname',
  'lastname',
  'record_uid',
  'school',
  'role',
  'birthday',
  'email',
  'username',
];

/** Field values of one record; a missing value renders as nothing. */
export type FieldValues = Readonly<Record<string, string | undefined>>;

export interface CompileOptions {
  /** Default: `email` when the template contains `@`, else `username`. */
  kind?: TemplateKind;
  /** Further field names the caller will pass values for. */
  fields?: Iterable<string>;
}

export interface NameTemplate {
  /** The config key the template came from, for messages. */
  readonly key: string;
  readonly source: string;
  readonly kind: TemplateKind;
  readonly counter: CounterKind | undefined;
  /** The fields the template reads, in order of first use. */
  readonly fields: readonly string[];
  /**
   * The local part without its counter, transliterated and tidied; '' when nothing usable is left. When a
   * field the template reads has letters of a script without a reliable transliteration (Arabic, Hebrew,
   * Chinese…), the record uid instead: a stable, neutral name rather than a wrong one (`علي` would give
   * `ly`), which the admin can replace by giving the row a username.
   */
  base(values: FieldValues): string;
  /**
   * The whole name for a base and a counter text ('' for none). For usernames the base is cut so that
   * base + counter fit in `maxLength`; undefined when even one base character no longer fits.
   */
  compose(base: string, counter: string, maxLength?: number): string | undefined;
}

interface LiteralPart {
  kind: 'literal';
  text: string;
}

interface FieldPart {
  kind: 'field';
  field: string;
  start: number;
  end: number | undefined;
}

type Part = LiteralPart | FieldPart;

const FIELD_NAME = /^(?:[a-z][a-z0-9_]*|attr:[A-Za-z][A-Za-z0-9-]*)$/;
const COUNTER_LIKE = /^[A-Za-z]+\d*$/;
const SLICE = /^(?:(\d+)|(\d*):(\d*))$/;
const DOMAIN = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*$/;
/** Separators written right before the counter go with it: `<lastname>-[COUNTER2]` → `meier`, `meier-2`. */
const TRAILING_SEPARATORS = /[._-]+$/;

export function compileNameTemplate(
  template: string,
  key: string,
  options: CompileOptions = {},
): NameTemplate {
  const fail = (detail: string): never => {
    throw new TemplateError(key, detail);
  };
  const at = template.indexOf('@');
  const kind = options.kind ?? (at >= 0 ? 'email' : 'username');
  if (kind === 'username' && at >= 0) fail(`a username template cannot contain '@': '${template}'`);
  if (kind === 'email' && at < 0) fail(`an e-mail template needs '@domain': '${template}'`);
  if (at >= 0 && template.includes('@', at + 1)) fail(`more than one '@' in '${template}'`);

  const localSource = at >= 0 ? template.slice(0, at) : template;
  const domain = at >= 0 ? parseDomain(template.slice(at + 1), fail) : undefined;
  const known = [...STANDARD_FIELDS, ...(options.fields ?? [])];
  const counterPlace = kind === 'email' ? "local part (right before '@')" : 'name';
  const { parts, counter } = parseLocalPart(localSource, known, counterPlace, fail);
  if (parts.length === 0) fail(`the template has no name part besides a counter: '${template}'`);

  let counterPrefix = '';
  const last = parts.at(-1);
  if (counter !== undefined && last?.kind === 'literal') {
    counterPrefix = TRAILING_SEPARATORS.exec(last.text)?.[0] ?? '';
    last.text = last.text.slice(0, last.text.length - counterPrefix.length);
  }
  const fields = [...new Set(parts.flatMap((part) => (part.kind === 'field' ? [part.field] : [])))];

  return {
    key,
    source: template,
    kind,
    counter,
    fields,
    base: (values) =>
      fields.some((field) => field !== 'record_uid' && hasLettersWithoutTransliteration(values[field] ?? ''))
        ? recordUidName(values.record_uid)
        : tidySeparators(parts.map((part) => renderPart(part, values)).join('')),
    compose: (base, counterText, maxLength) => {
      const suffix = counterText === '' ? '' : counterPrefix + counterText;
      let fitted = base;
      if (kind === 'username' && maxLength !== undefined) {
        const room = maxLength - suffix.length;
        if (room < 1) return undefined;
        fitted = tidySeparators(base.slice(0, room));
      }
      if (fitted === '') return undefined;
      return domain === undefined ? fitted + suffix : `${fitted}${suffix}@${domain}`;
    },
  };
}

/**
 * Why a template from the config cannot be used, or undefined when it compiles. Config validation calls
 * this, so `config check` and the import reject a template with the same words.
 */
export function templateProblem(
  template: string,
  key: string,
  options: CompileOptions = {},
): string | undefined {
  try {
    compileNameTemplate(template, key, options);
    return undefined;
  } catch (error) {
    if (error instanceof TemplateError) return error.detail;
    throw error;
  }
}

/** The record uid as name characters; '' when it has no usable characters or is untransliterable itself. */
function recordUidName(recordUid: string | undefined): string {
  if (recordUid === undefined || hasLettersWithoutTransliteration(recordUid)) return '';
  return tidySeparators(toNameCharacters(recordUid));
}

function renderPart(part: Part, values: FieldValues): string {
  if (part.kind === 'literal') return part.text;
  // Slices count characters of the cleaned value, so `[0:3]` gives three letters of the final name.
  return tidySeparators(toNameCharacters(values[part.field] ?? '')).slice(part.start, part.end);
}

function parseDomain(text: string, fail: (detail: string) => never): string {
  if (/[<>[\]]/.test(text))
    fail(`the domain after '@' must be literal text, not a field or counter: '${text}'`);
  const domain = text.trim().toLowerCase();
  if (!DOMAIN.test(domain)) fail(`'${text}' is not a valid mail domain`);
  return domain;
}

function parseLocalPart(
  text: string,
  knownFields: readonly string[],
  counterPlace: string,
  fail: (detail: string) => never,
): { parts: Part[]; counter: CounterKind | undefined } {
  const parts: Part[] = [];
  let counter: CounterKind | undefined;
  let literal = '';
  const flushLiteral = (): void => {
    const cleaned = toNameCharacters(literal);
    if (cleaned !== '') parts.push({ kind: 'literal', text: cleaned });
    literal = '';
  };

  let index = 0;
  while (index < text.length) {
    const char = text.charAt(index);
    if (counter !== undefined)
      fail(`a counter must come last in the ${counterPlace} and only once: '${text}'`);
    if (char === '<') {
      const close = text.indexOf('>', index);
      if (close < 0) fail(`'<' without '>' in '${text}'`);
      const field = text.slice(index + 1, close);
      checkField(field, knownFields, fail);
      flushLiteral();
      index = close + 1;
      const bracket = bracketAt(text, index, fail);
      // A bracket holding a word is a counter (or a misspelt one), anything else a slice.
      const slice = bracket === undefined || COUNTER_LIKE.test(bracket.inner) ? undefined : bracket;
      const range = slice === undefined ? { start: 0, end: undefined } : parseSlice(field, slice.inner, fail);
      parts.push({ kind: 'field', field, ...range });
      if (slice !== undefined) index = slice.next;
    } else if (char === '[') {
      const bracket = bracketAt(text, index, fail) ?? { inner: '', next: text.length };
      const inner = bracket.inner;
      if (!isCounter(inner)) {
        const hint = closestKey(inner, COUNTERS);
        fail(
          hint === undefined
            ? `unexpected '[${inner}]' (a slice must follow a field, counters are [COUNTER2] and [ALWAYSCOUNTER])`
            : `unknown counter [${inner}]; did you mean [${hint}]?`,
        );
      }
      flushLiteral();
      counter = inner;
      index = bracket.next;
    } else if (char === '>' || char === ']') {
      fail(`unexpected '${char}' in '${text}'`);
    } else {
      literal += char;
      index += 1;
    }
  }
  flushLiteral();
  return { parts, counter };
}

function isCounter(inner: string): inner is CounterKind {
  return (COUNTERS as readonly string[]).includes(inner);
}

function bracketAt(
  text: string,
  index: number,
  fail: (detail: string) => never,
): { inner: string; next: number } | undefined {
  if (text.charAt(index) !== '[') return undefined;
  const close = text.indexOf(']', index);
  if (close < 0) fail(`'[' without ']' in '${text}'`);
  return { inner: text.slice(index + 1, close), next: close + 1 };
}

function checkField(field: string, knownFields: readonly string[], fail: (detail: string) => never): void {
  if (FIELD_NAME.test(field) && (field.startsWith('attr:') || knownFields.includes(field))) return;
  const hint = closestKey(field, knownFields);
  fail(`unknown field <${field}>${hint === undefined ? '' : `; did you mean <${hint}>?`}`);
}

function parseSlice(
  field: string,
  inner: string,
  fail: (detail: string) => never,
): { start: number; end: number | undefined } {
  const match = SLICE.exec(inner);
  if (match === null) fail(`invalid slice [${inner}] after <${field}> (expected [N], [N:M] or [N:])`);
  const [, single, from, to] = match;
  if (single !== undefined) return { start: Number(single), end: Number(single) + 1 };
  const start = from === undefined || from === '' ? 0 : Number(from);
  const end = to === undefined || to === '' ? undefined : Number(to);
  if (end !== undefined && end <= start) fail(`slice [${inner}] after <${field}> is always empty`);
  return { start, end };
}
