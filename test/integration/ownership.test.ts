/**
 * SPEC §8 ownership (seed 003) against the real server: when the purge or the import's delete-now removes a
 * user, no owner or member value names it any more; `ownership.last_owner` (inherit, admin, none) decides
 * who owns what it owned last, a hand-made group it owned and was the last member of takes that owner as
 * member, and with nobody to take over the user is kept and reported. The summary lists every owner change.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Attribute, Change, EqualityFilter, OrFilter } from 'ldapts';
import { describe, expect, it } from 'vitest';
import type { CliResult } from '../support/cli.js';
import { type ImportFixture, importFixture, type RosterRow } from '../support/import.js';

const everyone: RosterRow[] = [
  { id: 'S-1', first: 'Jan', last: 'Meier', schools: 'gym1', role: 'student', classes: '5a' },
  { id: 'S-2', first: 'Eva', last: 'Kurz', schools: 'gym1', role: 'student', classes: '5a' },
  { id: 'S-3', first: 'Tom', last: 'Bach', schools: 'gym1', role: 'student', classes: '5a' },
];
const PURGE_DAY = '2026-12-23';
const vetoDelete = fileURLToPath(new URL('../fixtures/extensions/veto-delete.js', import.meta.url));

function expectCode(result: CliResult, code: number): void {
  expect(result.code, `exit ${result.code}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`).toBe(code);
}

const values = (value: unknown): string[] =>
  value === undefined ? [] : (Array.isArray(value) ? value : [value]).map(String);
const lower = (dns: string[]): string[] => dns.map((dn) => dn.toLowerCase()).sort();

/** The owned entries of the tests, and the users' DNs. */
interface Tree {
  s1: string;
  s2: string;
  s3: string;
  /** `ou=clubs`: an OU owned by S-1, the ancestor the others inherit from. */
  clubs: string;
  /** `ou=chess,ou=clubs`: an OU owned by S-2 alone. */
  chess: string;
  /** `ou=robotics,ou=chess,ou=clubs`: owned by S-2 alone, whose nearest owned ancestor (chess) is S-2's too. */
  robotics: string;
  /** `cn=team,ou=clubs`: a hand-made groupOfNames with S-2 as its only owner and only member. */
  team: string;
  /** `cn=shared`: a groupOfNames owned by S-2 and S-3, with both as members. */
  shared: string;
}

/** Imports everyone (with `config`), then makes the owned entries. */
async function setUp(
  name: string,
  config: Record<string, unknown>,
): Promise<{ fx: ImportFixture; tree: Tree }> {
  const fx = await importFixture(name, { config });
  await fx.writeRoster(everyone);
  expectCode(await fx.runImport(['--now', '2026-11-23']), 0);
  const dnOf = async (id: string) => String((await fx.user(id))?.dn);
  const base = fx.tree.baseDn;
  const tree: Tree = {
    s1: await dnOf('S-1'),
    s2: await dnOf('S-2'),
    s3: await dnOf('S-3'),
    clubs: `ou=clubs,${base}`,
    chess: `ou=chess,ou=clubs,${base}`,
    robotics: `ou=robotics,ou=chess,ou=clubs,${base}`,
    team: `cn=team,ou=clubs,${base}`,
    shared: `cn=shared,${base}`,
  };
  const client = fx.tree.client;
  // organizationalUnit has no `owner`: extensibleObject lets an OU hold one, as an admin's schema would.
  const ou = (name: string, owner: string) => ({
    objectClass: ['organizationalUnit', 'extensibleObject'],
    ou: name,
    owner,
  });
  await client.add(tree.clubs, ou('clubs', tree.s1));
  await client.add(tree.chess, ou('chess', tree.s2));
  await client.add(tree.robotics, ou('robotics', tree.s2));
  await client.add(tree.team, { objectClass: 'groupOfNames', cn: 'team', owner: tree.s2, member: tree.s2 });
  await client.add(tree.shared, {
    objectClass: 'groupOfNames',
    cn: 'shared',
    owner: [tree.s2, tree.s3],
    member: [tree.s2, tree.s3],
  });
  return { fx, tree };
}

/** The users of `stayers` stay in the roster; the others are locked, their purge timestamp 2026-12-23. */
async function leave(fx: ImportFixture, stayers: string[]): Promise<void> {
  await fx.writeRoster(everyone.filter((row) => stayers.includes(row.id)));
  expectCode(await fx.runImport(['--now', '2026-11-23']), 0);
}

async function purge(fx: ImportFixture): Promise<{ result: CliResult; summary: Summary }> {
  const file = join(fx.dir, `summary-${Date.now()}.json`);
  const result = await fx.run([
    'purge',
    '--config',
    fx.configPath,
    '--now',
    PURGE_DAY,
    '--summary-json',
    file,
  ]);
  return { result, summary: JSON.parse(await readFile(file, 'utf8')) as Summary };
}

interface Summary {
  ownerChanges: { dn: string; removed: string[]; added: string[] }[];
  problems: { where: string; message: string }[];
}

