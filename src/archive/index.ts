/** The archive of a user before it is deleted or retired (SPEC §8): its LDIF, and the one place that writes it. */
export { ARCHIVED_OPERATIONAL, type ArchivedMembership, type ArchivedUser, renderArchive } from './render.js';
export { archiveDay, archivePath, ArchiveWriter } from './writer.js';
export {
  ArchiveFormatError,
  type LdifChange,
  type LdifRecord,
  parseArchive,
  parseLdifRecords,
  readArchive,
} from './parse.js';
