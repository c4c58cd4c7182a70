/**
 * What an import prints and saves (SPEC §4.3, §4.7) and the exit codes scripts rely on (SPEC §9):
 * the dry-run table grouped by action and school, the JSON plan on stdout and in `--plan-out`, the
 * `--summary-json` file, and 0 / 1 / 2 / 3 with nothing written whenever a run stops.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ImportFixture, importFixture, type RosterRow } from '../support/import.js';
import { values } from '../support/scope-helpers.js';

const NOW = ['--now', '2026-11-23'];

const rows: RosterRow[] = [
  { id: 'O-1', first: 'Olga', last: 'Erste', schools: 'gym1', role: 'student', classes: '5a' },
  { id: 'O-2', first: 'Otto', last: 'Zweiter', schools: 'gym1', role: 'student', classes: '5a' },
  { id: 'O-3', first: 'Oskar', last: 'Dritter', schools: 'rs2', role: 'teacher', classes: '7b' },
];

interface PlanJson {
  version: number;
  job: string;
  basedOn: { configDigest: string };
  actions: { kind: string; school?: string; username?: string; dn: string }[];
  safety: { removals: number; inScope: number; limit: number; setting: string; exceeded: boolean };
  problems: unknown[];
}

interface SummaryJson {
  exitCode: number;
  dryRun: boolean;
  counts: Record<string, Record<string, number>>;
}

/** The lines of the table section headed `heading` (up to the next blank line). */
function section(table: string, heading: string): string[] | undefined {
  const lines = table.split('\n');
  const start = lines.indexOf(heading);
  if (start < 0) return undefined;
  const end = lines.indexOf('', start);
  return lines.slice(start + 1, end < 0 ? undefined : end).map((line) => line.trim());
}

async function nothingWritten(fx: ImportFixture): Promise<void> {
  expect(await fx.auditLines()).toEqual([]);
  expect(await fx.users()).toEqual([]);
  const { searchEntries } = await fx.tree.client.search(fx.tree.baseDn, {
    scope: 'sub',
    attributes: ['1.1'],
  });
  // Run state (the run lock's lease and its containers) lives under ou=rostersync (SPEC §5): not a write of the run's.
  const runState = `ou=rostersync,${fx.tree.baseDn}`.toLowerCase();
  const written = searchEntries.filter((entry) => !entry.dn.toLowerCase().endsWith(runState));
  expect(written).toHaveLength(1);
}

describe('plan output', () => {
  let fx: ImportFixture;
  beforeAll(async () => {
    fx = await importFixture('output');
    await fx.writeRoster(rows);
  });
  afterAll(async () => {
    await fx.dispose();
  });

  it('--dry-run prints a table grouped by action and school and writes nothing', async () => {
    const result = await fx.runImport([...NOW, '--dry-run']);
    expect(result.code).toBe(0);
    expect(section(result.stdout, 'create — gym1 (2)')?.map((line) => line.split(/\s+/)[0])).toEqual([
      'o.erste',
      'o.zweiter',
    ]);
    expect(section(result.stdout, 'create — rs2 (1)')?.map((line) => line.split(/\s+/)[0])).toEqual([
      'o.dritter',
    ]);
    expect(section(result.stdout, 'create group — gym1 (1)')).toHaveLength(1);
    expect(section(result.stdout, 'create group — rs2 (1)')).toHaveLength(1);
    expect(result.stdout).toMatch(/Safety: 0 of 0 in-scope users would be removed/);
    await nothingWritten(fx);
  });

  it('--format json is the plan; --plan-out saves the same; --summary-json counts per action and school', async () => {
    const planFile = join(fx.dir, 'plan.json');
    const summaryFile = join(fx.dir, 'summary.json');
    const result = await fx.runImport([
      ...NOW,
      '--dry-run',
      '--format',
      'json',
      '--plan-out',
      planFile,
      '--summary-json',
      summaryFile,
    ]);
    expect(result.code).toBe(0);
    const plan = JSON.parse(result.stdout) as PlanJson;
    expect(plan.version).toBe(2);
    expect(plan.job).toBe('import');
    expect(plan.basedOn.configDigest).toMatch(/^[0-9a-f]{64}$/);
    expect(Array.isArray(plan.actions)).toBe(true);
    expect(
      plan.actions.filter((action) => action.kind === 'create').map((action) => action.username),
    ).toEqual(['o.erste', 'o.zweiter', 'o.dritter']);
    expect(plan.safety).toMatchObject({ removals: 0, inScope: 0, exceeded: false });
    expect(JSON.parse(await readFile(planFile, 'utf8'))).toEqual(plan);
    const summary = JSON.parse(await readFile(summaryFile, 'utf8')) as SummaryJson;
    expect(summary.exitCode).toBe(0);
    expect(summary.dryRun).toBe(true);
    expect(summary.counts.create).toEqual({ gym1: 2, rs2: 1 });
    expect(summary.counts['create-group']).toEqual({ gym1: 1, rs2: 1 });
    await nothingWritten(fx);
  });

  it('--format ldif shows the change records and writes nothing', async () => {
    const result = await fx.runImport([...NOW, '--dry-run', '--format', 'ldif']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^changetype: add$/m);
    expect(result.stdout).toMatch(/^dn: uid=o\.erste,ou=people,ou=gym1,/m);
    expect(result.stdout).not.toMatch(/userPassword/i);
    await nothingWritten(fx);
  });

  it('a real run with --format table prints the plan and applies it', async () => {
    const summaryFile = join(fx.dir, 'summary-real.json');
    const result = await fx.runImport([...NOW, '--format', 'table', '--summary-json', summaryFile]);
    expect(result.code).toBe(0);
    expect(section(result.stdout, 'create — gym1 (2)')).toHaveLength(2);
    expect(section(result.stdout, 'create — rs2 (1)')).toHaveLength(1);
    expect((await fx.users()).map((user) => user.uid).sort()).toEqual(['o.dritter', 'o.erste', 'o.zweiter']);
    expect((await fx.auditLines()).length).toBeGreaterThan(0);
    const summary = JSON.parse(await readFile(summaryFile, 'utf8')) as SummaryJson;
    expect(summary).toMatchObject({ exitCode: 0, dryRun: false });
    expect(summary.counts.create).toEqual({ gym1: 2, rs2: 1 });
  });

  it('a real run without --format applies a change of name', async () => {
    await fx.writeRoster([...rows.slice(0, 2), { ...rows[2]!, last: 'Vierter' }]);
    const result = await fx.runImport(NOW);
    expect(result.code).toBe(0);
    expect((await fx.user('O-3'))?.sn).toBe('Vierter');
  });
});