/** An entry's owner and member values, lower-cased and sorted. */
async function read(fx: ImportFixture, dn: string): Promise<{ owner: string[]; member: string[] }> {
  const { searchEntries } = await fx.tree.client.search(dn, {
    scope: 'base',
    attributes: ['owner', 'member'],
  });
  const [entry] = searchEntries;
  return { owner: lower(values(entry?.owner)), member: lower(values(entry?.member)) };
}

/** Every entry under the base DN whose owner, member or uniqueMember names `dn`. */
async function naming(fx: ImportFixture, dn: string): Promise<string[]> {
  const { searchEntries } = await fx.tree.client.search(fx.tree.baseDn, {
    scope: 'sub',
    filter: new OrFilter({
      filters: ['owner', 'member', 'uniqueMember'].map(
        (attribute) => new EqualityFilter({ attribute, value: dn }),
      ),
    }),
    attributes: ['1.1'],
  });
  return searchEntries.map((entry) => entry.dn);
}

const byDn = (changes: Summary['ownerChanges']) =>
  changes
    .map(({ dn, removed, added }) => ({ dn: dn.toLowerCase(), removed: lower(removed), added: lower(added) }))
    .sort((a, b) => a.dn.localeCompare(b.dn));

describe('ownership.last_owner: inherit (the default), in the purge', () => {
  it('hands what the purged user owned to the nearest ancestor’s owner, its group included', async () => {
    const { fx, tree } = await setUp('own-inherit', {});
    try {
      await leave(fx, ['S-1', 'S-3']);
      const dryRun = await fx.run(['purge', '--config', fx.configPath, '--now', PURGE_DAY, '--dry-run']);
      expectCode(dryRun, 0);
      expect(dryRun.stdout).toContain('change owner (4)');
      expect(await naming(fx, tree.s2)).toHaveLength(4);

      const { result, summary } = await purge(fx);
      expectCode(result, 0);
      expect(await fx.user('S-2')).toBeUndefined();
      expect(await naming(fx, tree.s2)).toEqual([]);
      expect(await read(fx, tree.chess)).toEqual({ owner: lower([tree.s1]), member: [] });
      // chess, its nearest ancestor with an owner, is S-2's too: the next one up counts.
      expect(await read(fx, tree.robotics)).toEqual({ owner: lower([tree.s1]), member: [] });
      expect(await read(fx, tree.team)).toEqual({ owner: lower([tree.s1]), member: lower([tree.s1]) });
      expect(await read(fx, tree.shared)).toEqual({ owner: lower([tree.s3]), member: lower([tree.s3]) });
      expect(byDn(summary.ownerChanges)).toEqual(
        byDn([
          { dn: tree.chess, removed: [tree.s2], added: [tree.s1] },
          { dn: tree.robotics, removed: [tree.s2], added: [tree.s1] },
          { dn: tree.team, removed: [tree.s2], added: [tree.s1] },
          { dn: tree.shared, removed: [tree.s2], added: [] },
        ]),
      );
    } finally {
      await fx.dispose();
    }
  });

  it('a user whose delete a hook refuses keeps every owner value, and nobody is added in its place', async () => {
    const { fx, tree } = await setUp('own-veto', { hooks: [vetoDelete] });
    try {
      // S-2 (e.kurz, refused by the hook) and S-3 leave; shared, owned by both and with both as members,
      // would go to ownership.admin_dn (its ancestors have no owner).
      const admin = `cn=owners,${fx.tree.baseDn}`;
      await fx.editConfig({ ownership: { admin_dn: admin } });
      await leave(fx, ['S-1']);
      const planned = await fx.run(['purge', '--config', fx.configPath, '--now', PURGE_DAY, '--dry-run']);
      expect(planned.stdout).toContain(`owner −${tree.s2} −${tree.s3} +${admin}`);
      const { result, summary } = await purge(fx);
      expectCode(result, 1);
      expect(await fx.user('S-2')).toBeDefined();
      expect(await fx.user('S-3')).toBeUndefined();
      expect(await read(fx, tree.chess)).toEqual({ owner: lower([tree.s2]), member: [] });
      expect(await read(fx, tree.team)).toEqual({ owner: lower([tree.s2]), member: lower([tree.s2]) });
      // S-3's values went; the admin is not added while S-2 still owns the group and is in it.
      expect(await read(fx, tree.shared)).toEqual({ owner: lower([tree.s2]), member: lower([tree.s2]) });
      expect(await naming(fx, tree.s3)).toEqual([]);
      expect(byDn(summary.ownerChanges)).toEqual(byDn([{ dn: tree.shared, removed: [tree.s3], added: [] }]));
    } finally {
      await fx.dispose();
    }
  });
});

