/**
 * The published package holds what users run (the CLI, the compiled code, the config examples, the hook
 * examples, the systemd units, the README) and nothing of the tests: no test slapd, no test helpers. It
 * asks npm itself which files `npm pack` would ship, from the build `npm test` has just made.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SHIPPED_FOLDERS = ['bin', 'dist', 'config', 'hooks', 'systemd'];
const SHIPPED_FILES = ['package.json', 'README.md', 'LICENSE'];
/** A path segment, or a file name, that only test support has. */
const TEST_ONLY = /(^|\/)(tests?|testing|testkit|build|fixtures)(\/|$)|\.test\.|(^|\/)vitest\./;

async function packedFiles(): Promise<string[]> {
  // --ignore-scripts: no prepack build; the files listed are those of the build already in dist/.
  const { stdout } = await promisify(execFile)('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: ROOT,
    maxBuffer: 16 * 1024 * 1024,
  });
  const [pack] = JSON.parse(stdout) as { files: { path: string }[] }[];
  return (pack?.files ?? []).map((file) => file.path);
}

describe('npm pack', () => {
  let files: string[];
  beforeAll(async () => {
    files = await packedFiles();
  });

  it('ships the CLI, the compiled code and what an admin installs', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'package.json',
        'README.md',
        'bin/rostersync.js',
        'dist/index.js',
        'dist/index.d.ts',
        'config/default.yaml',
        'config/example.yaml',
        'systemd/rostersync-import.service',
      ]),
    );
    expect(files.some((path) => path.startsWith('hooks/'))).toBe(true);
  });

  it('ships nothing outside the folders and files users run', () => {
    const outside = files.filter(
      (path) =>
        !SHIPPED_FILES.includes(path) && !SHIPPED_FOLDERS.some((folder) => path.startsWith(`${folder}/`)),
    );
    expect(outside).toEqual([]);
  });

  it('ships no test support: no test slapd, no test helpers, no tests', () => {
    expect(files.filter((path) => TEST_ONLY.test(path))).toEqual([]);
  });
});
