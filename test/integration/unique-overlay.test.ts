/**
 * The README's advice for `--school` partitions that run in parallel: OpenLDAP's unique overlay on `uid` and
 * `mail` across the base DN, for users. Two partitions may pick the same new username at the same moment,
 * each having read the directory before the other's add. A `preCreate` hook plays the other partition: it
 * adds a user with the name this run is about to give, in another school's container. Without the overlay
 * the directory ends with two users of one username; with it this run's add is refused and reported (exit
 * 1), and the next run plans again and gives the user the next free name. The overlay's filter leaves the
 * username reservations (`account` entries) alone, so deleting a user still works.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SlapdServer, startSlapd } from '../../testkit/slapd.js';
import { one } from '../support/grace-helpers.js';
import { type ImportFixture, importFixture, type RosterRow } from '../support/import.js';

const s1: RosterRow = {
  id: 'S-1',
  first: 'Jan',
  last: 'Meier',
  schools: 'gym1',
  role: 'student',
  classes: '5a',
};
const s2: RosterRow = {
  id: 'S-2',
  first: 'Eva',
  last: 'Kurz',
  schools: 'gym1',
  role: 'student',
  classes: '5a',
};

/** The overlay as the README recommends it, on the test server's suffix. */
function uniqueOverlay(suffix: string): string[] {
  return [
    'overlay unique',
    `unique_uri "serialize ldap:///${suffix}?uid?sub?(objectClass=inetOrgPerson)"`,
    `unique_uri "serialize ldap:///${suffix}?mail?sub?(objectClass=inetOrgPerson)"`,
  ];
}

/**
 * A hook module that adds, just before `j.meier` is created, another school's user of that name, as a
 * partition running at the same moment would.
 */
async function otherPartitionHook(fx: ImportFixture): Promise<string> {
  const otherPeople = `ou=people,ou=rs2,${fx.tree.baseDn}`;
  await fx.tree.client.add(`ou=rs2,${fx.tree.baseDn}`, { objectClass: 'organizationalUnit', ou: 'rs2' });
  await fx.tree.client.add(otherPeople, { objectClass: 'organizationalUnit', ou: 'people' });
  const path = join(fx.dir, 'other-partition.js');
  await writeFile(
    path,
    [
      `import { Client } from ${JSON.stringify(import.meta.resolve('ldapts'))};`,
      'export async function preCreate(user) {',
      "  if (user.username !== 'j.meier') return;",
      `  const client = new Client({ url: ${JSON.stringify(fx.tree.url)} });`,
      `  await client.bind(${JSON.stringify(fx.tree.adminDn)}, ${JSON.stringify(fx.tree.adminPassword)});`,
      `  await client.add(${JSON.stringify(`uid=j.meier,${otherPeople}`)}, {`,
      "    objectClass: 'inetOrgPerson', uid: 'j.meier', cn: 'Jana Meier', sn: 'Meier',",
      '  });',
      '  await client.unbind();',
      '}',
      '',
    ].join('\n'),
  );
  return path;
}

async function usersNamed(fx: ImportFixture, uid: string): Promise<string[]> {
  const { searchEntries } = await fx.tree.client.search(fx.tree.baseDn, {
    scope: 'sub',
    filter: `(&(objectClass=inetOrgPerson)(uid=${uid}))`,
    attributes: ['1.1'],
  });
  return searchEntries.map((entry) => entry.dn);
}

describe('two partitions creating the same username at once', () => {
  it('without the unique overlay: two users with one username', async () => {
    const fx = await importFixture('unique-without');
    try {
      await fx.editConfig({ hooks: [await otherPartitionHook(fx)] });
      await fx.writeRoster([s1]);
      const result = await fx.runImport(['--school', 'gym1']);
      expect(result.code, result.stderr).toBe(0);
      expect(await usersNamed(fx, 'j.meier')).toHaveLength(2);
    } finally {
      await fx.dispose();
    }
  });

  describe('with the unique overlay on uid and mail', () => {
    let server: SlapdServer;
    let fx: ImportFixture;
    beforeAll(async () => {
      const suffix = 'dc=rostersync,dc=test';
      server = await startSlapd({
        suffix,
        extraConfig: { global: ['moduleload unique'], database: uniqueOverlay(suffix) },
      });
      fx = await importFixture('unique-with', {
        server,
        config: { deletion_grace_period: { deactivation: 0, deletion: 0 } },
      });
      await fx.editConfig({ hooks: [await otherPartitionHook(fx)] });
    });
    afterAll(async () => {
      await fx?.dispose();
      await server?.stop();
    });

    it('refuses the second add: reported, exit 1, one user of that name', async () => {
      await fx.writeRoster([s1, s2]);
      const result = await fx.runImport(['--school', 'gym1']);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/create failed: add uid=j\.meier,.* constraint violation/);
      const holders = await usersNamed(fx, 'j.meier');
      expect(holders).toHaveLength(1);
      expect(holders[0]).toMatch(/ou=rs2/);
      expect(await fx.user('S-1')).toBeUndefined();
      expect(await fx.user('S-2')).toBeDefined();
    });

    it('the next run plans again and gives the user the next free name', async () => {
      const result = await fx.runImport(['--school', 'gym1']);
      expect(result.code, result.stderr).toBe(0);
      const user = await fx.user('S-1');
      expect(one(user, 'uid')).toBe('j.meier2');
      expect(await usersNamed(fx, 'j.meier')).toHaveLength(1);
    });

    it('a deleted user still gets its username reservation (not a user: the overlay lets it be)', async () => {
      await fx.writeRoster([s1]);
      const result = await fx.runImport(['--school', 'gym1']);
      expect(result.code, result.stderr).toBe(0);
      expect(await fx.user('S-2')).toBeUndefined();
      const { searchEntries } = await fx.tree.client.search(fx.tree.baseDn, {
        scope: 'sub',
        filter: '(&(objectClass=account)(uid=e.kurz))',
        attributes: ['1.1'],
      });
      expect(searchEntries).toHaveLength(1);
    });
  });
});
