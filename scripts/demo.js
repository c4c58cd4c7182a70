#!/usr/bin/env node
// npm run demo: a throwaway OpenLDAP on a free loopback port (the same code the tests use), the shipped
// sample roster, and rostersync run against it as an admin would; then a lifecycle rule warns a staff
// account nobody uses, through an SMTP server in this process that prints the mail it gets, and
// `rostersync keep` lifts the warning. `npm run demo -- --keep` leaves the server running afterwards.
import { Buffer } from 'node:buffer';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

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

/**
 * Runs the real CLI as an admin would; the environment layer points it at the demo server. Not spawnSync:
 * this process's SMTP server has to answer while the lifecycle run sends its mail.
 */
async function rostersync(args, env, { show = Infinity } = {}) {
  process.stdout.write(`$ rostersync ${args.join(' ')}\n`);
  const child = spawn(process.execPath, [join(root, 'bin/rostersync.js'), ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = [];
  const err = [];
  child.stdout.on('data', (chunk) => out.push(chunk));
  child.stderr.on('data', (chunk) => err.push(chunk));
  const [code] = await once(child, 'close');
  const result = {
    status: code,
    stdout: Buffer.concat(out).toString('utf8'),
    stderr: Buffer.concat(err).toString('utf8'),
  };
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

/** Prints one of the demo's users (by record uid) with the given attributes; returns the entry. */
async function showUser(directory, recordUid, attributes) {
  const filter = and(eq('rostersyncSourceUid', 'sis-demo'), eq('rostersyncRecordUid', recordUid));
  process.stdout.write(`search ${filter.toString()}\n`);
  let found;
  for await (const entry of directory.search(server.suffix, { scope: 'sub', filter, attributes })) {
    found = entry;
    process.stdout.write(`  ${entry.dn}\n`);
    for (const name of attributes) {
      const values = entry.attributes[name] ?? [];
      if (values.length > 0) process.stdout.write(`    ${name}: ${values.join(', ')}\n`);
    }
  }
  return found;
}

/** An SMTP server on a free loopback port, in this process; it keeps every message it is given. */
async function startSmtpSink() {
  const received = [];
  const smtp = new SMTPServer({
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      simpleParser(stream).then(
        (mail) => {
          received.push({ envelope: session.envelope, mail });
          callback();
        },
        (error) => callback(error),
      );
    },
  });
  smtp.listen(0, '127.0.0.1');
  await once(smtp.server, 'listening');
  return {
    port: smtp.server.address().port,
    received,
    close: () => new Promise((done) => smtp.close(done)),
  };
}

/** One received message as a mail client shows it: the envelope, the headers that matter, the body. */
function printMail({ envelope, mail }) {
  const header = (name) => mail.headers.get(name);
  process.stdout.write(
    `  MAIL FROM:<${envelope.mailFrom.address}>  RCPT TO:${envelope.rcptTo.map((to) => `<${to.address}>`).join(' ')}\n`,
  );
  for (const [name, value] of [
    ['From', mail.from?.text],
    ['To', mail.to?.text],
    ['Reply-To', mail.replyTo?.text],
    ['Subject', mail.subject],
    ['Auto-Submitted', header('auto-submitted')],
  ]) {
    if (value !== undefined) process.stdout.write(`  | ${name}: ${value}\n`);
  }
  process.stdout.write('  |\n');
  for (const line of (mail.text ?? '').trimEnd().split('\n'))
    process.stdout.write(`  | ${line}\n`.replace(/ +\n$/, '\n'));
}

/**
 * The lifecycle: a staff member logs in today (slapd's lastbind writes pwdLastSuccess); a rule warns staff
 * who have not logged in for 90 days, 14 days before their account is locked. Run 76 days from now, it
 * sends her the warning; `rostersync keep` lifts it and restarts the rule's clock.
 */
async function lifecycle(directory, passwords) {
  heading('lifecycle: a staff member logs in today, then not again');
  const [staffName, staffUid, staffPassword] = passwords.find(([, uid]) => uid?.startsWith('M-')) ?? [];
  const staff = await showUser(directory, staffUid, ['uid', 'mail', 'rostersyncRole']);
  const loggedIn = staff !== undefined && (await directory.bindAs(staff.dn, staffPassword));
  process.stdout.write(
    `  bind as ${staffName}: ${loggedIn ? 'ok' : 'refused'} (slapd records it in pwdLastSuccess)\n`,
  );
  expect('staff login', loggedIn);

  const sink = await startSmtpSink();
  try {
    // The sample config plus a rule and the mail settings; rostersync reads one config file (and the
    // environment), so the demo writes the combination next to its other files.
    const rules = [
      'lifecycle:',
      '  rules:',
      '    - name: unused-staff-accounts',
      '      trigger: no_login       # reference: the last login (pwdLastSuccess)',
      '      days: 90                # locked 90 days after it…',
      '      warning_days: 14        # …and warned by mail 14 days before',
      '      roles: [staff]',
      '      action: deactivate',
      'mail:',
      `  smtp: { host: 127.0.0.1, port: ${sink.port}, secure: false, starttls: false }   # the demo's SMTP sink`,
      '  from: "IT-Betreuung <it@gym1.schule.example>"',
      '  reply_to: "Helpdesk <helpdesk@gym1.schule.example>"',
      '  default_language: de',
    ].join('\n');
    const lifecycleConfig = join(demoDir, 'config-with-lifecycle.yaml');
    await writeFile(lifecycleConfig, `${await readFile(config, 'utf8')}\n${rules}\n`);
    process.stdout.write(`\n${lifecycleConfig}: samples/config.yaml plus\n${rules.replace(/^/gm, '  ')}\n`);

    // 76 days on (and two hours, so a change of daylight saving time cannot leave it a day short): the
    // warning day of a login today. The server compares the real pwdLastSuccess with dates from --now.
    const later = new Date(Date.now() + 76 * 86_400_000 + 2 * 3_600_000).toISOString();
    heading(`lifecycle --dry-run, 76 days later: the rule's lists (nothing is sent or written)`);
    const args = ['lifecycle', '--config', lifecycleConfig, '--now', later];
    expect('lifecycle dry run', (await rostersync([...args, '--dry-run'], env)) === 0);

    heading('lifecycle: the warning goes out; the SMTP sink in this process receives it');
    expect('lifecycle', (await rostersync(args, env)) === 0);
    process.stdout.write(`\nthe SMTP sink received ${sink.received.length} message(s):\n`);
    expect('one warning mail', sink.received.length === 1);
    if (sink.received[0] !== undefined) printMail(sink.received[0]);
    process.stdout.write('\nonly once the server took the mail is the warning written to the entry:\n');
    const marks = [
      'uid',
      'pwdLastSuccess',
      'rostersyncWarningTimestamp',
      'rostersyncWarningRule',
      'rostersyncKeptTimestamp',
    ];
    const warned = await showUser(directory, staffUid, marks);
    expect('warning recorded', warned?.attributes.rostersyncWarningRule?.[0] === 'unused-staff-accounts');

    heading(`lifecycle again the same day: ${staffName} is warned already, nothing is sent`);
    expect('lifecycle again', (await rostersync(args, env)) === 0);
    expect('no second mail', sink.received.length === 1);

    heading(
      `keep ${staffName}, who still needs the account: the warning is lifted, the rule's clock restarts`,
    );
    expect(
      'keep',
      (await rostersync(['keep', '--config', lifecycleConfig, '--now', later, staffName], env)) === 0,
    );
    const kept = await showUser(directory, staffUid, marks);
    expect(
      'warning lifted',
      kept !== undefined &&
        (kept.attributes.rostersyncWarningTimestamp ?? []).length === 0 &&
        (kept.attributes.rostersyncKeptTimestamp ?? []).length === 1,
    );
    process.stdout.write(
      '\nthe rule counts from the keep now: a dry run lists the user as a candidate again\n',
    );
    expect('lifecycle dry run after keep', (await rostersync([...args, '--dry-run'], env)) === 0);
    expect('status', (await rostersync(['status', '--config', lifecycleConfig], env)) === 0);
  } finally {
    await sink.close();
  }
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
    (await rostersync(['config', 'check', '--config', config, '--connect'], env, { show: 12 })) === 0,
  );

  heading('import --dry-run: the plan for the sample roster (nothing is written)');
  const dry = ['import', '--config', config, '--input', roster, '--now', now];
  expect('dry run', (await rostersync([...dry, '--dry-run'], env, { show: 30 })) === 0);

  heading('import: apply it');
  expect('import', (await rostersync([...dry, '--summary-json', join(demoDir, 'summary.json')], env)) === 0);

  heading('import again: the directory already matches the roster, so nothing is sent');
  expect('re-import', (await rostersync(dry, env)) === 0);

  heading('a week later, eight pupils are missing from the export');
  const lines = (await readFile(roster, 'utf8')).split('\n');
  const later = join(demoDir, 'roster-a-week-later.csv');
  await writeFile(later, [...lines.slice(0, 5), ...lines.slice(13)].join('\n'));
  const laterArgs = ['import', '--config', config, '--input', later, '--now', '2026-11-30T07:00:00+01:00'];
  expect('later dry run', (await rostersync([...laterArgs, '--dry-run'], env, { show: 40 })) === 0);
  expect('later import', (await rostersync(laterArgs, env)) === 0);

  heading('a month later their grace period is over: the purge deletes them');
  const purgeArgs = ['purge', '--config', config, '--now', '2027-01-05T03:30:00+01:00'];
  expect('purge dry run', (await rostersync([...purgeArgs, '--dry-run'], env, { show: 30 })) === 0);
  expect('purge', (await rostersync(purgeArgs, env)) === 0);
  expect('status', (await rostersync(['status', '--config', config], env)) === 0);

  heading('look at one user the import created, and log in as it');
  const passwords = (await readFile(join(stateDir, 'passwords.csv'), 'utf8'))
    .split('\n')
    .slice(1)
    .map((line) => line.split(','));
  const [username, recordUid, password] = passwords[0] ?? [];
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
    const user = await showUser(directory, recordUid, [
      'uid',
      'cn',
      'rostersyncSchool',
      'rostersyncRole',
      'pwdAccountLockedTime',
      'rostersyncPurgeTimestamp',
    ]);
    const canBind = user !== undefined && (await directory.bindAs(user.dn, password));
    process.stdout.write(
      `  bind as ${username} with the initial password from the passwords file: ${canBind ? 'ok' : 'refused'}\n`,
    );
    expect('bind', canBind);

    await lifecycle(directory, passwords);
  } finally {
    await directory.close();
  }

  heading('look for yourself');
  const ldapsearch = `ldapsearch -x -H ${server.url} -D '${server.adminDn}' -y ${server.adminPasswordFile} \\\n  -b '${server.suffix}'`;
  process.stdout.write(
    `${ldapsearch} '(rostersyncPurgeTimestamp<=20261231000000Z)' uid pwdAccountLockedTime rostersyncPurgeTimestamp\n` +
      `${ldapsearch} '(pwdLastSuccess=*)' uid pwdLastSuccess rostersyncWarningRule rostersyncKeptTimestamp\n` +
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
