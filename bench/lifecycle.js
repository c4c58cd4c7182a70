/**
 * The lifecycle row of `npm run bench` (SPEC §7, §10): one `rostersync lifecycle` run over N users of whom
 * 1 % are due for a warning mail, beside the OpenLDAP tools doing the same directory work, and how many
 * mails per second an SMTP server in this process (smtp-server, accepting everything) receives.
 *
 * Two fresh slapds (the tests' configuration, plus the `rostersyncWarningRule` equality index the README
 * asks for) are loaded offline with slapadd from the same generated LDIF: N users as an import makes them,
 * each with an address, half with `preferredLanguage: de-DE`, and a last login (`pwdLastSuccess`, which no
 * LDAP client can write; slapadd takes it): 99 % within the 300 days before NOW, 1 % 340–360 days before.
 * The rule: `no_login`, 365 days, `warning_days` 30, `deactivate` — so at NOW exactly the 1 % get a warning.
 *
 *   rostersync  `lifecycle --now NOW` against server A, the mails going to the sink
 *   tools       against server B: `ldapsearch` of the run's two searches with the same filters and attributes
 *               (the rule's users whose step may have come; the users in scope, for the safety limit), then
 *               `ldapmodify -c` of the same writes (the warning marks, from a dry run's LDIF against B). No
 *               mail: the tools have no part in that.
 *
 * Checked after the run: the sink received one mail per due user (and no other), A holds a warning mark on
 * exactly those users, and A and B hold the same entries.
 */
import { Buffer } from 'node:buffer';
import { once } from 'node:events';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { SMTPServer } from 'smtp-server';
import { writeConfig } from './config.js';
import { bind, compareDirectories, countEntries, loadOffline, mdbMaxSize } from './directory.js';
import { countChanges } from './ldif.js';
import { cliEnv, launcherFlags, timed } from './measure.js';
import { makeRoster, prng, SCHOOLS } from './roster.js';

const root = fileURLToPath(new URL('..', import.meta.url));

export const LIFECYCLE_NOW = '2026-09-01T06:00:00+02:00';
const DAY = 86_400_000;
const RULE = {
  name: 'inactive-accounts',
  trigger: 'no_login',
  days: 365,
  warning_days: 30,
  action: 'deactivate',
};
/** Every hundredth user (from the 51st on) last logged in 340–360 days before NOW: due for the warning. */
export const isDue = (index) => index % 100 === 50;

/** What `readLifecycleUsers` (src/snapshot/lifecycle.ts) asks the server for, in the same order. */
const LIFECYCLE_ATTRIBUTES = [
  'uid',
  'objectClass',
  'rostersyncSchool',
  'givenName',
  'sn',
  'mail',
  'preferredLanguage',
  'rostersyncRecordUid',
  'rostersyncRole',
  'pwdLastSuccess',
  'createTimestamp',
  'pwdReset',
  'pwdChangedTime',
  'pwdAccountLockedTime',
  'pwdEndTime',
  'shadowExpire',
  'rostersyncDeactivatedTimestamp',
  'rostersyncLockFound',
  'rostersyncWarningTimestamp',
  'rostersyncWarningRule',
  'rostersyncKeptTimestamp',
];

const log = (message) => process.stderr.write(`[bench] ${message}\n`);

/** `20260901040000Z`. */
const generalized = (time) => `${new Date(time).toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`;

/** One LDIF line; values that are not plain ASCII (umlauts in names) go base64, as LDIF wants. */
const line = (name, value) =>
  /^[\x20-\x7e]*$/.test(value) && !/^[ :<]/.test(value)
    ? `${name}: ${value}`
    : `${name}:: ${Buffer.from(value, 'utf8').toString('base64')}`;

/**
 * The LDIF slapadd loads: the schools' containers and N users, each as rostersync's import makes them, with
 * an address and the operational times the rule reads. Returns the text and the due users' addresses.
 */
