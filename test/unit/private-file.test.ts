/** Output files holding personal data are the owner's alone: created 0600, a wider existing one narrowed and logged. */
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/logging/index.js';
import { openPrivateFile, writePrivateFile } from '../../src/output/private-file.js';
import { captureLogger } from '../support/logging.js';

const modeOf = async (path: string): Promise<number> => (await stat(path)).mode & 0o777;

async function logged(lines: () => Promise<string[]>): Promise<{ level: string; message: string }[]> {
  return (await lines()).map((line) => JSON.parse(line) as { level: string; message: string });
}

describe('private output files', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'private-file-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('creates a new file 0600', async () => {
    const path = join(dir, 'plan.json');
    await writePrivateFile(path, '{}\n');
    expect(await modeOf(path)).toBe(0o600);
    expect(await readFile(path, 'utf8')).toBe('{}\n');
  });

  it('narrows an existing world-readable file before writing to it, and says so', async () => {
    const path = join(dir, 'summary.json');
    await writeFile(path, 'old content that is longer\n');
    await chmod(path, 0o644);
    const { logger, lines } = captureLogger();
    await writePrivateFile(path, 'new\n', logger);
    expect(await modeOf(path)).toBe(0o600);
    expect(await readFile(path, 'utf8')).toBe('new\n');
    const warnings = (await logged(lines)).filter((line) => line.level === 'warn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.message).toBe(`${path} was readable by others (mode 0644); narrowed to 0600`);
  });

  it('leaves a file that is already private alone, without a message', async () => {
    const path = join(dir, 'private.json');
    await writeFile(path, '', { mode: 0o600 });
    const { logger, lines } = captureLogger();
    await (await openPrivateFile(path, 'a', logger)).close();
    expect(await modeOf(path)).toBe(0o600);
    expect(await lines()).toEqual([]);
  });

  it('narrows an existing audit log to 0600 when it is opened, and logs it', async () => {
    const path = join(dir, 'audit.jsonl');
    await writeFile(path, '{"action":"add"}\n');
    await chmod(path, 0o664);
    const { logger, lines } = captureLogger();
    const audit = await AuditLog.open(path, 'run-1', { logger });
    await audit.close();
    expect(await modeOf(path)).toBe(0o600);
    expect((await logged(lines)).map((line) => line.message)).toEqual([
      `${path} was readable by others (mode 0664); narrowed to 0600`,
    ]);
  });
});
