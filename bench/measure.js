/**
 * Timing a child process: wall time from spawn to exit (hrtime), and the child's peak RSS and CPU time
 * (user + system) from GNU time (`/usr/bin/time -v`), which reads them from wait4()'s rusage — the same
 * numbers the kernel keeps, including everything the process did, children included. Where GNU time is
 * missing, wall time is all there is (RSS and CPU are then reported as unknown).
 *
 * The slapd under test runs in another process; its CPU time is read from /proc/<pid>/stat before and
 * after, so each row also shows how much work the server did.
 */
import { Buffer } from 'node:buffer';
import { spawn } from 'node:child_process';
import { existsSync, openSync, closeSync, readFileSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { hrtime } from 'node:process';

const GNU_TIME = '/usr/bin/time';
export const HAVE_GNU_TIME = existsSync(GNU_TIME);

/** Clock ticks per second for /proc/<pid>/stat; 100 on every Linux we know of. */
const CLOCK_TICKS = 100;

/** CPU seconds (user + system) a running process has used so far, or undefined off Linux. */
export function processCpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

function parseGnuTime(text) {
  const value = (label) => {
    const match = new RegExp(`${label}: (.*)`).exec(text);
    return match ? match[1].trim() : undefined;
  };
  const rssKb = Number(value('Maximum resident set size \\(kbytes\\)'));
  const user = Number(value('User time \\(seconds\\)'));
  const system = Number(value('System time \\(seconds\\)'));
  return {
    rssMb: Number.isFinite(rssKb) ? rssKb / 1024 : undefined,
    cpuSeconds: Number.isFinite(user + system) ? user + system : undefined,
  };
}

/**
 * Runs `command args`, stdout/stderr to the given files ('/dev/null' is fine). Resolves with
 * { seconds, rssMb, cpuSeconds, exitCode, serverCpuSeconds }; never rejects on a non-zero exit.
 */
export async function timed(
  command,
  args,
  { stdout = '/dev/null', stderr = '/dev/null', env, serverPid } = {},
) {
  const timeFile = `${stderr === '/dev/null' ? '/tmp' : stderr}.time-${process.pid}-${Date.now()}`;
  const [file, argv] = HAVE_GNU_TIME ? [GNU_TIME, ['-v', '-o', timeFile, command, ...args]] : [command, args];
  const out = openSync(stdout, 'w');
  const err = openSync(stderr, 'w');
  const serverBefore = serverPid === undefined ? undefined : processCpuSeconds(serverPid);
  const started = hrtime.bigint();
  const exitCode = await new Promise((resolve, reject) => {
    const child = spawn(file, argv, { stdio: ['ignore', out, err], env: env ?? process.env });
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  }).finally(() => {
    closeSync(out);
    closeSync(err);
  });
  const seconds = Number(hrtime.bigint() - started) / 1e9;
  const serverAfter = serverPid === undefined ? undefined : processCpuSeconds(serverPid);
  let usage = { rssMb: undefined, cpuSeconds: undefined };
  if (HAVE_GNU_TIME) {
    usage = parseGnuTime(await readFile(timeFile, 'utf8').catch(() => ''));
    await rm(timeFile, { force: true });
  }
  return {
    seconds,
    exitCode,
    ...usage,
    serverCpuSeconds:
      serverBefore !== undefined && serverAfter !== undefined ? serverAfter - serverBefore : undefined,
  };
}

/** A clean environment for the CLI: no ROSTERSYNC_* from the caller's shell changes what is measured. */
/**
 * The Node flags on a script's `#!/usr/bin/env -S node …` line: rostersync runs with them when installed
 * (a command on the PATH runs through that line), so the benchmark's runs take them too.
 */
export async function launcherFlags(script) {
  const [first] = (await readFile(script, 'utf8')).split('\n', 1);
  const words =
    /^#!\S*env\s+-S\s+(.*)$/
      .exec(first ?? '')?.[1]
      ?.trim()
      .split(/\s+/) ?? [];
  return words[0] === 'node' ? words.slice(1) : [];
}

export function cliEnv() {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('ROSTERSYNC_')));
}

/** Runs a command to completion and returns its stdout as a string (for setup steps, not timed). */
export function capture(command, args, { env, maxBytes = 4 * 1024 * 1024 * 1024 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env });
    const chunks = [];
    const errors = [];
    let size = 0;
    child.stdout.on('data', (chunk) => {
      size += chunk.length;
      if (size <= maxBytes) chunks.push(chunk);
    });
    child.stderr.on('data', (chunk) => errors.push(chunk));
    child.once('error', reject);
    child.once('exit', (code) => {
      const text = Buffer.concat(chunks).toString('utf8');
      if (code === 0) resolve(text);
      else
        reject(
          new Error(
            `${command} ${args.join(' ')} exited ${code}: ${Buffer.concat(errors).toString('utf8').slice(-2000)}`,
          ),
        );
    });
  });
}