export function lifecycleLdif(size, suffix) {
  const random = prng(7);
  const now = new Date(LIFECYCLE_NOW).getTime();
  const entries = [];
  for (const school of SCHOOLS) {
    entries.push([`dn: ou=${school},${suffix}`, 'objectClass: organizationalUnit', `ou: ${school}`]);
    entries.push([`dn: ou=people,ou=${school},${suffix}`, 'objectClass: organizationalUnit', 'ou: people']);
  }
  const due = [];
  makeRoster(size, 1).rows.forEach((row, index) => {
    const uid = row.id.toLowerCase();
    const mail = `${uid}@bench.example`;
    const daysAgo = isDue(index) ? 340 + random() * 20 : random() * 300;
    if (isDue(index)) due.push(mail);
    entries.push([
      `dn: uid=${uid},ou=people,ou=${row.schools[0]},${suffix}`,
      'objectClass: inetOrgPerson',
      'objectClass: rostersyncUser',
      `uid: ${uid}`,
      line('givenName', row.first),
      line('sn', row.last),
      line('cn', `${row.first} ${row.last}`),
      `mail: ${mail}`,
      ...(index % 2 === 0 ? ['preferredLanguage: de-DE'] : []),
      'rostersyncSourceUid: bench',
      `rostersyncRecordUid: ${row.id}`,
      ...row.schools.map((school) => `rostersyncSchool: ${school}`),
      ...row.schools.map((school) => `rostersyncRole: ${row.role}:school:${school}`),
      `createTimestamp: ${generalized(now - 400 * DAY)}`,
      `pwdLastSuccess: ${generalized(now - daysAgo * DAY)}`,
    ]);
  });
  return { ldif: `${entries.map((entry) => entry.join('\n')).join('\n\n')}\n`, due };
}

/**
 * An SMTP server on a free loopback port that accepts every message and counts them: how many, to whom,
 * over how many connections, and when the first and the last arrived.
 */
async function startSink() {
  const sink = {
    port: 0,
    messages: 0,
    recipients: new Map(),
    connections: 0,
    first: undefined,
    last: undefined,
    sample: undefined,
  };
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onConnect(_session, callback) {
      sink.connections++;
      callback();
    },
    onData(stream, session, callback) {
      const chunks = sink.sample === undefined ? [] : undefined;
      stream.on('data', (chunk) => chunks?.push(chunk));
      stream.on('end', () => {
        const time = performance.now();
        sink.first ??= time;
        sink.last = time;
        sink.messages++;
        if (chunks) sink.sample = Buffer.concat(chunks).toString('utf8');
        for (const { address } of session.envelope.rcptTo) {
          const key = address.toLowerCase();
          sink.recipients.set(key, (sink.recipients.get(key) ?? 0) + 1);
        }
        callback();
      });
    },
  });
  server.listen(0, '127.0.0.1');
  await once(server.server, 'listening');
  sink.port = server.server.address().port;
  sink.close = () => new Promise((resolve) => server.close(resolve));
  return sink;
}

/** The run's two searches as filter strings, made by rostersync's own code (so they cannot drift). */
async function lifecycleFilters(configPath) {
  const dist = (path) => join(root, 'dist', path);
  const { attributeNames, loadConfig } = await import(dist('config/index.js'));
  const { lifecycleFilter } = await import(dist('snapshot/lifecycle.js'));
  const { sourceUsersFilter } = await import(dist('snapshot/read.js'));
  const { and, not, present } = await import(dist('directory/index.js'));
  const { config } = await loadConfig({ configPath, env: {} });
  const names = attributeNames(config);
  return {
    rule: lifecycleFilter(RULE, names, 'bench', new Date(LIFECYCLE_NOW), config.timezone).toString(),
    inScope: and(sourceUsersFilter(names, 'bench'), not(present(names.retirementState))).toString(),
  };
}

export class LifecycleRun {
  constructor(size, options, work) {
    this.size = size;
    this.options = options;
    this.work = join(work, String(size), 'lifecycle');
  }

