/**
 * The shipped systemd units: `systemd-analyze verify` accepts every one of them (with ExecStart pointing at
 * this checkout, since verify insists that the executable exists), and each service carries the user,
 * credential, directory and hardening settings the install guide promises.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const UNITS_DIR = fileURLToPath(new URL('../../systemd/', import.meta.url));
const BIN = fileURLToPath(new URL('../../bin/rostersync.js', import.meta.url));
const INSTALL_HINT = 'apt-get update && apt-get install -y systemd';

const SERVICES = [
  'rostersync-daemon.service',
  'rostersync-console.service',
  'rostersync-import.service',
  'rostersync-purge.service',
];
const TIMERS = ['rostersync-import.timer', 'rostersync-purge.timer'];
const UNITS = [...SERVICES, ...TIMERS];

/** Directive lines every service must contain verbatim (an empty value clears the setting). */
const REQUIRED_IN_EVERY_SERVICE = [
  'User=rostersync',
  'Group=rostersync',
  'LoadCredential=bind-password:/etc/rostersync/bind-password',
  'StateDirectory=rostersync',
  'StateDirectoryMode=0700',
  'LogsDirectory=rostersync',
  'ConfigurationDirectory=rostersync',
  'ProtectSystem=strict',
  'NoNewPrivileges=yes',
  'PrivateTmp=yes',
  'ProtectHome=yes',
  'CapabilityBoundingSet=',
  'AmbientCapabilities=',
  'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX',
  'SystemCallFilter=@system-service',
  'SystemCallArchitectures=native',
  'ProtectKernelTunables=yes',
  'ProtectKernelModules=yes',
  'ProtectKernelLogs=yes',
  'ProtectControlGroups=yes',
  'ProtectClock=yes',
  'ProtectHostname=yes',
  'RestrictNamespaces=yes',
  'RestrictRealtime=yes',
  'RestrictSUIDSGID=yes',
  'LockPersonality=yes',
  'PrivateDevices=yes',
  'UMask=0077',
];

/**
 * Output of `systemd-analyze verify` that says nothing about the units under test: a container has no
 * running systemd, so there is no bus to talk to.
 */
const HARMLESS = [/failed to (connect to|open) (the )?(system |user )?(scope )?bus/i, /^\s*$/];

/** The directive lines of a unit file, without comments and blank lines. */
function directives(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#') && !line.startsWith(';'));
}

/** The values a key has in a unit file, in order. */
function values(text: string, key: string): string[] {
  return directives(text)
    .filter((line) => line.startsWith(`${key}=`))
    .map((line) => line.slice(key.length + 1));
}

