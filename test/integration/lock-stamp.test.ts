/**
 * A user rostersync locks while moving it out instead of deleting it gets `rostersyncDeactivatedTimestamp`
 * with the lock, the run's time: by `purge.mode: move` and by the shipped move-instead-of-delete subclass.
 * Asserted on the moved entry in the directory.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type ImportFixture, importFixture, type RosterRow } from '../support/import.js';

const NOW = ['--now', '2026-11-23'];
const MOVE_INSTEAD_OF_DELETE = fileURLToPath(
  new URL('../../hooks/move-instead-of-delete.js', import.meta.url),
);

const EVA: RosterRow = { id: 'S-1', first: 'Eva', last: 'Kurz', schools: 'gym1', role: 'student' };
const TOM: RosterRow = { id: 'S-2', first: 'Tom', last: 'Lind', schools: 'gym1', role: 'student' };

async function importOk(fx: ImportFixture, rows: RosterRow[]): Promise<void> {
  await fx.writeRoster(rows);
  const result = await fx.runImport(NOW);
  expect(result.code, result.stderr).toBe(0);
}

describe.each([
  {
    name: 'purge.mode: move',
    config: (base: string) => ({ purge: { mode: 'move', move_to_dn: `ou=removed,${base}` } }),
  },
  {
    name: 'the shipped move-instead-of-delete subclass',
    config: () => ({ classes: { user_import: MOVE_INSTEAD_OF_DELETE } }),
  },
])('$name', ({ config }) => {
  it('stamps the lock with the run time on the moved user', async () => {
    const fx = await importFixture('lock-stamp');
    try {
      await fx.editConfig({
        ...config(fx.tree.baseDn),
        deletion_grace_period: { deactivation: 0, deletion: 0 },
      });
      await importOk(fx, [EVA, TOM]);
      expect((await fx.user('S-1'))?.rostersyncDeactivatedTimestamp).toBeUndefined();
      await importOk(fx, [TOM]);
      const moved = await fx.user('S-1');
      expect(String(moved?.dn).toLowerCase()).toBe(`uid=e.kurz,ou=removed,${fx.tree.baseDn}`.toLowerCase());
      expect(moved?.pwdAccountLockedTime).toBe('000001010000Z');
      expect(moved?.rostersyncDeactivatedTimestamp).toMatch(/^\d{14}Z$/);
      // Both are the run's time.
      expect(moved?.rostersyncDeactivatedTimestamp).toBe(moved?.rostersyncRemovedTimestamp);
      expect((await fx.user('S-2'))?.rostersyncDeactivatedTimestamp).toBeUndefined();
    } finally {
      await fx.dispose();
    }
  });
});
