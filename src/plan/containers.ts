/**
 * Containers a plan needs: every `ou=`/`cn=` entry on the way from the base DN to an entry the plan adds or
 * moves an entry into, that does not exist yet, parents first. Pure.
 */
import { leafRdn, normalizeDn, parentDn, parseDn } from '../directory/index.js';
import type { DirectoryLayout } from '../directory/layout.js';
import type { CreateContainerAction, PlanAction, PlanProblem } from './types.js';

/** The entry that makes a missing container: an organizationalUnit (ou=) or organizationalRole (cn=). */
export function containerEntry(dn: string): CreateContainerAction | undefined {
  const leaf = parseDn(dn)[0];
  if (!leaf || leaf.length !== 1) return undefined;
  const [{ attribute, value }] = leaf as [{ attribute: string; value: string }];
  const type = attribute.toLowerCase();
  if (type === 'ou') {
    return {
      kind: 'create-container',
      phase: 'containers',
      dn,
      attributes: { objectClass: ['organizationalUnit'], ou: [value] },
    };
  }
  if (type === 'cn') {
    return {
      kind: 'create-container',
      phase: 'containers',
      dn,
      attributes: { objectClass: ['organizationalRole'], cn: [value] },
    };
  }
  return undefined;
}

/** The DNs of entries that `action` puts somewhere: each needs its parent to exist. */
function placedEntries(action: PlanAction): string[] {
  switch (action.kind) {
    case 'create':
    case 'create-group':
      return [action.dn];
    case 'move':
      return [action.newDn];
    case 'delete':
      return [
        ...(action.reservation ? [action.reservation.dn] : []),
        ...(action.moveTo !== undefined ? [`${leafRdn(action.dn)},${action.moveTo}`] : []),
      ];
    default:
      return [];
  }
}

/**
 * The containers to create before `actions` can run, given the normalized DNs of those known to exist;
 * a missing container that is neither `ou=` nor `cn=` is a problem for the admin to solve first.
 */
export function missingContainers(
  actions: readonly PlanAction[],
  existing: readonly string[],
  layout: DirectoryLayout,
): { actions: CreateContainerAction[]; problems: PlanProblem[] } {
  const known = new Set(existing);
  const needed = new Map<string, string>();
  // A hundred thousand new users share a few parents: each parent's chain is walked once.
  const parents = new Set<string>();
  for (const action of actions) {
    for (const entry of placedEntries(action)) {
      const parent = parentDn(entry);
      if (parent === undefined || parents.has(parent)) continue;
      parents.add(parent);
      for (const container of layout.containerChain(parent)) {
        const normalized = normalizeDn(container);
        if (!known.has(normalized) && !needed.has(normalized)) needed.set(normalized, container);
      }
    }
  }
  const created: CreateContainerAction[] = [];
  const problems: PlanProblem[] = [];
  for (const container of needed.values()) {
    const entry = containerEntry(container);
    if (entry) created.push(entry);
    else {
      problems.push({
        where: container,
        message:
          'container does not exist and is not an ou= or cn= entry rostersync can create; create it first',
      });
    }
  }
  return { actions: created, problems };
}