  async run() {
    const { startSlapd } = await import(join(root, 'build/testkit/slapd.js'));
    const maxSizeBytes = mdbMaxSize(this.size);
    await mkdir(this.work, { recursive: true });
    log(`lifecycle ${this.size}: generating the users`);
    const { ldif, due } = lifecycleLdif(this.size, 'dc=rostersync,dc=test');
    const ldifFile = join(this.work, 'users.ldif');
    await writeFile(ldifFile, ldif);
    const servers = [];
    const sink = await startSink();
    try {
      for (const side of ['A', 'B']) {
        // A directory of our own, so that stopping the server keeps its files for slapadd.
        const server = await startSlapd({ dir: join(this.work, `slapd-${side}`), maxSizeBytes });
        servers.push(server);
        await server.stop();
        const conf = join(server.dir, 'slapd.conf');
        const text = await readFile(conf, 'utf8');
        // The README's indexes: rostersyncWarningRule too (the run's filter asks for a rule's warned users).
        if (this.options.ruleIndex && !/^index rostersyncWarningRule eq$/m.test(text)) {
          const lines = text.split('\n');
          const lastIndex = lines.findLastIndex((line) => line.startsWith('index '));
          lines.splice(lastIndex + 1, 0, 'index rostersyncWarningRule eq');
          await writeFile(conf, lines.join('\n'));
        }
        const slapadd = await loadOffline(server, ldifFile);
        log(`lifecycle ${this.size}: server ${side} loaded with slapadd in ${slapadd.toFixed(1)} s`);
      }
      return [await this.steps(servers[0], servers[1], sink, due)];
    } finally {
      await sink.close();
      for (const server of servers) await server.stop();
    }
  }

  async rostersync(label, side, server, args) {
    const flags = await launcherFlags(this.options.cli);
    const result = await timed(process.execPath, [...flags, this.options.cli, ...args], {
      stdout: join(this.work, `${label}.${side}.out`),
      stderr: join(this.work, `${label}.${side}.log`),
      env: cliEnv(),
      serverPid: server.pid,
    });
    if (result.exitCode !== 0) {
      const tail = (await readFile(join(this.work, `${label}.${side}.log`), 'utf8')).slice(-3000);
      throw new Error(`rostersync ${args.join(' ')} exited ${result.exitCode}\n${tail}`);
    }
    return result;
  }

  async tool(label, server, command, args) {
    const result = await timed(command, args, {
      stdout: '/dev/null',
      stderr: join(this.work, `${label}.tool.log`),
      serverPid: server.pid,
    });
    if (result.exitCode !== 0) {
      const tail = (await readFile(join(this.work, `${label}.tool.log`), 'utf8')).slice(-2000);
      throw new Error(`${command} exited ${result.exitCode} in ${label}\n${tail}`);
    }
    return result;
  }