describe('ownership.last_owner: admin, in the import’s delete-now', () => {
  it('hands what the deleted user owned to ownership.admin_dn, as owner and as the group’s member', async () => {
    const { fx, tree } = await setUp('own-admin', {
      deletion_grace_period: { deactivation: 0, deletion: 0 },
    });
    const admin = `cn=owners,${fx.tree.baseDn}`;
    try {
      await fx.tree.client.add(admin, { objectClass: 'organizationalRole', cn: 'owners' });
      await fx.editConfig({ ownership: { last_owner: 'admin', admin_dn: admin } });
      await fx.writeRoster(everyone.filter((row) => row.id !== 'S-2'));
      const file = join(fx.dir, 'import-summary.json');
      expectCode(await fx.runImport(['--now', '2026-11-24', '--summary-json', file]), 0);
      const summary = JSON.parse(await readFile(file, 'utf8')) as Summary;

      expect(await fx.user('S-2')).toBeUndefined();
      expect(await naming(fx, tree.s2)).toEqual([]);
      expect(await read(fx, tree.chess)).toEqual({ owner: lower([admin]), member: [] });
      expect(await read(fx, tree.robotics)).toEqual({ owner: lower([admin]), member: [] });
      expect(await read(fx, tree.team)).toEqual({ owner: lower([admin]), member: lower([admin]) });
      expect(await read(fx, tree.shared)).toEqual({ owner: lower([tree.s3]), member: lower([tree.s3]) });
      expect(await read(fx, tree.clubs)).toEqual({ owner: lower([tree.s1]), member: [] });
      expect(byDn(summary.ownerChanges)).toEqual(
        byDn([
          { dn: tree.chess, removed: [tree.s2], added: [admin] },
          { dn: tree.robotics, removed: [tree.s2], added: [admin] },
          { dn: tree.team, removed: [tree.s2], added: [admin] },
          { dn: tree.shared, removed: [tree.s2], added: [] },
        ]),
      );
    } finally {
      await fx.dispose();
    }
  });
});

describe('ownership.last_owner: none, in the purge', () => {
  it('keeps the last member of the group it owned until someone else is in it, then leaves its entries ownerless', async () => {
    const { fx, tree } = await setUp('own-none', { ownership: { last_owner: 'none' } });
    try {
      await leave(fx, ['S-1', 'S-3']);
      const kept = await purge(fx);
      // Nobody can take S-2's place in team: S-2 stays exactly as it was, and the run says so.
      expectCode(kept.result, 1);
      expect(await fx.user('S-2')).toBeDefined();
      expect(await naming(fx, tree.s2)).toHaveLength(4);
      expect(kept.summary.ownerChanges).toEqual([]);
      expect(kept.summary.problems.map((problem) => problem.where.toLowerCase())).toEqual([
        tree.team.toLowerCase(),
      ]);

      // An admin puts someone else in the group: the next purge removes S-2 and whatever it owned.
      await fx.tree.client.modify(
        tree.team,
        new Change({ operation: 'add', modification: new Attribute({ type: 'member', values: [tree.s1] }) }),
      );
      const done = await purge(fx);
      expectCode(done.result, 0);
      expect(await fx.user('S-2')).toBeUndefined();
      expect(await naming(fx, tree.s2)).toEqual([]);
      expect(await read(fx, tree.chess)).toEqual({ owner: [], member: [] });
      expect(await read(fx, tree.robotics)).toEqual({ owner: [], member: [] });
      expect(await read(fx, tree.team)).toEqual({ owner: [], member: lower([tree.s1]) });
      expect(await read(fx, tree.shared)).toEqual({ owner: lower([tree.s3]), member: lower([tree.s3]) });
      expect(byDn(done.summary.ownerChanges)).toEqual(
        byDn([
          { dn: tree.chess, removed: [tree.s2], added: [] },
          { dn: tree.robotics, removed: [tree.s2], added: [] },
          { dn: tree.team, removed: [tree.s2], added: [] },
          { dn: tree.shared, removed: [tree.s2], added: [] },
        ]),
      );
    } finally {
      await fx.dispose();
    }
  });
});

describe('purge.mode: move', () => {
  it('a moved user owns nothing any more either', async () => {
    const { fx, tree } = await setUp('own-move', {});
    const moveTo = `ou=removed,${fx.tree.baseDn}`;
    try {
      await fx.editConfig({ purge: { mode: 'move', move_to_dn: moveTo } });
      await leave(fx, ['S-1', 'S-3']);
      const { result, summary } = await purge(fx);
      expectCode(result, 0);
      const moved = String((await fx.user('S-2'))?.dn);
      expect(moved.toLowerCase()).toBe(`uid=e.kurz,${moveTo}`.toLowerCase());
      expect(await naming(fx, tree.s2)).toEqual([]);
      expect(await naming(fx, moved)).toEqual([]);
      expect(await read(fx, tree.chess)).toEqual({ owner: lower([tree.s1]), member: [] });
      expect(await read(fx, tree.team)).toEqual({ owner: lower([tree.s1]), member: lower([tree.s1]) });
      expect(summary.ownerChanges).toHaveLength(4);
    } finally {
      await fx.dispose();
    }
  });
});
