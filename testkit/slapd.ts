/**
 * A throwaway OpenLDAP server for tests, the demo and the benchmarks: the same code starts all three, so
 * what the tests prove is what the demo shows.
 *
 * The server listens on a free loopback port, keeps everything in one directory (removed on stop unless
 * the caller chose the directory), and is configured like a production school directory: mdb, the
 * ppolicy overlay with a default policy, `lastbind on` (pwdLastSuccess), and the rostersync schema.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'ldapts';
import { renderSchemaFile, renderSchemaLdif } from '../src/schema/index.js';

const run = promisify(execFile);

export const INSTALL_HINT = 'apt-get update && apt-get install -y slapd ldap-utils';

export interface SlapdOptions {
  /** How the server (and so our schema) is configured: a slapd.conf file, or a cn=config tree. */
  configMode?: 'slapd.conf' | 'cn=config';
  /** Also listen on ldaps:// and offer StartTLS, with a certificate from a throwaway CA. */
  tls?: boolean;
  suffix?: string;
  /** Keep the server's files here (not removed on stop). Default: a new temp dir, removed on stop. */
  dir?: string;
  /** mdb map size in bytes; the benchmarks need more than the default. */
  maxSizeBytes?: number;
  /** Let the server outlive this process (the demo's --keep); stop it with `kill <pid>`. */
  detached?: boolean;
  /** Listen on this loopback port (e.g. one a replica's config already names). Default: a free one. */
  port?: number;
  /** Add the suffix entry and the default policy (default true); a replica receives them instead. */
  baseEntries?: boolean;
  /** More slapd.conf lines (slapd.conf mode only), e.g. for replication; see replication.ts. */
  extraConfig?: ExtraConfig;
  /** The rostersync schema file instead of the current one (slapd.conf mode only): an older version's, say. */
  schemaFile?: string;
}

/** slapd.conf lines added to a test server's: `global` before the database, `database` inside it. */
export interface ExtraConfig {
  global?: readonly string[];
  /** After the indexes, before the ppolicy overlay. */
  database?: readonly string[];
}

export interface SlapdServer {
  url: string;
  ldapsUrl?: string;
  /** The CA that signed the server certificate (only with `tls`). */
  caFile?: string;
  suffix: string;
  adminDn: string;
  adminPassword: string;
  /** A file holding the admin password, as `ldap.bind_password_file` expects. */
  adminPasswordFile: string;
  configAdminDn?: string;
  configAdminPassword?: string;
  dir: string;
  /** The running slapd's pid (a new one after `restart`). */
  readonly pid: number;
  /**
   * Starts slapd again on the same port and data, e.g. after a test killed or stopped it (a stopped one
   * is killed first); resolves once it answers binds.
   */
  restart(): Promise<void>;
  /**
   * Moves operational timestamps that no LDAP client may write (`pwdLastSuccess`, `createTimestamp`,
   * `pwdChangedTime`) to the given values, offline: stops slapd, dumps the database with slapcat, rewrites
   * the given entries, reloads the dump with slapadd and starts slapd again on the same port. Everything
   * else (entryUUID, entryCSN, the other attributes) is reloaded as it was. Meant for a server of the
   * test's own: the shared one would pause for every test file.
   */
  setOperationalTimes(times: Readonly<Record<string, OperationalTimes>>): Promise<void>;
  stop(): Promise<void>;
}

/** GeneralizedTime values (`20250101120000Z`) to give an entry's operational time attributes. */
export interface OperationalTimes {
  pwdLastSuccess?: string;
  createTimestamp?: string;
  pwdChangedTime?: string;
}

const SYSTEM_SCHEMAS = ['core', 'cosine', 'inetorgperson', 'nis'];
const SCHEMA_DIR = '/etc/ldap/schema';
const MODULE_DIRS = ['/usr/lib/ldap', '/usr/lib/openldap', '/usr/local/libexec/openldap'];
const SBIN_DIRS = ['/usr/sbin', '/usr/local/sbin', '/usr/local/libexec'];