  async steps(a, b, sink, due) {
    const { size } = this;
    const extra = {
      lifecycle: { rules: [RULE] },
      mail: {
        smtp: { host: '127.0.0.1', port: sink.port, secure: false, starttls: false },
        from: 'Schul-IT <it@bench.example>',
      },
    };
    const configA = await writeConfig(join(this.work, 'A'), a, this.options, extra);
    const configB = await writeConfig(join(this.work, 'B'), b, this.options, extra);
    const args = (config) => ['lifecycle', '--config', config, '--now', LIFECYCLE_NOW];
    const filters = await lifecycleFilters(configA);
    const dueOnServer = await countEntries(b, filters.rule);
    log(`lifecycle ${size}: ${due.length} due by construction, ${dueOnServer} found by the rule's filter`);

    // The tools' writes: the plan's LDIF from a dry run against B (untimed; it lists every candidate).
    await this.rostersync('plan', 'B', b, [...args(configB), '--dry-run', '--format', 'ldif']);
    const writes = join(this.work, 'warnings.ldif');
    await writeFile(writes, await readFile(join(this.work, 'plan.B.out'), 'utf8'));
    const counts = countChanges(await readFile(writes, 'utf8'));
    const search = (filter, attributes) => [
      ...bind(b),
      '-b',
      b.suffix,
      '-E',
      'pr=500/noprompt',
      '-LLL',
      filter,
      ...attributes,
    ];
    const tools = [
      await this.tool('rule-search', b, 'ldapsearch', search(filters.rule, LIFECYCLE_ATTRIBUTES)),
      await this.tool('scope-search', b, 'ldapsearch', search(filters.inScope, ['rostersyncRole'])),
      await this.tool('warnings', b, 'ldapmodify', [...bind(b), '-c', '-f', writes]),
    ];
    const sum = (key) => tools.reduce((total, result) => total + (result[key] ?? Number.NaN), 0);
    const theirs = { seconds: sum('seconds'), serverCpuSeconds: sum('serverCpuSeconds') };

    if (sink.messages !== 0) throw new Error('the SMTP sink received mail before the run');
    const ours = await this.rostersync('lifecycle', 'A', a, args(configA));

    // Did the run do the work: one mail per due user and no other, the marks written on exactly those users.
    const dueSet = new Set(due);
    const strangers = [...sink.recipients.keys()].filter((address) => !dueSet.has(address));
    const twice = [...sink.recipients.values()].filter((count) => count > 1).length;
    const marked = await countEntries(a, `(rostersyncWarningRule=${RULE.name})`);
    const autoSubmitted = /^Auto-Submitted: auto-generated\r?$/im.test(sink.sample ?? '');
    const { same, onlyLeft, onlyRight } = await compareDirectories(a, b);
    if (!same) {
      log(`lifecycle ${size}: the directories differ after this step`);
      log(`  only on A (rostersync): ${JSON.stringify(onlyLeft).slice(0, 1500)}`);
      log(`  only on B (tool): ${JSON.stringify(onlyRight).slice(0, 1500)}`);
    }
    const done =
      sink.messages === due.length &&
      sink.recipients.size === due.length &&
      strangers.length === 0 &&
      twice === 0 &&
      marked === due.length &&
      dueOnServer === due.length &&
      counts.modify === due.length &&
      autoSubmitted;
    if (!done) {
      log(
        `lifecycle ${size}: the work was not done as expected: ${JSON.stringify({ due: due.length, dueOnServer, mails: sink.messages, recipients: sink.recipients.size, strangers: strangers.length, twice, marked, plannedModifies: counts.modify, autoSubmitted })}`,
      );
    }
    const sendSeconds = sink.messages > 1 ? (sink.last - sink.first) / 1000 : Number.NaN;
    const mailsPerSecond = sink.messages / sendSeconds;
    const row = {
      scenario: 'lifecycle',
      size,
      tool: 'ldapsearch ×2 (same filters) + ldapmodify -c (same writes); no mail',
      work: `${due.length} due: ${sink.messages} mails received over ${sink.connections} SMTP connections in ${sendSeconds.toFixed(2)} s (${mailsPerSecond.toFixed(0)} mails/s; ${(sink.messages / ours.seconds).toFixed(0)}/s over the whole run), ${marked} warnings written${done ? '' : ' — NOT AS EXPECTED'}`,
      rostersyncSeconds: ours.seconds,
      toolSeconds: theirs.seconds,
      ratio: ours.seconds / theirs.seconds,
      rssMb: ours.rssMb,
      cpuSeconds: ours.cpuSeconds,
      slapdCpuRostersync: ours.serverCpuSeconds,
      slapdCpuTool: theirs.serverCpuSeconds,
      same,
      done,
      mailsPerSecond,
    };
    log(
      `lifecycle ${size}: rostersync ${ours.seconds.toFixed(2)} s, tools ${theirs.seconds.toFixed(2)} s (${tools.map((result) => result.seconds.toFixed(2)).join(' + ')}), ratio ${row.ratio.toFixed(2)}; ${row.work}`,
    );
    return row;
  }
}