describe('exit codes', () => {
  it('0 when done, 1 on row errors (nothing written)', async () => {
    const fx = await importFixture('exit01');
    try {
      await fx.writeRoster([
        ...rows,
        { id: 'O-4', first: 'Ole', last: 'Falsch', schools: 'gs9', role: 'student' },
      ]);
      const bad = await fx.runImport(NOW);
      expect(bad.code).toBe(1);
      await nothingWritten(fx);
      await fx.writeRoster(rows);
      expect((await fx.runImport(NOW)).code).toBe(0);
      expect(await fx.users()).toHaveLength(3);
    } finally {
      await fx.dispose();
    }
  });

  it('2 for an unknown config key, named in the message', async () => {
    const fx = await importFixture('exit2', { config: { tolerate_error: 5 } });
    try {
      await fx.writeRoster(rows);
      const result = await fx.runImport(NOW);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('tolerate_error');
      await nothingWritten(fx);
    } finally {
      await fx.dispose();
    }
  });

  it('2 for a misspelt nested key', async () => {
    const fx = await importFixture('exit2nested', { config: { safety: { max_deletion: 5 } } });
    try {
      await fx.writeRoster(rows);
      const result = await fx.runImport(NOW);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('max_deletion');
      await nothingWritten(fx);
    } finally {
      await fx.dispose();
    }
  });

  it('2 for usage errors: no --input, an --input that does not exist', async () => {
    const fx = await importFixture('exitusage');
    try {
      const missing = await fx.run(['import', '--config', fx.configPath, ...NOW]);
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain('input');
      const nowhere = join(fx.dir, 'no-such-roster.csv');
      const absent = await fx.run(['import', '--config', fx.configPath, '--input', nowhere, ...NOW]);
      expect(absent.code).toBe(2);
      expect(absent.stderr).toContain(nowhere);
      await nothingWritten(fx);
    } finally {
      await fx.dispose();
    }
  });

  it('3 when the safety limit stops the run; nothing is written; --max-deletions overrides it', async () => {
    const fx = await importFixture('exit3', { config: { safety: { max_deletions: 0 } } });
    try {
      await fx.writeRoster(rows);
      expect((await fx.runImport(NOW)).code).toBe(0);
      const before = await fx.user('O-3');
      const auditBefore = (await fx.auditLines()).length;

      await fx.writeRoster(rows.slice(0, 2));
      const summaryFile = join(fx.dir, 'summary.json');
      const stopped = await fx.runImport([...NOW, '--summary-json', summaryFile]);
      expect(stopped.code).toBe(3);
      expect(stopped.stderr).toMatch(/safety/i);
      expect((await fx.auditLines()).length).toBe(auditBefore);
      expect(await fx.user('O-3')).toEqual(before);
      const summary = JSON.parse(await readFile(summaryFile, 'utf8')) as SummaryJson & {
        safety: { exceeded: boolean; removals: number };
      };
      expect(summary.exitCode).toBe(3);
      expect(summary.safety).toMatchObject({ exceeded: true, removals: 1 });

      const allowed = await fx.runImport([...NOW, '--max-deletions', '1']);
      expect(allowed.code).toBe(0);
      expect(values(await fx.user('O-3'), 'pwdAccountLockedTime')).toEqual(['000001010000Z']);
    } finally {
      await fx.dispose();
    }
  });
});
