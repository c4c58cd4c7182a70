/**
 * scripts/bootstrap.sh, the set-up behind `npm test`, `npm run demo` and .ci/run. On this machine, where
 * everything is in place, it is a silent, quick no-op. Its decisions (install Node 24? which Debian
 * packages? `npm ci`?) are checked on a stand-in machine: a copy of the script in a scratch project whose
 * PATH holds only small stand-ins that record how they were called, so nothing is really installed.
 */
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SCRIPT = join(ROOT, 'scripts/bootstrap.sh');
/** A command for each Debian package the script looks for. */
const PACKAGE_COMMANDS = ['slapd', 'ldapadd', 'systemd-analyze', 'faketime', 'chromium'];

function bootstrap(args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; script?: string }) {
  const started = performance.now();
  const result = spawnSync('/bin/sh', [options.script ?? SCRIPT, ...args], {
    cwd: options.cwd,
    env: options.env,
    encoding: 'utf8',
  });
  return { ...result, ms: performance.now() - started };
}

describe('on this machine, where everything is installed', () => {
  it('--check exits 0 at once and prints nothing', () => {
    // The Node running the tests is >= 22; put it first, as `npm test` does.
    const env = { ...process.env, PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH}` };
    const result = bootstrap(['--check'], { cwd: ROOT, env });
    expect({ status: result.status, stdout: result.stdout, stderr: result.stderr }).toEqual({
      status: 0,
      stdout: '',
      stderr: '',
    });
    expect(result.ms).toBeLessThan(1000);
  });
});

interface StandInMachine {
  dir: string;
  home: string;
  /** Runs the project's copy of the script on this machine. */
  run(args: string[]): ReturnType<typeof bootstrap>;
  /** The calls so far of the stand-ins that would change the machine (npm, apt-get), one `name args` each. */
  calls(): string[];
  /** A stand-in command `name` that runs `body` (sh), recording its call first if `record`. */
  standIn(name: string, body?: string, record?: boolean): void;
  remove(name: string): void;
}

const machines: string[] = [];
afterEach(async () => {
  for (const dir of machines.splice(0)) await rm(dir, { recursive: true, force: true });
});

/**
 * A project (the script, package-lock.json, an up-to-date node_modules) on a machine with Node 24, npm,
 * root, apt-get and every package's command, all stand-ins.
 */
async function standInMachine(): Promise<StandInMachine> {
  const dir = await mkdtemp(join(tmpdir(), 'rostersync-bootstrap-'));
  machines.push(dir);
  const bin = join(dir, 'bin');
  const home = join(dir, 'home');
  const log = join(dir, 'calls');
  for (const sub of ['bin', 'home', 'project/scripts', 'project/node_modules']) {
    mkdirSync(join(dir, sub), { recursive: true });
  }
  const script = join(dir, 'project/scripts/bootstrap.sh');
  copyFileSync(SCRIPT, script);
  await writeFile(join(dir, 'project/package-lock.json'), '{}\n');
  await writeFile(join(dir, 'project/node_modules/.package-lock.json'), '{}\n');
  // Real tools: the ones the script uses, and two for the stand-ins.
  for (const tool of ['dirname', 'env', 'mkdir', 'chmod']) {
    const found = spawnSync('/bin/sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
    symlinkSync(found, join(bin, tool));
  }
  const machine: StandInMachine = {
    dir,
    home,
    run: (args) => bootstrap(args, { cwd: dir, script, env: { PATH: bin, HOME: home, LANG: 'C' } }),
    calls: () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : []),
    standIn: (name, body = '', record = false) => {
      const path = join(bin, name);
      const recording = record ? `echo "${name} $*" >> '${log}'\n` : '';
      writeFileSync(path, `#!/bin/sh\n${recording}${body}\n`);
      chmodSync(path, 0o755);
    },
    remove: (name) => {
      rmSync(join(bin, name));
    },
  };
  machine.standIn('node', '[ "$1" = --version ] && echo v24.11.0');
  machine.standIn('npm', '', true);
  machine.standIn('id', 'echo 0');
  machine.standIn('apt-get', '', true);
  for (const command of PACKAGE_COMMANDS) machine.standIn(command);
  return machine;
}

/** A command for the script to run at the end: prints which node it sees. */
const SHOW_NODE = ['/bin/sh', '-c', 'echo "ran with $(command -v node)"'];

describe('the decisions, on a stand-in machine', () => {
  it('does nothing and prints nothing when everything is there, then runs the command', async () => {
    const machine = await standInMachine();
    expect(machine.run(['--check'])).toMatchObject({ status: 0, stdout: '', stderr: '' });
    const result = machine.run(SHOW_NODE);
    expect(result).toMatchObject({ status: 0, stdout: `ran with ${machine.dir}/bin/node\n`, stderr: '' });
    expect(machine.calls()).toEqual([]);
  });

  it('installs Node 24 into ~/.node24 when node is older than 22, and runs the command with it', async () => {
    const machine = await standInMachine();
    machine.standIn('node', '[ "$1" = --version ] && echo v20.19.2');
    const node24 = join(machine.home, '.node24/node_modules/.bin');
    // What `npm install --prefix ~/.node24 node@24` leaves behind.
    machine.standIn(
      'npm',
      `mkdir -p '${node24}' && printf '#!/bin/sh\\necho v24.11.0\\n' > '${node24}/node' && chmod +x '${node24}/node'`,
      true,
    );

    const check = machine.run(['--check']);
    expect(check.status).toBe(1);
    expect(check.stdout).toContain(
      `npm install --prefix ${machine.home}/.node24 --no-audit --no-fund node@24`,
    );
    expect(machine.calls()).toEqual([]);

    const result = machine.run(SHOW_NODE);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toBe(`ran with ${node24}/node\n`);
    expect(machine.calls()).toEqual([
      `npm install --prefix ${machine.home}/.node24 --no-audit --no-fund node@24`,
    ]);

    // Installed once: the next run only puts it on PATH.
    expect(machine.run(SHOW_NODE)).toMatchObject({
      status: 0,
      stdout: `ran with ${node24}/node\n`,
      stderr: '',
    });
    expect(machine.calls()).toHaveLength(1);
  });

  it('stops with a clear message when Node 24 did not install', async () => {
    const machine = await standInMachine();
    machine.standIn('node', '[ "$1" = --version ] && echo v18.20.0');
    const result = machine.run(SHOW_NODE);
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('Node 24 did not install into ~/.node24; install Node >= 22');
  });

  it('as root, installs exactly the missing packages with apt-get, after apt-get update', async () => {
    const machine = await standInMachine();
    machine.remove('faketime');
    machine.remove('chromium');
    const result = machine.run(SHOW_NODE);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toBe(`ran with ${machine.dir}/bin/node\n`);
    expect(machine.calls()).toEqual(['apt-get update -qq', 'apt-get install -y -qq faketime chromium']);
  });

  it('not as root, stops with one line naming the exact sudo apt-get command, and installs nothing', async () => {
    const machine = await standInMachine();
    machine.standIn('id', 'echo 1000');
    machine.remove('ldapadd');
    machine.remove('chromium');
    const result = machine.run(SHOW_NODE);
    expect(result).toMatchObject({
      status: 1,
      stdout: '',
      stderr:
        'bootstrap: missing Debian packages; run: sudo apt-get update && sudo apt-get install -y ldap-utils chromium\n',
    });
    expect(machine.calls()).toEqual([]);
  });

  it('--ldap-only (the demo, the benchmark) asks only for OpenLDAP', async () => {
    const machine = await standInMachine();
    for (const command of ['systemd-analyze', 'faketime', 'chromium']) machine.remove(command);
    expect(machine.run(['--ldap-only', ...SHOW_NODE])).toMatchObject({ status: 0, stderr: '' });
    machine.remove('ldapadd');
    expect(machine.run(['--ldap-only', ...SHOW_NODE]).status).toBe(0);
    expect(machine.calls()).toEqual(['apt-get update -qq', 'apt-get install -y -qq ldap-utils']);
  });

  it('runs npm ci when node_modules is missing or older than package-lock.json, then the build', async () => {
    const machine = await standInMachine();
    const project = join(machine.dir, 'project');
    const installed = join(project, 'node_modules/.package-lock.json');
    const lock = join(project, 'package-lock.json');
    // Only the two files' order matters; both are set, since a faked clock (faketime) would not move the
    // mtimes the kernel gives new files.
    const earlier = new Date('2026-01-01T10:00:00Z');
    const later = new Date('2026-01-01T11:00:00Z');

    utimesSync(lock, earlier, earlier);
    utimesSync(installed, later, later);
    machine.run(['--build']);
    expect(machine.calls()).toEqual(['npm run --silent build']);

    utimesSync(lock, later, later);
    utimesSync(installed, earlier, earlier);
    machine.run(['--build']);
    expect(machine.calls().slice(1)).toEqual(['npm ci --no-audit --no-fund', 'npm run --silent build']);

    rmSync(join(project, 'node_modules'), { recursive: true });
    expect(machine.run(['--check'])).toMatchObject({
      status: 1,
      stdout:
        'bootstrap: node_modules is missing or older than package-lock.json: npm ci --no-audit --no-fund\n',
    });
    machine.run([]);
    expect(machine.calls().slice(3)).toEqual(['npm ci --no-audit --no-fund']);
  });

  it('--print-path prints the PATH to use, with Node 24 first when it had to be installed', async () => {
    const machine = await standInMachine();
    expect(machine.run(['--print-path']).stdout).toBe(`${machine.dir}/bin\n`);
    machine.standIn('node', '[ "$1" = --version ] && echo v20.19.2');
    const node24 = join(machine.home, '.node24/node_modules/.bin');
    mkdirSync(node24, { recursive: true });
    writeFileSync(join(node24, 'node'), '#!/bin/sh\necho v24.11.0\n', { mode: 0o755 });
    expect(machine.run(['--print-path']).stdout).toBe(`${node24}${delimiter}${machine.dir}/bin\n`);
  });
});
