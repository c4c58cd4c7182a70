#!/usr/bin/env node
// npm run demo: a throwaway OpenLDAP on a free loopback port (the same code the tests use), the shipped
// samples, and rostersync run against it. `npm run demo -- --keep` leaves the server running.
import { spawnSync } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const keep = process.argv.includes('--keep');
const { startSlapd } = await import(join(root, 'dist/testing/slapd.js'));
const { Directory, and, eq, rdn } = await import(join(root, 'dist/directory/index.js'));

const demoDir = join(root, '.rostersync-demo');
const config = join(root, 'samples/config.yaml');
const roster = join(root, 'samples/roster.csv');

function heading(text) {
  process.stdout.write(`\n\x1b[1m== ${text}\x1b[0m\n`);
}

/** Runs the real CLI, as an admin would, with the environment layer pointing it at the demo server. */
function rostersync(args, env) {
  process.stdout.write(`$ rostersync ${args.join(' ')}\n`);
  const result = spawnSync(process.execPath, [join(root, 'bin/rostersync.js'), ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: 'inherit',
  });
  return result.status ?? 1;
}

await rm(demoDir, { recursive: true, force: true });
await mkdir(demoDir, { recursive: true });

heading('starting a throwaway OpenLDAP (mdb, ppolicy, lastbind, rostersync schema)');
const server = await startSlapd({ dir: join(demoDir, 'slapd'), detached: keep });
process.stdout.write(`slapd pid ${server.pid} listening on ${server.url}, suffix ${server.suffix}\n`);

// The sample config names a production-like server; environment variables (the top config layer) point
// this run at the throwaway one instead.
const env = {
  ROSTERSYNC_LDAP__URL: server.url,
  ROSTERSYNC_LDAP__BIND_DN: server.adminDn,
  ROSTERSYNC_LDAP__BIND_PASSWORD_FILE: server.adminPasswordFile,
  ROSTERSYNC_LDAP__BASE_DN: server.suffix,
  ROSTERSYNC_STATE_DIR: join(demoDir, 'state'),
};
let failed = false;
try {
  heading('config check: validate, print the effective config (secrets redacted), check the directory');
  if (rostersync(['config', 'check', '--config', config, '--connect'], env) !== 0) failed = true;

  heading('import --dry-run: the plan for the sample roster');
  const dryRun = rostersync(['import', '--config', config, '--input', roster, '--dry-run'], env);
  if (dryRun !== 0) process.stdout.write('(the import engine is not built yet; see README "Status")\n');

  heading('a directory round trip through the rostersync directory layer');
  const directory = await Directory.connect({
    url: server.url,
    bindDn: server.adminDn,
    bindPassword: server.adminPassword,
    starttls: false,
    tls: { rejectUnauthorized: true },
    timeoutMs: 10_000,
    pageSize: 500,
  });
  try {
    const people = `ou=people,${server.suffix}`;
    await directory.add(people, { objectClass: 'organizationalUnit', ou: 'people' });
    const userDn = `${rdn('uid', 'j.mueller')},${people}`;
    await directory.add(userDn, {
      objectClass: ['inetOrgPerson', 'rostersyncUser'],
      uid: 'j.mueller',
      cn: 'Jürgen Müller',
      givenName: 'Jürgen',
      sn: 'Müller',
      userPassword: 'demo-password',
      rostersyncSourceUid: 'sis-demo',
      rostersyncRecordUid: 'S-1001',
      rostersyncSchool: 'gym1',
      rostersyncRole: 'student:school:gym1',
    });
    const filter = and(eq('rostersyncSourceUid', 'sis-demo'), eq('rostersyncRecordUid', 'S-1001'));
    process.stdout.write(`search ${filter.toString()}\n`);
    for await (const entry of directory.search(server.suffix, {
      scope: 'sub',
      filter,
      attributes: ['uid', 'cn', 'rostersyncRole'],
    })) {
      process.stdout.write(`  found ${entry.dn}: ${JSON.stringify(entry.attributes)}\n`);
    }
    const canBind = await directory.bindAs(userDn, 'demo-password');
    process.stdout.write(`  bind as ${userDn}: ${canBind ? 'ok' : 'refused'}\n`);
    if (!canBind) failed = true;
  } finally {
    await directory.close();
  }

  heading('look for yourself');
  process.stdout.write(
    `ldapsearch -x -H ${server.url} -D '${server.adminDn}' -y ${server.adminPasswordFile} \\\n` +
      `  -b '${server.suffix}' '(objectClass=rostersyncUser)'\n`,
  );
} finally {
  if (keep) {
    process.stdout.write(
      `\nThe server keeps running (pid ${server.pid}); stop it with: kill ${server.pid}\n`,
    );
  } else {
    await server.stop();
    process.stdout.write('\nThe server is stopped (use npm run demo -- --keep to leave it running).\n');
  }
}
process.exitCode = failed ? 1 : 0;
