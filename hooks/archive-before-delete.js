/**
 * archive-before-delete: keeps a copy of every user entry before rostersync deletes it.
 *
 * Before each deletion (import with deletion_grace_period.deletion: 0, or the purge) the hook reads the
 * whole entry, user and operational attributes, and writes it as LDIF (RFC 2849) to
 *
 *     <archive.dir>/<YYYY-MM-DD>/<username>.ldif
 *
 * (the date of the run in `timezone`; directories 0700, files 0600: the entry may hold password hashes).
 * If the archive cannot be written, or `archive.dir` is not set, the hook throws, which vetoes the
 * deletion: no user is deleted without its archive. Restore with `ldapadd -f` after removing the
 * operational attributes (entryUUID, createTimestamp, …), or with slapadd, which accepts them.
 *
 * Configuration:
 *
 *     hooks:
 *       - /usr/lib/node_modules/rostersync/hooks/archive-before-delete.js
 *     archive:
 *       dir: /var/lib/rostersync/archive
 *
 * It writes nothing in a dry run (dryRun = false).
 */
import { Buffer } from 'node:buffer';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';

export const dryRun = false;

/** @param {import('rostersync').ManagedUser} user @param {import('rostersync').UserImportContext} ctx */
export async function preDelete(user, ctx) {
  const archiveDir = ctx.config.archive?.dir;
  if (!archiveDir) {
    throw new Error('archive.dir is not configured; refusing to delete without an archive');
  }
  const entry = await readWholeEntry(ctx.directory, user.dn);
  if (entry === undefined) {
    throw new Error(`cannot archive ${user.dn}: the entry was not found`);
  }
  const dir = join(archiveDir, dayIn(ctx.now, ctx.config.timezone));
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, `${fileNameOf(user)}.ldif`);
  await writeFileAtomically(file, toLdif(entry));
  ctx.logger.info(`archived ${user.dn} to ${file}`, { dn: user.dn, file });
}

/**
 * Reads every user (`*`) and operational (`+`) attribute of the entry. Should the directory layer hand
 * back only the names it was asked for, the entry's attribute names are taken from the schema.
 */
async function readWholeEntry(directory, dn) {
  const entry = await directory.searchOne(dn, ['*', '+']);
  if (entry === undefined) return undefined;
  const attributes = present(entry.attributes);
  if (Object.keys(attributes).length > 0) return { dn: entry.dn, attributes };

  const { attributes: pointer } = (await directory.searchOne(dn, ['subschemaSubentry'])) ?? {
    attributes: {},
  };
  const subschema = pointer.subschemaSubentry?.[0] ?? 'cn=Subschema';
  const schema = await directory.searchOne(subschema, ['attributeTypes']);
  const names = (schema?.attributes.attributeTypes ?? [])
    .map((definition) => /NAME\s+\(?\s*'([^']+)'/.exec(definition)?.[1])
    .filter((name) => name !== undefined);
  if (names.length === 0) throw new Error(`cannot read the attribute names of ${dn} from ${subschema}`);
  const full = await directory.searchOne(dn, names);
  return full === undefined ? undefined : { dn: full.dn, attributes: present(full.attributes) };
}

function present(attributes) {
  return Object.fromEntries(
    Object.entries(attributes).filter(([name, values]) => name !== '*' && name !== '+' && values.length > 0),
  );
}

/** `YYYY-MM-DD` of `date` in the configured time zone. */
function dayIn(date, timeZone) {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).formatToParts(date);
  const part = (type) => parts.find((p) => p.type === type)?.value;
  return `${part('year')}-${part('month')}-${part('day')}`;
}

/** The username, kept to characters that are safe in a file name. */
function fileNameOf(user) {
  const name = String(user.username || user.recordUid || 'user').replace(/[^A-Za-z0-9._@-]/g, '_');
  return /^\.+$/.test(name) || name.startsWith('.') ? `_${name}` : name;
}

/** Written to a temporary file, flushed to disk, then renamed: a crash leaves no half archive. */
async function writeFileAtomically(file, text) {
  const temporary = `${file}.${process.pid}.tmp`;
  const handle = await open(temporary, 'w', 0o600);
  try {
    await handle.chmod(0o600);
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(temporary, { force: true });
    throw error;
  }
  await handle.close();
  await rename(temporary, file);
}

// --- LDIF (RFC 2849) ---------------------------------------------------------------------------

const LINE_WIDTH = 76;

/** SAFE-STRING: ASCII without NUL, LF, CR, not starting with space, ':' or '<'; no trailing space. */
function isSafe(value) {
  return !/^[ :<]/.test(value) && !value.endsWith(' ') && !/[\0\n\r\u0080-\uffff]/.test(value);
}

function attributeLine(name, value) {
  return isSafe(value) ? `${name}: ${value}` : `${name}:: ${Buffer.from(value, 'utf8').toString('base64')}`;
}

/** Lines longer than 76 characters continue on lines that start with one space. */
function fold(line) {
  if (line.length <= LINE_WIDTH) return line;
  const parts = [line.slice(0, LINE_WIDTH)];
  for (let start = LINE_WIDTH; start < line.length; start += LINE_WIDTH - 1) {
    parts.push(` ${line.slice(start, start + LINE_WIDTH - 1)}`);
  }
  return parts.join('\n');
}

function toLdif(entry) {
  const lines = ['version: 1', '', attributeLine('dn', entry.dn)];
  for (const [name, values] of Object.entries(entry.attributes)) {
    for (const value of values) lines.push(attributeLine(name, value));
  }
  return `${lines.map(fold).join('\n')}\n`;
}