/** Where an OpenLDAP program lives, or an error that says how to install it. */
export function findOpenLdapProgram(
  name: 'slapd' | 'slapadd' | 'slapcat' | 'slaptest',
  dirs: readonly string[] = [...SBIN_DIRS, ...(process.env.PATH ?? '').split(':').filter(Boolean)],
): string {
  for (const dir of dirs) {
    const candidate = join(dir, name);
    if (existsSync(candidate)) return candidate;
  }
  throw new Error(`${name} is not installed; install OpenLDAP with: ${INSTALL_HINT}`);
}

function findModuleDir(): string {
  const found = MODULE_DIRS.find(
    (dir) => existsSync(join(dir, 'back_mdb.la')) || existsSync(join(dir, 'back_mdb.so')),
  );
  if (!found)
    throw new Error(`OpenLDAP modules (back_mdb, ppolicy) not found; install with: ${INSTALL_HINT}`);
  return found;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('could not get a free port'));
      });
    });
  });
}

interface Certificates {
  caFile: string;
  certFile: string;
  keyFile: string;
}

/** A throwaway CA and a server certificate for 127.0.0.1/localhost, made with the openssl CLI. */
export async function makeCertificates(dir: string, name = 'rostersync test CA'): Promise<Certificates> {
  await mkdir(dir, { recursive: true });
  const caKey = join(dir, 'ca.key');
  const caFile = join(dir, 'ca.pem');
  const keyFile = join(dir, 'server.key');
  const csr = join(dir, 'server.csr');
  const certFile = join(dir, 'server.pem');
  const ext = join(dir, 'server.ext');
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await run('openssl', [
    'req',
    '-x509',
    ...ec,
    '-keyout',
    caKey,
    '-out',
    caFile,
    '-days',
    '7',
    '-subj',
    `/CN=${name}`,
  ]);
  await run('openssl', ['req', ...ec, '-keyout', keyFile, '-out', csr, '-subj', '/CN=localhost']);
  await writeFile(ext, 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  await run('openssl', [
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    caFile,
    '-CAkey',
    caKey,
    '-CAcreateserial',
    '-out',
    certFile,
    '-days',
    '7',
    '-extfile',
    ext,
  ]);
  return { caFile, certFile, keyFile };
}

export const ADMIN_PASSWORD = 'admin-secret';
const CONFIG_ADMIN_PASSWORD = 'config-secret';

/** Attributes rostersync filters on; indexed as a production server would be. */
const EQUALITY_INDEXES = [
  'objectClass',
  'uid',
  'cn',
  'mail',
  'member',
  'memberUid',
  'uniqueMember',
  'entryUUID',
  'rostersyncSourceUid',
  'rostersyncRecordUid',
  'rostersyncSchool',
  'rostersyncRole',
  'rostersyncPurgeTimestamp',
  // The lifecycle's triggers and workflow (SPEC §7). slapd keeps operational attributes in the same
  // indexes; an eq index on a GeneralizedTime attribute also serves its `<=`/`>=` filters.
  'pwdLastSuccess',
  'createTimestamp',
  'pwdChangedTime',
  'rostersyncDeactivatedTimestamp',
  'rostersyncWarningTimestamp',
  'rostersyncKeptTimestamp',
  'rostersyncWarningRule',
  // What removals look for: the owner values naming a leaving user (SPEC §8), retirements under way.
  'owner',
  'rostersyncRetirementState',
];

/** The slapd.conf of a test server; also used for the container variant (slapd-container.ts). */
export function slapdConf(opts: {
  dir: string;
  moduleDir: string;
  suffix: string;
  adminDn: string;
  maxSize: number;
  certs?: Certificates;
  extra?: ExtraConfig;
}): string {
  const tls = opts.certs
    ? [
        `TLSCACertificateFile ${opts.certs.caFile}`,
        `TLSCertificateFile ${opts.certs.certFile}`,
        `TLSCertificateKeyFile ${opts.certs.keyFile}`,
      ]
    : [];
  return [
    ...SYSTEM_SCHEMAS.map((name) => `include ${SCHEMA_DIR}/${name}.schema`),
    `include ${join(opts.dir, 'rostersync.schema')}`,
    `pidfile ${join(opts.dir, 'slapd.pid')}`,
    `argsfile ${join(opts.dir, 'slapd.args')}`,
    `modulepath ${opts.moduleDir}`,
    'moduleload back_mdb',
    'moduleload ppolicy',
    'moduleload argon2',
    ...tls,
    ...(opts.extra?.global ?? []),
    'sizelimit unlimited',
    'database mdb',
    `maxsize ${opts.maxSize}`,
    `suffix "${opts.suffix}"`,
    `rootdn "${opts.adminDn}"`,
    `rootpw ${ADMIN_PASSWORD}`,
    `directory ${join(opts.dir, 'data')}`,
    'lastbind on',
    ...EQUALITY_INDEXES.map((attr) => `index ${attr} eq`),
    ...(opts.extra?.database ?? []),
    'overlay ppolicy',
    `ppolicy_default "cn=default,ou=policies,${opts.suffix}"`,
    'access to attrs=userPassword by self write by anonymous auth by * none',
    'access to * by * read',
    '',
  ].join('\n');
}

/** The first cn=config tree, loaded with slapadd -n0; our schema is added later over LDAP with ldapadd. */
function bootstrapLdif(opts: {
  dir: string;
  moduleDir: string;
  suffix: string;
  adminDn: string;
  maxSize: number;
  certs?: Certificates;
}): string {
  const tls = opts.certs
    ? [
        `olcTLSCACertificateFile: ${opts.certs.caFile}`,
        `olcTLSCertificateFile: ${opts.certs.certFile}`,
        `olcTLSCertificateKeyFile: ${opts.certs.keyFile}`,
      ]
    : [];
  return [
    'dn: cn=config',
    'objectClass: olcGlobal',
    'cn: config',
    `olcPidFile: ${join(opts.dir, 'slapd.pid')}`,
    `olcArgsFile: ${join(opts.dir, 'slapd.args')}`,
    'olcSizeLimit: unlimited',
    ...tls,
    '',
    'dn: cn=module{0},cn=config',
    'objectClass: olcModuleList',
    'cn: module{0}',
    `olcModulePath: ${opts.moduleDir}`,
    'olcModuleLoad: back_mdb',
    'olcModuleLoad: ppolicy',
    'olcModuleLoad: argon2',
    '',
    'dn: cn=schema,cn=config',
    'objectClass: olcSchemaConfig',
    'cn: schema',
    '',
    ...SYSTEM_SCHEMAS.map((name) => `include: file://${SCHEMA_DIR}/${name}.ldif\n`),
    'dn: olcDatabase={-1}frontend,cn=config',
    'objectClass: olcDatabaseConfig',
    'objectClass: olcFrontendConfig',
    'olcDatabase: {-1}frontend',
    '',
    'dn: olcDatabase={0}config,cn=config',
    'objectClass: olcDatabaseConfig',
    'olcDatabase: {0}config',
    'olcRootDN: cn=admin,cn=config',
    `olcRootPW: ${CONFIG_ADMIN_PASSWORD}`,
    '',
    'dn: olcDatabase={1}mdb,cn=config',
    'objectClass: olcDatabaseConfig',
    'objectClass: olcMdbConfig',
    'olcDatabase: {1}mdb',
    `olcSuffix: ${opts.suffix}`,
    `olcRootDN: ${opts.adminDn}`,
    `olcRootPW: ${ADMIN_PASSWORD}`,
    `olcDbDirectory: ${join(opts.dir, 'data')}`,
    `olcDbMaxSize: ${opts.maxSize}`,
    'olcLastBind: TRUE',
    'olcDbIndex: objectClass eq',
    'olcDbIndex: uid,cn,mail,member,memberUid,uniqueMember,entryUUID eq',
    'olcAccess: {0}to attrs=userPassword by self write by anonymous auth by * none',
    'olcAccess: {1}to * by * read',
    '',
    'dn: olcOverlay={0}ppolicy,olcDatabase={1}mdb,cn=config',
    'objectClass: olcOverlayConfig',
    'objectClass: olcPPolicyConfig',
    'olcOverlay: {0}ppolicy',
    `olcPPolicyDefault: cn=default,ou=policies,${opts.suffix}`,
    '',
  ].join('\n');
}

/** A DN compared loosely enough for the testkit: case and the spaces after commas do not matter. */
function dnKey(dn: string): string {
  return dn.replace(/,\s+/g, ',').toLowerCase();
}

/** The DN of one unwrapped slapcat record (`dn: …`, or `dn:: base64` when it is not plain ASCII). */
function recordDn(record: string): string {
  const first = record.split('\n', 1)[0] ?? '';
  if (first.startsWith('dn:: ')) return Buffer.from(first.slice('dn:: '.length), 'base64').toString('utf8');
  if (first.startsWith('dn: ')) return first.slice('dn: '.length);
  throw new Error(`not an LDIF entry: ${first}`);
}

/**
 * Sets the given operational times on the matching entries of a slapcat dump written with
 * `-o ldif_wrap=no` (one line per value); throws if a DN is not in the dump.
 */
export function rewriteOperationalTimes(
  ldif: string,
  times: Readonly<Record<string, OperationalTimes>>,
): string {
  const wanted = new Map(Object.entries(times).map(([dn, values]) => [dnKey(dn), { dn, values }]));
  const found = new Set<string>();
  const records = ldif.split(/\n\n+/).map((record) => {
    if (record.trim() === '' || record.startsWith('#')) return record;
    const key = dnKey(recordDn(record));
    const change = wanted.get(key);
    if (change === undefined) return record;
    found.add(key);
    const names = new Set(Object.keys(change.values).map((name) => name.toLowerCase()));
    const kept = record
      .split('\n')
      .filter((line) => !names.has(line.slice(0, line.indexOf(':')).toLowerCase()));
    const added = Object.entries(change.values).map(([name, value]) => `${name}: ${String(value)}`);
    return [...kept, ...added].join('\n');
  });
  const missing = [...wanted].filter(([key]) => !found.has(key)).map(([, { dn }]) => dn);
  if (missing.length > 0) throw new Error(`not in the directory: ${missing.join('; ')}`);
  return records.join('\n\n');
}

async function waitForServer(
  url: string,
  adminDn: string,
  child: ChildProcess,
  logFile: string,
): Promise<void> {
  const deadline = Date.now() + 15_000;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    const client = new Client({ url, connectTimeout: 1000, timeout: 2000 });
    try {
      await client.bind(adminDn, ADMIN_PASSWORD);
      return;
    } catch (error) {
      lastError = error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      await client.unbind().catch(() => {});
    }
  }
  const log = await readFile(logFile, 'utf8').catch(() => '');
  throw new Error(
    `slapd did not start (${child.exitCode === null ? 'no answer' : `exit ${child.exitCode}`}): ${String(lastError)}\n${log.slice(-3000)}`,
  );
}

