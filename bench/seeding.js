// Which sizes the bench loads offline instead of creating through LDAP, and the seed LDIF for them.
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cliEnv, timed } from './measure.js';

const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * From this size on the create is not timed: servers are loaded with slapadd (a create through LDAP takes
 * ~3 min per 100k users on each side, so half an hour per side at 1M). `--size N` seeds any size.
 */
export const SEEDED_FROM = 200_000;

export const isSeeded = (size, options) => options.seededSizes.includes(size) || size >= SEEDED_FROM;

/**
 * The seed for slapadd: the import's create plan for `roster`, planned against the config's server while it
 * is still empty (bench/seed.js, with the build of the CLI measured), into `work`/seed.ldif. Setup, not
 * measured: the plan of a million creates needs more than Node's default heap (~0.7 GB per 100k users at
 * its peak, 5 GB at 1M), so the heap limit grows with the roster. Resolves with { file, counts, result }.
 */
export async function makeSeed({ size, work, configPath, roster, now, cli }) {
  const file = join(work, 'seed.ldif');
  const heapMb = Math.max(4096, Math.ceil(size / 1000) * 12);
  const result = await timed(
    process.execPath,
    [
      `--max-old-space-size=${heapMb}`,
      join(root, 'bench/seed.js'),
      '--dist',
      join(dirname(dirname(cli)), 'dist'),
      '--config',
      configPath,
      '--input',
      roster,
      ...(now ? ['--now', now] : []),
      '--out',
      file,
    ],
    { stdout: join(work, 'seed.out'), stderr: join(work, 'seed.log'), env: cliEnv() },
  );
  if (result.exitCode !== 0) {
    const tail = (await readFile(join(work, 'seed.log'), 'utf8').catch(() => '')).slice(-3000);
    throw new Error(`bench/seed.js exited ${result.exitCode}\n${tail}`);
  }
  const counts = JSON.parse(await readFile(join(work, 'seed.out'), 'utf8'));
  process.stderr.write(
    `[bench] seed ${size}: ${counts.entries} entries (${counts.users} users) in ${result.seconds.toFixed(1)} s, peak RSS ${result.rssMb?.toFixed(0)} MB\n`,
  );
  return { file, counts, result };
}
