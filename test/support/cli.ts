/** Runs the CLI in-process with captured output, the way a shell would see it. */
import { PassThrough } from 'node:stream';
import { run } from '../../src/cli/main.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

function collect(stream: PassThrough): () => string {
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return () => Buffer.concat(chunks).toString('utf8');
}

export async function runCli(
  argv: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<CliResult> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out = collect(stdout);
  const err = collect(stderr);
  // Only what the test gives: the developer's own ROSTERSYNC_* variables must not leak into a test.
  const env = { PATH: process.env.PATH, ...options.env };
  const code = await run(argv, { stdout, stderr, env, cwd: options.cwd ?? process.cwd() });
  stdout.end();
  stderr.end();
  return { code, stdout: out(), stderr: err() };
}
