export { unavailableCause } from './classify.js';
export { Directory, type DirectorySearchOptions, type Modification, type SearchScope } from './client.js';
// DN syntax sits below config, which validates DNs too; whoever talks to the directory finds it here as well.
export {
  type AttributeTypeAndValue,
  dn,
  dnEquals,
  escapeDnValue,
  formatDn,
  formatRdn,
  InvalidDnError,
  isDescendantOf,
  leafRdn,
  normalizeDn,
  lowerCase,
  parentDn,
  parseDn,
  parseRdn,
  type Rdn,
  rdn,
} from '../dn.js';
export type { DirectoryEntry, EntryRow } from './entry.js';
export {
  DirectoryError,
  type DirectoryErrorDetails,
  type DirectoryErrorKind,
  isDirectoryError,
} from './errors.js';
export { and, anyOf, eq, type Filter, gte, lte, not, or, present } from './filter.js';
export { connectDirectory, directoryOptionsFromConfig } from './from-config.js';
export type { DirectoryOptions, DirectoryTlsOptions } from './options.js';
export { attributeTypesMissing, type PreflightCheck, runPreflight } from './preflight.js';
