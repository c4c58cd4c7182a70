/**
 * Helpers for the deletion grace, reactivation and safety tests: reading single attribute values, the
 * audit lines of one entry, the JSON plan of a dry run, admin edits made by hand, config changes between
 * runs, and rosters with an extra `action` column.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { Attribute, Change } from 'ldapts';
import { parse, stringify } from 'yaml';
import type { ImportPlan } from '../../src/plan/types.js';
import { type ImportFixture, merge, ROSTER_HEADER, type RosterRow } from './import.js';

export type Entry = Record<string, string | string[]>;

/** The single value of an attribute (undefined when absent); fails loudly on a multi-valued one. */
export function one(entry: Entry | undefined, attribute: string): string | undefined {
  const value = entry?.[attribute];
  if (Array.isArray(value)) throw new Error(`${attribute} has ${value.length} values, expected one`);
  return value;
}

/** Every value of an attribute, as a list. */
export function many(entry: Entry | undefined, attribute: string): string[] {
  const value = entry?.[attribute];
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** The user of a record uid, failing the test when it is not there. */
export async function mustUser(fx: ImportFixture, recordUid: string): Promise<Entry> {
  const entry = await fx.user(recordUid);
  if (entry === undefined) throw new Error(`no user with record uid ${recordUid}`);
  return entry;
}

/** Binds as the user with the initial password from the passwords file. */
export async function bindsWithInitialPassword(fx: ImportFixture, entry: Entry): Promise<boolean> {
  const username = one(entry, 'uid') ?? '';
  const password = (await fx.passwords()).get(username);
  if (password === undefined) throw new Error(`no initial password for ${username}`);
  return fx.canBind(one(entry, 'dn') ?? '', password);
}

const sameDn = (a: unknown, b: string): boolean =>
  typeof a === 'string' && a.replaceAll(' ', '').toLowerCase() === b.replaceAll(' ', '').toLowerCase();

/** Audit lines written about one DN. */
export function auditFor(lines: Record<string, unknown>[], dn: string): Record<string, unknown>[] {
  return lines.filter((line) => sameDn(line.dn, dn));
}

/** Members (DNs, lower-cased) of the class group with this cn. */
export async function groupMembers(fx: ImportFixture, cn: string): Promise<string[]> {
  const group = (await fx.groups()).find((entry) => entry.cn === cn);
  return many(group, 'member').map((member) => member.toLowerCase());
}

/** The plan a `--format json` run printed. */
export function planOf(stdout: string): ImportPlan {
  return JSON.parse(stdout) as ImportPlan;
}

/** An edit made by hand with the admin connection, outside rostersync. */
export async function adminModify(
  fx: ImportFixture,
  dn: string,
  operation: 'add' | 'replace' | 'delete',
  attribute: string,
  values: string[],
): Promise<void> {
  await fx.tree.client.modify(
    dn,
    new Change({ operation, modification: new Attribute({ type: attribute, values }) }),
  );
}

/** Changes the fixture's config file between runs (deep merge). */
export async function updateConfig(fx: ImportFixture, patch: Record<string, unknown>): Promise<void> {
  const current = parse(await readFile(fx.configPath, 'utf8')) as Record<string, unknown>;
  await writeFile(fx.configPath, stringify(merge(current, patch)));
}

export interface ActionRow extends RosterRow {
  /** `A`, `M`, `D` or empty. */
  act?: string;
}

/** The `csv.mapping` of the fixture plus an `act` column mapped to `action`. */
export const ACTION_MAPPING = { act: 'action' } as const;

/** Writes the fixture's roster with an extra `act` column. */
export async function writeActionRoster(fx: ImportFixture, rows: ActionRow[]): Promise<void> {
  const cell = (value: string): string =>
    /[",\n\r]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
  const lines = [[...ROSTER_HEADER, 'act'].join(',')];
  for (const row of rows) {
    lines.push(
      [row.id, row.first, row.last, row.schools, row.role, row.classes ?? '', row.email ?? '', row.act ?? '']
        .map(cell)
        .join(','),
    );
  }
  await writeFile(fx.rosterPath, `${lines.join('\n')}\n`);
}

/** Runs an import and fails with its output when the exit code is not the expected one. */
export async function importExpecting(fx: ImportFixture, code: number, args: string[]): Promise<string> {
  const result = await fx.runImport(args);
  if (result.code !== code) {
    throw new Error(
      `import ${args.join(' ')} exited ${result.code}, expected ${code}\n${result.stdout}\n${result.stderr}`,
    );
  }
  return result.stdout;
}
