/**
 * The archive of a user about to be deleted (SPEC §8, seed 004): its entry as it is now and every group value
 * under the base DN that names it, read just before the removals start and written through the run's
 * `ArchiveWriter`. Should that fail, the caller leaves the user as it is.
 */
import {
  ARCHIVED_OPERATIONAL,
  type ArchivedMembership,
  type ArchiveWriter,
  renderArchive,
} from '../archive/index.js';
import { attributeNames, type Config } from '../config/index.js';
import { type Directory, dnEquals, eq, or } from '../directory/index.js';
import type { DeleteUserAction } from '../plan/types.js';

/** The group attributes that name a user: its DN, or (posixGroup) its username. */
const DN_VALUED = ['member', 'uniqueMember'] as const;

async function membershipsOf(
  directory: Directory,
  baseDn: string,
  dn: string,
  username: string,
): Promise<ArchivedMembership[]> {
  const filters = DN_VALUED.map((attribute) => eq(attribute, dn));
  if (username !== '') filters.push(eq('memberUid', username));
  const groups = await directory.searchAll(baseDn, {
    scope: 'sub',
    filter: or(...filters),
    attributes: [...DN_VALUED, 'memberUid'],
  });
  const memberships: ArchivedMembership[] = [];
  for (const group of groups) {
    for (const attribute of DN_VALUED) {
      // The group's own spelling of the DN, so that a restore writes back exactly what was there.
      for (const value of group.attributes[attribute] ?? [])
        if (dnEquals(value, dn)) memberships.push({ group: group.dn, attribute, value });
    }
    for (const value of group.attributes.memberUid ?? [])
      if (value === username) memberships.push({ group: group.dn, attribute: 'memberUid', value });
  }
  return memberships;
}

/**
 * Writes the archive of the user `action` deletes to `action.archive`. An entry gone meanwhile has nothing
 * left to archive (its delete finds nothing to delete either): returns false.
 */
export async function archiveUser(
  action: DeleteUserAction & { archive: string },
  ctx: { config: Config; directory: Directory; archive?: ArchiveWriter | undefined; now: Date },
): Promise<boolean> {
  const { config, directory, archive } = ctx;
  if (!archive) throw new Error('a plan that archives users needs an archive writer');
  const entry = await directory.searchOne(action.dn, ['*', ...ARCHIVED_OPERATIONAL]);
  if (!entry) return false;
  const attributes = Object.fromEntries(
    Object.entries(entry.attributes).filter(([, values]) => values.length > 0),
  );
  const memberships = await membershipsOf(directory, config.ldap.base_dn, entry.dn, action.username);
  const names = attributeNames(config);
  const sourceUid = attributes[names.sourceUid]?.[0] ?? config.source_uid;
  const content = renderArchive({ dn: entry.dn, attributes, memberships }, [
    `rostersync archive of ${action.username} (record uid ${action.recordUid}, source ${sourceUid})`,
    `written ${ctx.now.toISOString()}, before ${action.mode === 'move' ? `moving it to ${action.moveTo ?? '?'}` : 'deleting it'}`,
    'restore: rostersync archive restore --config FILE THIS_FILE',
  ]);
  await archive.write(action.archive, content, { dn: action.dn, username: action.username });
  return true;
}
