export { type AllocateOptions, NameAllocator, type UsedNames, usedNamesOf } from './allocator.js';
export { EmptyNameError, NameCollisionError, NameError, TemplateError } from './errors.js';
export {
  type CompileOptions,
  compileNameTemplate,
  type CounterKind,
  type FieldValues,
  type NameTemplate,
  STANDARD_FIELDS,
  type TemplateKind,
} from './template.js';
export {
  hasLettersWithoutTransliteration,
  tidySeparators,
  toNameCharacters,
  transliterate,
} from './transliterate.js';
export {
  type PseudonymSettings,
  RETIRED_RECORD_PREFIX,
  type RetirementHash,
  retiredEmail,
  retiredEmailCandidates,
  retiredHash,
  retiredRecordUid,
  retiredUsername,
  retiredUsernameCandidates,
} from './pseudonym.js';
export { homeDirectory } from './home-directory.js';
