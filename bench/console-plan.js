#!/usr/bin/env node
// The console's side of the console-plan row: a roster "uploaded" into a session's place (copied there, as
// the upload streams it) and planned through ConsoleService.planImport, the function the new-import page
// calls — in a process of its own, as the CLI's dry run it is compared with.
//
//   node bench/console-plan.js --config rostersync.yaml --input roster.csv
import { copyFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';

// As bin/rostersync.js sets it for `rostersync console`, whose service this stands in for (its #! line's
// flags come from the caller, bench/console.js).
setFlagsFromString('--heap-growing-percent=30');

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const dist = (path) => join(root, 'dist', path);
const argument = (name) => process.argv[process.argv.indexOf(name) + 1];

const { loadConfig } = await import(dist('config/index.js'));
const { createLogger } = await import(dist('logging/index.js'));
const { ConsoleService } = await import(dist('console/service.js'));

const { config } = await loadConfig({ configPath: argument('--config'), env: process.env });
const logger = createLogger({ level: 'warn', format: 'json', stream: process.stderr });
const service = new ConsoleService({ config, env: process.env, logger });
const sessionId = 'bench-session';
const user = { dn: 'cn=bench', username: 'bench', schools: 'all' };
const paths = await service.uploadPaths(sessionId);
await copyFile(argument('--input'), paths.roster);
const result = await service.planImport(sessionId, user, { rosterName: 'roster.csv', schools: [] });
process.stdout.write(`${result.message}\n${paths.plan}\n`);
process.exitCode = result.ok ? 0 : 1;
