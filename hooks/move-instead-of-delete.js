/**
 * move-instead-of-delete: a `classes.user_import` that never deletes a user. Where rostersync would
 * delete one (the import with deletion_grace_period.deletion: 0, or the purge), the entry is locked
 * (ppolicy `pwdAccountLockedTime: 000001010000Z`, which OpenLDAP treats as locked until an admin
 * unlocks it) and moved below `purge.move_to_dn` (default `ou=removed,<ldap.base_dn>`, created when
 * missing). Group memberships are gone already: the plan takes the user out of every group that
 * names it before `doDelete` runs (called without a plan, it sweeps them with the base class's
 * `removeGroupReferences`, as a deletion does). A reserved username
 * (`scheme.reserve_deleted`) is still recorded. The entry gets `rostersyncDeactivatedTimestamp` (when
 * it was locked, as every lock of rostersync's) and `rostersyncRemovedTimestamp`: it has left its
 * source, so no later import, purge or lifecycle run acts on it again (rostersync also checks this
 * after any `doDelete` of a subclass that keeps the entry).
 *
 * Configuration:
 *
 *     classes:
 *       user_import: /etc/rostersync/hooks/move-instead-of-delete.js
 *     purge:
 *       move_to_dn: ou=removed,dc=school,dc=example
 *
 * The default export is a function of the base class rather than `class extends UserImport`: a module
 * in /etc/rostersync/hooks cannot `import 'rostersync'` (the package is not installed there), so
 * rostersync passes its `UserImport` in.
 */
const LOCKED = '000001010000Z';

/** @param {typeof import('rostersync').UserImport} Base */
export default (Base) =>
  class MoveInsteadOfDelete extends Base {
    async doDelete(user, ctx) {
      const target = ctx.config.purge.move_to_dn ?? `ou=removed,${ctx.config.ldap.base_dn}`;
      await addIgnoringExisting(ctx, ctx.action.reservation?.dn, ctx.action.reservation?.attributes);
      if (typeof this.removeGroupReferences === 'function' && ctx.action.sweepReferences !== false) {
        await this.removeGroupReferences(user, ctx);
      }
      if (!(await ctx.directory.exists(target))) {
        const [, ou] = /^ou=((?:[^,\\]|\\.)+),/i.exec(target) ?? [];
        if (ou === undefined) throw new Error(`${target} does not exist; create it first`);
        await addIgnoringExisting(ctx, target, { objectClass: ['organizationalUnit'], ou: [unescape(ou)] });
      }
      const { attributes } = ctx.config.ldap;
      const removed = attributes.rostersyncRemovedTimestamp ?? 'rostersyncRemovedTimestamp';
      const deactivated = attributes.rostersyncDeactivatedTimestamp ?? 'rostersyncDeactivatedTimestamp';
      const classes = (user.attributes.objectClass ?? []).map((name) => name.toLowerCase());
      const now = generalizedTime(ctx.now);
      await ctx.writer.modify(user.dn, [
        { operation: 'replace', attribute: 'pwdAccountLockedTime', values: [LOCKED] },
        // Only a rostersync user can carry them (an entry of the rostersyncUser class): when the lock
        // was set, as for every lock of rostersync's, and that the user has left its source.
        ...(classes.includes('rostersyncuser')
          ? [
              { operation: 'replace', attribute: deactivated, values: [now] },
              { operation: 'replace', attribute: removed, values: [now] },
            ]
          : []),
      ]);
      await ctx.writer.rename(user.dn, leafRdn(user.dn), target);
      ctx.logger.info(`moved ${user.dn} to ${target} instead of deleting it`, { dn: user.dn });
    }
  };

async function addIgnoringExisting(ctx, dn, attributes) {
  if (dn === undefined) return;
  try {
    await ctx.writer.add(dn, attributes);
  } catch (error) {
    // Left by an interrupted earlier run, or created meanwhile.
    if (error?.kind !== 'already-exists') throw error;
  }
}

/** `20261201093000Z`: LDAP GeneralizedTime in UTC, to the second. */
function generalizedTime(date) {
  return `${date.toISOString().slice(0, 19).replace(/[-:T]/g, '')}Z`;
}

/** The first RDN: everything up to the first comma that is not escaped with a backslash. */
function leafRdn(dn) {
  const match = /^(?:[^,\\]|\\.)+/.exec(dn);
  if (match === null) throw new Error(`cannot take the RDN of '${dn}'`);
  return match[0];
}

/** Undoes RFC 4514 escapes (`\,`, and `\C3\A9` for UTF-8 bytes) in an attribute value. */
function unescape(value) {
  const percentEncoded = value.replace(/\\([0-9a-f]{2})|\\(.)|%/giu, (match, hex, char) =>
    hex !== undefined ? `%${hex}` : encodeURIComponent(char ?? match),
  );
  return decodeURIComponent(percentEncoded);
}
