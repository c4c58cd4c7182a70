/**
 * `--dry-run --format ldif` shows exactly what the import does: two servers start equal; step by step one
 * gets the printed LDIF through `ldapmodify`, the other the real import with the same `--now`, and after
 * every step both directories must hold the same entries (passwords and server bookkeeping aside).
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { type SlapdServer, startSlapd } from '../../testkit/slapd.js';
import { dumpDifference, dumpDirectory } from '../support/dump.js';
import { TEST_MAPPING, testConfig } from '../support/import.js';

const execFileAsync = promisify(execFile);
const BIN = fileURLToPath(new URL('../../bin/rostersync.js', import.meta.url));

interface Row {
  id: string;
  first: string;
  last: string;
  schools: string;
  role: string;
  classes?: string;
  email?: string;
  /** Mapped to `username`: taken as it is, so hostile characters reach the DNs. */
  login?: string;
}

const HEADER = ['id', 'first', 'last', 'schools', 'role', 'classes', 'email', 'login'];

function cell(value: string): string {
  return /[",\n\r]/.test(value) || value !== value.trim() ? `"${value.replaceAll('"', '""')}"` : value;
}

function csv(rows: readonly Row[]): string {
  const lines = [HEADER.join(',')];
  for (const row of rows) {
    lines.push(
      [
        row.id,
        row.first,
        row.last,
        row.schools,
        row.role,
        row.classes ?? '',
        row.email ?? '',
        row.login ?? '',
      ]
        .map(cell)
        .join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}

const FIRST = ['Jürgen', 'Julia', 'Jörg', 'Zoë', 'Ömer', 'Ärne', 'Léa', 'Björn', 'Sören', 'Maja', 'Jan'];
const LAST = ['Müller', 'Schäfer', 'Groß', 'Weiß', 'Öztürk', 'Meyer', 'Krüger', 'Jäger', 'Fuß', 'Bäcker'];
const SCHOOLS = ['gym1', 'rs2', 'gs3'] as const;
const CLASSES = ['5a', '5b', '6a', '7c'];

/** ~200 users: students with one class, multi-school teachers, umlauts, name collisions, hostile names. */
function firstRoster(): Row[] {
  const rows: Row[] = [];
  for (let index = 0; index < 190; index++) {
    const school = SCHOOLS[index % 3] ?? 'gym1';
    const first = FIRST[index % FIRST.length] ?? 'Max';
    const last = LAST[Math.floor(index / 7) % LAST.length] ?? 'Muster';
    if (index % 10 === 9) {
      const other = SCHOOLS[(index + 1) % 3] ?? 'rs2';
      rows.push({
        id: `T-${index}`,
        first,
        last,
        schools: `${school},${other}`,
        role: 'teacher',
        classes: `${CLASSES[index % 4] ?? '5a'},${other}-${CLASSES[(index + 1) % 4] ?? '5b'}`,
        email: `teacher${index}@schule.example`,
      });
    } else {
      rows.push({
        id: `S-${index}`,
        first,
        last,
        schools: school,
        role: 'student',
        classes: CLASSES[index % 4] ?? '5a',
      });
    }
  }
  // Hostile characters in names, usernames (so in DNs) and class names (so in group DNs).
  rows.push(
    { id: 'H-1', first: 'Anne, Marie', last: 'O"Brien', schools: 'gym1', role: 'student', classes: '5+a' },
    { id: 'H-2', first: 'Back\\slash', last: '#Hash', schools: 'gym1', role: 'student', classes: 'Q#1' },
    { id: 'H-3', first: 'Plus+Minus', last: 'Semi;Colon', schools: 'rs2', role: 'student', classes: 'x"y' },
    {
      id: 'H-4',
      first: 'Komma',
      last: 'Mann',
      schools: 'gym1',
      role: 'student',
      classes: 'k\\1',
      login: 'komma,mann',
    },
    { id: 'H-5', first: 'Plus', last: 'Frau', schools: 'gym1', role: 'student', login: 'plus+frau' },
    { id: 'H-6', first: 'Quote', last: 'Kind', schools: 'rs2', role: 'student', login: 'quote"kind' },
    { id: 'H-7', first: 'Back', last: 'Slash', schools: 'gs3', role: 'student', login: 'back\\slash' },
    { id: 'H-8', first: 'Hash', last: 'Tag', schools: 'gym1', role: 'student', login: '#hash.tag' },
    {
      id: 'H-9',
      first: 'Alle',
      last: 'Zeichen',
      schools: 'gym1,rs2',
      role: 'teacher',
      classes: '5+a,rs2-x"y',
      login: '#a,b+c"d\\e',
    },
    { id: 'H-10', first: 'Leer', last: 'Zeichen', schools: 'gs3', role: 'student', login: 'leer zeichen' },
  );
  return rows;
}

const pick = (rows: readonly Row[], ids: readonly string[]): Row[] =>
  rows.filter((row) => ids.includes(row.id));
const without = (rows: readonly Row[], ids: readonly string[]): Row[] =>
  rows.filter((row) => !ids.includes(row.id));

/** Students missing in step 2 (deactivated, grace 0/30), and which of them come back in step 3. */
const MISSING_2 = [
  'S-0',
  'S-11',
  'S-22',
  'S-33',
  'S-44',
  'S-55',
  'S-66',
  'S-77',
  'T-9',
  'T-49',
  'H-5',
  'H-10',
];
const BACK_3 = ['S-0', 'S-33', 'S-66', 'T-9', 'H-10'];
/** Missing for the first time in step 3, deleted at once (deletion 0). */
const MISSING_3 = ['S-100', 'S-101', 'T-109', 'H-2', 'H-6'];

function secondRoster(first: readonly Row[]): Row[] {
  const rows = without(first, MISSING_2).map((row): Row => {
    const number = Number(row.id.slice(2));
    if (row.id === 'S-3') return { ...row, schools: 'rs2', classes: '5b' }; // gym1 → rs2: a move
    if (row.id === 'H-8') return { ...row, schools: 'gs3', classes: '6a' }; // a hostile DN moves
    if (row.id === 'H-1') return { ...row, last: 'O"Brien-Weiß', classes: '5+a,Q#1' };
    if (row.id.startsWith('S-') && number % 13 === 1) return { ...row, last: `${row.last}-Neu` }; // renamed
    if (row.id.startsWith('S-') && number % 11 === 2) return { ...row, classes: '7c' }; // class change
    if (row.id.startsWith('S-') && number % 17 === 4) return { ...row, classes: '' }; // leaves its class
    if (row.id === 'T-19') return { ...row, classes: `${row.classes ?? ''},gs3-6a`, schools: 'gs3,gym1,rs2' };
    return row;
  });
  for (let index = 0; index < 12; index++) {
    rows.push({
      id: `N-${index}`,
      first: FIRST[index % FIRST.length] ?? 'Max',
      last: index % 2 === 0 ? 'Müller' : 'Groß, von',
      schools: SCHOOLS[index % 3] ?? 'gym1',
      role: 'student',
      classes: index % 4 === 0 ? '8d' : '5a',
    });
  }
  return rows;
}

function thirdRoster(first: readonly Row[], second: readonly Row[]): Row[] {
  const back = pick(first, BACK_3).map((row) => (row.id === 'S-0' ? { ...row, classes: '6a' } : row));
  return [
    ...without(second, MISSING_3),
    ...back,
    { id: 'N-20', first: 'Jürgen', last: 'Müller', schools: 'gym1', role: 'student', classes: '5a' },
    { id: 'N-21', first: 'Ünal', last: 'Çelik', schools: 'rs2', role: 'staff' },
  ];
}

interface Side {
  server: SlapdServer;
  configPath: string;
  stateDir: string;
  /** The admin password without a trailing newline, as `ldapmodify -y` reads the whole file. */
  passwordFile: string;
}

async function rostersync(args: string[]): Promise<{ stdout: string; stderr: string }> {
  try {
    return await execFileAsync(process.execPath, [BIN, ...args], {
      env: { PATH: process.env.PATH ?? '' },
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    throw new Error(
      `rostersync ${args.join(' ')} exited ${String(failed.code)}\n${failed.stderr ?? ''}\n${(failed.stdout ?? '').slice(0, 4000)}`,
      { cause: error },
    );
  }
}

function configFor(server: SlapdServer, stateDir: string, deletion: number): Record<string, unknown> {
  return testConfig(
    {
      url: server.url,
      bindDn: server.adminDn,
      passwordFile: server.adminPasswordFile,
      baseDn: server.suffix,
    },
    stateDir,
    {
      source_uid: 'sis-ldif',
      schools: [...SCHOOLS],
      csv: { mapping: { ...TEST_MAPPING, login: 'username' } },
      deletion_grace_period: { deactivation: 0, deletion },
    },
  );
}

describe('the LDIF of a dry run is what the import writes', () => {
  let dir: string;
  let ldif: Side;
  let real: Side;
  const rosters: Row[][] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rostersync-ldif-'));
    const [a, b] = await Promise.all([startSlapd(), startSlapd()]);
    const side = async (server: SlapdServer, name: string): Promise<Side> => {
      const stateDir = join(dir, name, 'state');
      await mkdir(join(dir, name), { recursive: true });
      const passwordFile = join(dir, name, 'admin.pw');
      await writeFile(passwordFile, server.adminPassword, { mode: 0o600 });
      return { server, configPath: join(dir, name, 'rostersync.yaml'), stateDir, passwordFile };
    };
    ldif = await side(a, 'ldif');
    real = await side(b, 'real');
    const first = firstRoster();
    const second = secondRoster(first);
    rosters.push(first, second, thirdRoster(first, second));
  });

  afterAll(async () => {
    await Promise.all([ldif.server.stop(), real.server.stop()]);
    await rm(dir, { recursive: true, force: true });
  });

  const steps = [
    {
      name: 'step 1: first import (creates, hostile names, multi-school teachers)',
      deletion: 30,
      now: '2026-03-02T07:00:00Z',
      dumped: ['rostersyncrole: teacher:school:rs2'],
      expect: ['changetype: add', 'objectClass: groupOfNames', 'rostersyncRole: teacher:school:rs2'],
    },
    {
      name: 'step 2: renames, a move, class changes, new users, deactivations (grace 0/30)',
      deletion: 30,
      now: '2026-03-09T07:00:00Z',
      dumped: ['pwdaccountlockedtime: 000001010000Z', 'rostersyncpurgetimestamp: '],
      expect: [
        'changetype: modrdn',
        'pwdAccountLockedTime: 000001010000Z',
        'rostersyncPurgeTimestamp: ',
        'add: member',
        'delete: member',
        'replace: sn',
      ],
    },
    {
      name: 'step 3: deletions with reservations (deletion 0) and reactivations',
      deletion: 0,
      now: '2026-03-16T07:00:00Z',
      dumped: ['dn: uid=plus\\+frau,ou=rostersync-reserved-usernames,'],
      expect: [
        'changetype: delete',
        'ou=rostersync-reserved-usernames',
        'delete: pwdAccountLockedTime',
        'delete: rostersyncPurgeTimestamp',
      ],
    },
  ];

  for (const [index, step] of steps.entries()) {
    it(step.name, { timeout: 120_000 }, async () => {
      const rosterPath = join(dir, `roster-${index + 1}.csv`);
      await writeFile(rosterPath, csv(rosters[index] ?? []));
      for (const side of [ldif, real]) {
        await writeFile(side.configPath, stringify(configFor(side.server, side.stateDir, step.deletion)));
      }

      const dryRun = await rostersync([
        'import',
        '--config',
        ldif.configPath,
        '--input',
        rosterPath,
        '--dry-run',
        '--format',
        'ldif',
        '--now',
        step.now,
      ]);
      for (const expected of step.expect) expect(dryRun.stdout).toContain(expected);
      const ldifPath = join(dir, `step-${index + 1}.ldif`);
      await writeFile(ldifPath, dryRun.stdout);
      const { url, adminDn } = ldif.server;
      await execFileAsync(
        'ldapmodify',
        ['-x', '-H', url, '-D', adminDn, '-y', ldif.passwordFile, '-f', ldifPath],
        {
          maxBuffer: 64 * 1024 * 1024,
        },
      ).catch((error: unknown) => {
        const failed = error as { code?: number; stderr?: string; stdout?: string };
        throw new Error(
          `ldapmodify exited ${String(failed.code)}: ${failed.stderr ?? ''}\n${(failed.stdout ?? '').split('\n').slice(-6).join('\n')}`,
          { cause: error },
        );
      });

      await rostersync(['import', '--config', real.configPath, '--input', rosterPath, '--now', step.now]);

      const dumpOf = (side: Side): Promise<string> =>
        dumpDirectory(side.server.url, side.server.adminDn, side.server.adminPassword, side.server.suffix);
      const [viaLdif, viaImport] = await Promise.all([dumpOf(ldif), dumpOf(real)]);
      expect(viaImport.split('\n\n').length).toBeGreaterThan(100);
      for (const expected of step.dumped) expect(viaImport).toContain(expected);
      expect(viaLdif === viaImport, dumpDifference(viaLdif, viaImport, ['ldif', 'import'])).toBe(true);
    });
  }
});
