#!/usr/bin/env node
// npm run demo: a throwaway OpenLDAP on a free loopback port (the same code the tests use), the shipped
// sample roster, and rostersync run against it as an admin would. `npm run demo -- --keep` leaves the
// server running afterwards.
import { spawnSync } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const keep = process.argv.includes('--keep');
const { startSlapd } = await import(join(root, 'build/testkit/slapd.js'));
const { Directory, and, eq } = await import(join(root, 'dist/directory/index.js'));

const demoDir = join(root, '.rostersync-demo');
const stateDir = join(demoDir, 'state');
const config = join(root, 'samples/config.yaml');
const roster = join(root, 'samples/roster.csv');
const now = '2026-11-23T07:00:00+01:00';

function heading(text) {
  process.stdout.write(`\n\x1b[1m== ${text}\x1b[0m\n`);
}

/** Runs the real CLI as an admin would; the environment layer points it at the demo server. */
function rostersync(args, env, { show = Infinity } = {}) {
  process.stdout.write(`$ rostersync ${args.join(' ')}\n`);
  const result = spawnSync(process.execPath, [join(root, 'bin/rostersync.js'), ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const lines = result.stdout.split('\n');
  if (lines.length > show) {
    // Long plans: the first lines and the closing summary are what a reader wants to see.
    const summaryAt = lines.findIndex((line) => line === 'Summary');
    process.stdout.write(`${lines.slice(0, show).join('\n')}\n  … (${lines.length - show} more lines)\n`);
    if (summaryAt > show) process.stdout.write(`\n${lines.slice(summaryAt).join('\n')}`);
  } else {
    process.stdout.write(result.stdout);
  }
  process.stderr.write(result.stderr);
  process.stdout.write(`(exit ${result.status})\n`);
  return result.status ?? 1;
}

await rm(demoDir, { recursive: true, force: true });
await mkdir(demoDir, { recursive: true });

heading('starting a throwaway OpenLDAP (mdb, ppolicy, lastbind, rostersync schema)');
const server = await startSlapd({ dir: join(demoDir, 'slapd'), detached: keep });
process.stdout.write(`slapd pid ${server.pid} listening on ${server.url}, suffix ${server.suffix}\n`);

// samples/config.yaml names a production-like server; the environment (the top config layer) points this
// run at the throwaway one instead.
const env = {
  ROSTERSYNC_LDAP__URL: server.url,
  ROSTERSYNC_LDAP__BIND_DN: server.adminDn,
  ROSTERSYNC_LDAP__BIND_PASSWORD_FILE: server.adminPasswordFile,
  ROSTERSYNC_LDAP__BASE_DN: server.suffix,
  ROSTERSYNC_STATE_DIR: stateDir,
  ROSTERSYNC_OUTPUT__LOG_FORMAT: 'text',
};
const failures = [];
const expect = (what, ok) => {
  if (!ok) failures.push(what);
};
try {
  heading('config check --connect: validate, show the effective config, check the directory');
  expect(
    'config check',
    rostersync(['config', 'check', '--config', config, '--connect'], env, { show: 12 }) === 0,
  );

  heading('import --dry-run: the plan for the sample roster (nothing is written)');
  const dry = ['import', '--config', config, '--input', roster, '--now', now];
  expect('dry run', rostersync([...dry, '--dry-run'], env, { show: 30 }) === 0);

  heading('import: apply it');
  expect('import', rostersync([...dry, '--summary-json', join(demoDir, 'summary.json')], env) === 0);

  heading('import again: the directory already matches the roster, so nothing is sent');
  expect('re-import', rostersync(dry, env) === 0);

  heading('a week later, eight pupils are missing from the export');
  const lines = (await readFile(roster, 'utf8')).split('\n');
  const later = join(demoDir, 'roster-a-week-later.csv');
  await writeFile(later, [...lines.slice(0, 5), ...lines.slice(13)].join('\n'));
  const laterArgs = ['import', '--config', config, '--input', later, '--now', '2026-11-30T07:00:00+01:00'];
  expect('later dry run', rostersync([...laterArgs, '--dry-run'], env, { show: 40 }) === 0);
  expect('later import', rostersync(laterArgs, env) === 0);

  heading('a month later their grace period is over: the purge deletes them');
  const purgeArgs = ['purge', '--config', config, '--now', '2027-01-05T03:30:00+01:00'];
  expect('purge dry run', rostersync([...purgeArgs, '--dry-run'], env, { show: 30 }) === 0);
  expect('purge', rostersync(purgeArgs, env) === 0);
  expect('status', rostersync(['status', '--config', config], env) === 0);

  heading('look at one user the import created, and log in as it');
  const passwords = (await readFile(join(stateDir, 'passwords.csv'), 'utf8')).split('\n');
  const [username, recordUid, password] = (passwords[1] ?? '').split(',');
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
    const filter = and(eq('rostersyncSourceUid', 'sis-demo'), eq('rostersyncRecordUid', recordUid));
    process.stdout.write(`search ${filter.toString()}\n`);
    for await (const entry of directory.search(server.suffix, {
      scope: 'sub',
      filter,
      attributes: [
        'uid',
        'cn',
        'rostersyncSchool',
        'rostersyncRole',
        'pwdAccountLockedTime',
        'rostersyncPurgeTimestamp',
      ],
    })) {
      process.stdout.write(`  ${entry.dn}\n`);
      for (const [name, values] of Object.entries(entry.attributes)) {
        if (values.length > 0) process.stdout.write(`    ${name}: ${values.join(', ')}\n`);
      }
      const canBind = await directory.bindAs(entry.dn, password);
      process.stdout.write(
        `  bind as ${username} with the initial password from the passwords file: ${canBind ? 'ok' : 'refused'}\n`,
      );
    }
  } finally {
    await directory.close();
  }

  heading('look for yourself');
  process.stdout.write(
    `ldapsearch -x -H ${server.url} -D '${server.adminDn}' -y ${server.adminPasswordFile} \\\n` +
      `  -b '${server.suffix}' '(rostersyncPurgeTimestamp<=20261231000000Z)' uid pwdAccountLockedTime rostersyncPurgeTimestamp\n` +
      `passwords file: ${join(stateDir, 'passwords.csv')}   audit log: ${join(stateDir, 'audit.jsonl')}\n`,
  );
} finally {
  if (keep) {
    process.stdout.write(
      `\nThe server keeps running (pid ${server.pid}); stop it with: kill ${server.pid}\n`,
    );
  } else {
    await server.stop();
    process.stdout.write('\nThe server is stopped (npm run demo -- --keep leaves it running).\n');
  }
}
if (failures.length > 0) {
  process.stderr.write(`demo: these steps did not succeed: ${failures.join(', ')}\n`);
  process.exitCode = 1;
}