/** The suffix entry, the policies container and the default ppolicy. */
export async function addBaseEntries(url: string, adminDn: string, suffix: string): Promise<void> {
  const client = new Client({ url });
  try {
    await client.bind(adminDn, ADMIN_PASSWORD);
    const firstRdn = suffix.split(',')[0] ?? '';
    const [, dc = 'rostersync'] = firstRdn.split('=');
    await client.add(suffix, {
      objectClass: ['dcObject', 'organization'],
      dc,
      o: 'rostersync test directory',
    });
    await client.add(`ou=policies,${suffix}`, { objectClass: 'organizationalUnit', ou: 'policies' });
    await client.add(`cn=default,ou=policies,${suffix}`, {
      objectClass: ['device', 'pwdPolicy'],
      cn: 'default',
      pwdAttribute: 'userPassword',
      pwdAllowUserChange: 'TRUE',
      // The admin lock (pwdAccountLockedTime 000001010000Z) that deactivation uses only takes effect with
      // pwdLockout; pwdMaxFailure 0 keeps failed binds from locking anyone out.
      pwdLockout: 'TRUE',
      pwdMaxFailure: '0',
    });
  } finally {
    await client.unbind().catch(() => {});
  }
}

async function ldapAddAsConfigAdmin(url: string, ldif: string, dir: string, name: string): Promise<void> {
  const file = join(dir, name);
  await writeFile(file, ldif);
  const passwordFile = join(dir, 'config-admin.pw');
  await writeFile(passwordFile, CONFIG_ADMIN_PASSWORD, { mode: 0o600 });
  await run('ldapadd', ['-x', '-H', url, '-D', 'cn=admin,cn=config', '-y', passwordFile, '-f', file]).catch(
    (error: unknown) => {
      throw new Error(`loading ${name} into cn=config failed: ${String(error)}`);
    },
  );
}