function findSystemdAnalyze(): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/bin', '/bin', '/usr/sbin', '/sbin'];
  for (const dir of dirs.filter((d) => d !== '')) {
    const candidate = join(dir, 'systemd-analyze');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/** Quotes one ExecStart= word: `%` is a specifier in unit files, and quotes keep spaces in paths. */
function execWord(word: string): string {
  return `"${word.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('%', '%%')}"`;
}

interface VerifyResult {
  code: number;
  output: string;
}

function verify(analyze: string, file: string): Promise<VerifyResult> {
  return new Promise((resolve, reject) => {
    execFile(
      analyze,
      ['verify', '--man=no', file],
      { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C' }, timeout: 60_000 },
      (error, stdout, stderr) => {
        if (error !== null && typeof error.code !== 'number') {
          reject(new Error(`systemd-analyze did not run: ${error.message}`, { cause: error }));
          return;
        }
        resolve({ code: typeof error?.code === 'number' ? error.code : 0, output: `${stdout}${stderr}` });
      },
    );
  });
}

/** The lines of verify's output that are not known container noise. */
function problems(output: string): string[] {
  return output.split('\n').filter((line) => !HARMLESS.some((pattern) => pattern.test(line)));
}

let dir: string;
const texts = new Map<string, string>();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rostersync-systemd-'));
  for (const unit of UNITS) {
    const text = await readFile(join(UNITS_DIR, unit), 'utf8');
    texts.set(unit, text);
    const local = text.replaceAll(
      'ExecStart=/usr/bin/rostersync ',
      `ExecStart=${execWord(process.execPath)} ${execWord(BIN)} `,
    );
    await writeFile(join(dir, unit), local);
  }
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function text(unit: string): string {
  const found = texts.get(unit);
  if (found === undefined) throw new Error(`${unit} was not read`);
  return found;
}

describe('systemd units', () => {
  it('ships exactly the daemon and console units and the import and purge service/timer pairs', async () => {
    const shipped = (await readdir(UNITS_DIR)).filter((name) => /\.(service|timer)$/.test(name)).sort();
    expect(shipped).toEqual([...UNITS].sort());
  });

  it.each(UNITS)('systemd-analyze verify accepts %s', async (unit) => {
    const analyze = findSystemdAnalyze();
    if (analyze === undefined)
      throw new Error(`systemd-analyze is missing; install it with: ${INSTALL_HINT}`);
    if (unit.endsWith('.service')) {
      // The copy must run this checkout's CLI, or verify only proves that /usr/bin/rostersync is absent.
      const execStart = values(await readFile(join(dir, unit), 'utf8'), 'ExecStart');
      expect(execStart).toHaveLength(1);
      expect(execStart[0]).toContain(BIN);
    }
    const result = await verify(analyze, join(dir, unit));
    expect(problems(result.output), `systemd-analyze verify ${unit}:\n${result.output}`).toEqual([]);
    expect(result.code).toBe(0);
  });

  it('verify does report a broken unit here (the check above can fail)', async () => {
    const analyze = findSystemdAnalyze();
    if (analyze === undefined)
      throw new Error(`systemd-analyze is missing; install it with: ${INSTALL_HINT}`);
    const broken = join(dir, 'broken', 'rostersync-purge.service');
    await mkdir(dirname(broken), { recursive: true });
    await writeFile(
      broken,
      `${await readFile(join(dir, 'rostersync-purge.service'), 'utf8')}\nProtectTypo=yes\n`,
    );
    const result = await verify(analyze, broken);
    expect(problems(result.output).join('\n')).toMatch(/ProtectTypo/);
  });

  it.each(SERVICES)('%s runs as rostersync with the credential, directories and hardening', (unit) => {
    const lines = directives(text(unit));
    for (const required of REQUIRED_IN_EVERY_SERVICE)
      expect(lines, `${unit}: ${required}`).toContain(required);
    // Node's JIT needs writable and executable memory: the setting would crash the service.
    expect(values(text(unit), 'MemoryDenyWriteExecute')).toEqual([]);
    expect(text(unit)).toMatch(/^#.*MemoryDenyWriteExecute.*\n#.*(JIT|writable and executable)/m);
    expect(text(unit).startsWith('#'), `${unit} starts with a comment header`).toBe(true);
  });

  it('the daemon is a simple service that reloads on SIGHUP and stops cleanly on SIGTERM', () => {
    const unit = text('rostersync-daemon.service');
    expect(values(unit, 'Type')).toEqual(['simple']);
    expect(values(unit, 'ExecStart')).toEqual([
      '/usr/bin/rostersync daemon --config /etc/rostersync/rostersync.yaml',
    ]);
    expect(values(unit, 'ExecReload')).toEqual(['/bin/kill -HUP $MAINPID']);
    expect(values(unit, 'Restart')).toEqual(['on-failure']);
    expect(values(unit, 'KillSignal')).toEqual(['SIGTERM']);
    const [timeout] = values(unit, 'TimeoutStopSec');
    expect(timeout).toMatch(/^\d+(s|min)?$/);
    const seconds = Number.parseInt(timeout ?? '0', 10) * (timeout?.endsWith('min') ? 60 : 1);
    expect(seconds).toBeGreaterThanOrEqual(60);
    expect(values(unit, 'WantedBy')).toEqual(['multi-user.target']);
  });

  it.each([
    ['rostersync-import.service', 'import --config /etc/rostersync/rostersync.yaml --input '],
    ['rostersync-purge.service', 'purge --config /etc/rostersync/rostersync.yaml'],
  ])('%s is a one-shot run where exit 3 (safety limit) and 4 stay failures', (unit, command) => {
    const unitText = text(unit);
    expect(values(unitText, 'Type')).toEqual(['oneshot']);
    expect(values(unitText, 'ExecStart')[0]).toContain(`/usr/bin/rostersync ${command}`);
    for (const success of values(unitText, 'SuccessExitStatus'))
      expect(success.split(/\s+/)).not.toContain('3');
    expect(values(unitText, 'KillSignal')).toEqual(['SIGTERM']);
  });

  it.each([
    ['rostersync-import.timer', '*-*-* 02:30:00', 'rostersync-import.service'],
    ['rostersync-purge.timer', '*-*-* 03:30:00', 'rostersync-purge.service'],
  ])('%s fires daily, catches up missed runs and starts its service', (unit, calendar, service) => {
    const unitText = text(unit);
    expect(values(unitText, 'OnCalendar')).toEqual([calendar]);
    expect(values(unitText, 'Persistent')).toEqual(['true']);
    expect(values(unitText, 'RandomizedDelaySec')).toHaveLength(1);
    expect(values(unitText, 'Unit')).toEqual([service]);
    expect(values(unitText, 'WantedBy')).toEqual(['timers.target']);
  });
});
