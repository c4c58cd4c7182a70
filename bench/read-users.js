#!/usr/bin/env node
// The no-op's floor: only the directory read of an import — the same paged search, attributes and
// decoding (ldapts, then rostersync's DirectoryUser) — with no roster and no planning. The benchmark runs
// it beside the dump to show how much of the no-op is the client-side decoding of the entries.
//
//   node bench/read-users.js --config rostersync.yaml
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const dist = (path) => join(root, 'dist', path);
const configPath = process.argv[process.argv.indexOf('--config') + 1];

const { loadConfig } = await import(dist('config/index.js'));
const { connectDirectory } = await import(dist('directory/index.js'));
const { DirectoryLayout } = await import(dist('directory/layout.js'));
const { readUsers } = await import(dist('snapshot/read.js'));

const { config } = await loadConfig({ configPath, env: process.env });
const directory = await connectDirectory(config, process.env);
let users = 0;
try {
  const layout = new DirectoryLayout(config);
  await readUsers(
    directory,
    // As the import reads them when it applies at once (no --plan-out: no entryCSN).
    { config, layout, schools: [], containers: [], classGroups: [], mappedAttributes: [], entryCsn: false },
    () => {
      users += 1;
    },
  );
} finally {
  await directory.close();
}
process.stdout.write(`${users} users read\n`);
