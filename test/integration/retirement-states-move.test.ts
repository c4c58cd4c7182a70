/**
 * The retirement state list is run state, kept under `ou=rostersync,<base_dn>` (SPEC §5). A list stored by an
 * earlier version directly under the base DN is read while the new place is empty, and `populate-states`
 * moves it: the plan shows the write at the new place and the removal of the old entry, in that order.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_RETIREMENT_STATES } from '../../src/config/index.js';
import { type ImportFixture, importFixture } from '../support/import.js';

describe('retirement populate-states and the list at its old place', () => {
  let fx: ImportFixture;
  let oldDn: string;
  let newDn: string;
  const oldList = ['PENDING', 'ERRORED', 'ABORTED', 'COMPLETE'];

  beforeAll(async () => {
    // lock.store: file, so that no run of this test makes ou=rostersync before populate-states does.
    fx = await importFixture('retirement-states-move', { config: { lock: { store: 'file' } } });
    oldDn = `cn=rostersync-retirement-states,${fx.tree.baseDn}`;
    newDn = `cn=retirement-states,ou=rostersync,${fx.tree.baseDn}`;
    await fx.tree.client.add(oldDn, {
      objectClass: 'applicationProcess',
      cn: 'rostersync-retirement-states',
      description: oldList.map((state, index) => `${index + 1}:${state}`),
    });
  });
  afterAll(async () => {
    await fx.dispose();
  });

  const descriptionsAt = async (dn: string): Promise<string[] | undefined> => {
    try {
      const { searchEntries } = await fx.tree.client.search(dn, {
        scope: 'base',
        attributes: ['description'],
      });
      const value = searchEntries[0]?.description;
      return value === undefined ? [] : [value].flat().map(String);
    } catch {
      return undefined;
    }
  };
  const populate = (extra: string[] = []) =>
    fx.run(['retirement', 'populate-states', '--config', fx.configPath, ...extra]);

  it('a dry run reads the old list and shows the move, writing nothing', async () => {
    const dry = await populate(['--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    const added = DEFAULT_RETIREMENT_STATES.filter((state) => !oldList.includes(state));
    expect(dry.stdout).toContain(`Added: ${added.join(', ')}`);
    expect(dry.stdout).toContain('Removed: -');
    expect(dry.stdout).toContain(`Remaining: ${oldList.join(', ')}`);
    expect(dry.stdout).toContain('create container');
    expect(dry.stdout).toContain(`${newDn}  (moved from ${oldDn})`);
    expect(dry.stdout).toContain(`The list would move from ${oldDn} to ${newDn}.`);
    expect(await descriptionsAt(oldDn)).toHaveLength(oldList.length);
    expect(await descriptionsAt(newDn)).toBeUndefined();
  });

  it('writes the list under ou=rostersync and removes the old entry; a second run has nothing to do', async () => {
    const result = await populate();
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`The list moved from ${oldDn} to ${newDn}.`);
    expect(await descriptionsAt(newDn)).toEqual(
      DEFAULT_RETIREMENT_STATES.map((state, index) => `${index + 1}:${state}`),
    );
    expect(await descriptionsAt(oldDn)).toBeUndefined();
    const writes = (await fx.auditLines()).map((line) => [line.action, line.dn]);
    expect(writes).toEqual([
      ['add', `ou=rostersync,${fx.tree.baseDn}`],
      ['add', newDn],
      ['delete', oldDn],
    ]);

    const again = await populate();
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('nothing to change');
    expect(again.stdout).not.toContain('The list');
  });
});