async function ldapModifyAsConfigAdmin(url: string, ldif: string, dir: string, name: string): Promise<void> {
  const file = join(dir, name);
  await writeFile(file, ldif);
  await run('ldapmodify', [
    '-x',
    '-H',
    url,
    '-D',
    'cn=admin,cn=config',
    '-y',
    join(dir, 'config-admin.pw'),
    '-f',
    file,
  ]);
}

/** Starts a fresh slapd; resolves once it answers binds and holds the base entries. */
export async function startSlapd(options: SlapdOptions = {}): Promise<SlapdServer> {
  const slapd = findOpenLdapProgram('slapd');
  const moduleDir = findModuleDir();
  const configMode = options.configMode ?? 'slapd.conf';
  if (options.extraConfig && configMode !== 'slapd.conf')
    throw new Error('extraConfig is only for configMode slapd.conf');
  const suffix = options.suffix ?? 'dc=rostersync,dc=test';
  const adminDn = `cn=admin,${suffix}`;
  const keepDir = options.dir !== undefined;
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'rostersync-slapd-')));
  await mkdir(join(dir, 'data'), { recursive: true });
  const maxSize = options.maxSizeBytes ?? 1024 * 1024 * 1024;
  const certs = options.tls ? await makeCertificates(join(dir, 'tls')) : undefined;
  const layout = {
    dir,
    moduleDir,
    suffix,
    adminDn,
    maxSize,
    ...(certs ? { certs } : {}),
    ...(options.extraConfig ? { extra: options.extraConfig } : {}),
  };

  const configArgs: string[] = [];
  if (configMode === 'slapd.conf') {
    await writeFile(join(dir, 'rostersync.schema'), options.schemaFile ?? renderSchemaFile());
    await writeFile(join(dir, 'slapd.conf'), slapdConf(layout));
    configArgs.push('-f', join(dir, 'slapd.conf'));
  } else {
    const configDir = join(dir, 'slapd.d');
    await mkdir(configDir, { recursive: true });
    await writeFile(join(dir, 'bootstrap.ldif'), bootstrapLdif(layout));
    await run(findOpenLdapProgram('slapadd'), [
      '-n0',
      '-F',
      configDir,
      '-l',
      join(dir, 'bootstrap.ldif'),
    ]).catch((error: unknown) => {
      throw new Error(`slapadd of the cn=config bootstrap failed: ${String(error)}`);
    });
    configArgs.push('-F', configDir);
  }

  const port = options.port ?? (await freePort());
  const url = `ldap://127.0.0.1:${port}`;
  const tlsPort = certs ? await freePort() : undefined;
  const ldapsUrl = tlsPort ? `ldaps://127.0.0.1:${tlsPort}` : undefined;
  const listen = [`${url}/`, ...(ldapsUrl ? [`${ldapsUrl}/`] : [])].join(' ');
  const logFile = join(dir, 'slapd.log');
  const launch = () => {
    const logFd = openSync(logFile, 'a');
    const server = spawn(slapd, ['-h', listen, ...configArgs, '-d', '0'], {
      stdio: ['ignore', logFd, logFd],
      detached: options.detached ?? false,
    });
    closeSync(logFd);
    if (options.detached) server.unref();
    const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
    return { server, exited };
  };
  let child = launch();
  const halt = async (): Promise<void> => {
    const { server, exited } = child;
    if (server.exitCode !== null || server.signalCode !== null) return;
    server.kill('SIGTERM');
    // A stopped (SIGSTOP) server cannot act on SIGTERM until it is continued.
    server.kill('SIGCONT');
    const timer = setTimeout(() => server.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };

  const stop = async (): Promise<void> => {
    await halt();
    if (!keepDir) await rm(dir, { recursive: true, force: true });
  };

  try {
    await waitForServer(url, adminDn, child.server, logFile);
    if (configMode === 'cn=config') {
      await ldapAddAsConfigAdmin(url, renderSchemaLdif(), dir, 'rostersync-schema.ldif');
      await ldapModifyAsConfigAdmin(
        url,
        [
          'dn: olcDatabase={1}mdb,cn=config',
          'changetype: modify',
          'add: olcDbIndex',
          'olcDbIndex: rostersyncSourceUid,rostersyncRecordUid,rostersyncSchool,rostersyncRole eq',
          'olcDbIndex: rostersyncPurgeTimestamp eq',
          'olcDbIndex: pwdLastSuccess,createTimestamp,pwdChangedTime eq',
          'olcDbIndex: rostersyncDeactivatedTimestamp,rostersyncWarningTimestamp,rostersyncKeptTimestamp eq',
          '',
        ].join('\n'),
        dir,
        'rostersync-indexes.ldif',
      );
    }
    if (options.baseEntries ?? true) await addBaseEntries(url, adminDn, suffix);
  } catch (error) {
    await stop();
    throw error;
  }

  const adminPasswordFile = join(dir, 'admin.pw');
  // No trailing newline: `ldapsearch -y` sends the file's bytes as they are.
  await writeFile(adminPasswordFile, ADMIN_PASSWORD, { mode: 0o600 });
  return {
    url,
    ...(ldapsUrl ? { ldapsUrl } : {}),
    ...(certs ? { caFile: certs.caFile } : {}),
    suffix,
    adminDn,
    adminPassword: ADMIN_PASSWORD,
    adminPasswordFile,
    ...(configMode === 'cn=config'
      ? { configAdminDn: 'cn=admin,cn=config', configAdminPassword: CONFIG_ADMIN_PASSWORD }
      : {}),
    dir,
    get pid() {
      return child.server.pid ?? -1;
    },
    restart: async () => {
      await halt();
      child = launch();
      await waitForServer(url, adminDn, child.server, logFile);
    },
    setOperationalTimes: async (times) => {
      await halt();
      try {
        const dump = join(dir, 'times-before.ldif');
        const rewritten = join(dir, 'times-after.ldif');
        const database = ['-b', suffix, ...configArgs];
        await run(findOpenLdapProgram('slapcat'), [...database, '-o', 'ldif_wrap=no', '-l', dump]);
        await writeFile(rewritten, rewriteOperationalTimes(await readFile(dump, 'utf8'), times));
        // slapadd fills an empty database only: clear the mdb files, keep the directory the config names.
        const dataDir = join(dir, 'data');
        await rm(dataDir, { recursive: true, force: true });
        await mkdir(dataDir, { recursive: true });
        await run(findOpenLdapProgram('slapadd'), [...database, '-l', rewritten]);
      } finally {
        // Running again whatever happened, so a refused rewrite leaves the server as it was.
        child = launch();
        await waitForServer(url, adminDn, child.server, logFile);
      }
    },
    stop,
  };
}
