#!/usr/bin/env node
// The installed command: runs the compiled CLI that `npm run build` puts in dist/.
import { existsSync } from 'node:fs';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('rostersync: dist/ is missing; run `npm run build` first\n');
  process.exit(1);
}
const { run } = await import(entry.href);
process.exitCode = await run(process.argv.slice(2));
