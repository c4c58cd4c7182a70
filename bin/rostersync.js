#!/usr/bin/env -S node --max-semi-space-size=16
// The installed command: runs the compiled CLI that `npm run build` puts in dist/.
//
// V8's young generation is capped at 16 MB per semi-space: Node's default grows it to 64 MB on a large
// machine, and a run that decodes a directory's users makes so much short-lived garbage that it fills
// all of it; the cap gives the same speed with a third less peak memory (bench/RESULTS.md).
import { existsSync } from 'node:fs';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('rostersync: dist/ is missing; run `npm run build` first\n');
  process.exit(1);
}
const { run } = await import(entry.href);
process.exitCode = await run(process.argv.slice(2));
