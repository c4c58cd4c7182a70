/**
 * The rendered schema loads into a real OpenLDAP, in both configuration forms, and the server then
 * matches our attributes the way rostersync relies on: ordered purge timestamps, case-exact record
 * uids, case-insensitive schools.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  AndFilter,
  Client,
  ConstraintViolationError,
  EqualityFilter,
  type Filter,
  LessThanEqualsFilter,
  ObjectClassViolationError,
} from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ATTRIBUTE_TYPES, OBJECT_CLASSES, renderSchemaFile } from '../../src/schema/index.js';
import { findOpenLdapProgram, type SlapdServer, startSlapd } from '../../testkit/slapd.js';

const run = promisify(execFile);

const SYSTEM_SCHEMA_DIR = '/etc/ldap/schema';
const SYSTEM_SCHEMAS = ['core', 'cosine', 'inetorgperson', 'nis'];
const MODULE_DIRS = ['/usr/lib/ldap', '/usr/lib/openldap', '/usr/local/libexec/openldap'];

describe('slapd.conf form (slaptest)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rostersync-schema-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** Writes a slapd.conf including the given schema text and runs `slaptest -u` on it. */
  async function slaptest(schemaText: string, name: string): Promise<{ ok: boolean; output: string }> {
    const caseDir = join(dir, name);
    await mkdir(join(caseDir, 'data'), { recursive: true });
    const schemaFile = join(caseDir, 'rostersync.schema');
    await writeFile(schemaFile, schemaText);
    // back_mdb is a loadable module on most distributions, built in on some.
    const moduleDir = MODULE_DIRS.find((candidate) => existsSync(join(candidate, 'back_mdb.la')));
    const conf = [
      ...SYSTEM_SCHEMAS.map((schema) => `include ${join(SYSTEM_SCHEMA_DIR, `${schema}.schema`)}`),
      `include ${schemaFile}`,
      ...(moduleDir ? [`modulepath ${moduleDir}`, 'moduleload back_mdb'] : []),
      'database mdb',
      'suffix "dc=rostersync,dc=test"',
      `directory ${join(caseDir, 'data')}`,
      '',
    ].join('\n');
    const confFile = join(caseDir, 'slapd.conf');
    await writeFile(confFile, conf);
    try {
      const { stdout, stderr } = await run(findOpenLdapProgram('slaptest'), ['-u', '-f', confFile]);
      return { ok: true, output: stdout + stderr };
    } catch (error) {
      const failure = error as { stdout?: string; stderr?: string };
      return { ok: false, output: `${failure.stdout ?? ''}${failure.stderr ?? ''}` };
    }
  }

  it('accepts the rendered schema', async () => {
    const result = await slaptest(renderSchemaFile(), 'valid');
    expect(result.output).toContain('config file testing succeeded');
    expect(result.ok).toBe(true);
  });

  it('rejects a broken schema (the check bites)', async () => {
    const unknownRule = renderSchemaFile().replace(
      'ORDERING generalizedTimeOrderingMatch',
      'ORDERING noSuchOrderingMatch',
    );
    const unknownRuleResult = await slaptest(unknownRule, 'unknown-rule');
    expect(unknownRuleResult.ok).toBe(false);
    expect(unknownRuleResult.output).toContain('noSuchOrderingMatch');

    const unknownAttribute = renderSchemaFile().replace(
      'MUST ( rostersyncSourceUid $ rostersyncRecordUid )',
      'MUST ( rostersyncSourceUid $ rostersyncNoSuchAttribute )',
    );
    const unknownAttributeResult = await slaptest(unknownAttribute, 'unknown-attribute');
    expect(unknownAttributeResult.ok).toBe(false);
    expect(unknownAttributeResult.output).toContain('rostersyncNoSuchAttribute');
  });
});

describe.each(['slapd.conf', 'cn=config'] as const)('schema in a running slapd (%s)', (configMode) => {
  let server: SlapdServer;
  let client: Client;
  let peopleDn: string;

  beforeAll(async () => {
    // For cn=config the fixture loads renderSchemaLdif() with ldapadd: a successful start is the load test.
    server = await startSlapd({ configMode });
    client = new Client({ url: server.url });
    await client.bind(server.adminDn, server.adminPassword);
    peopleDn = `ou=people,${server.suffix}`;
    await client.add(peopleDn, { objectClass: 'organizationalUnit', ou: 'people' });
  });
  afterAll(async () => {
    await client?.unbind().catch(() => {});
    await server?.stop();
  });

  const user = (uid: string, extra: Record<string, string | string[]>) => ({
    objectClass: ['inetOrgPerson', 'rostersyncUser'],
    uid,
    cn: uid,
    sn: uid,
    rostersyncSourceUid: 'sis-main',
    ...extra,
  });

  async function uidsMatching(filter: Filter): Promise<string[]> {
    const { searchEntries } = await client.search(peopleDn, { scope: 'one', filter, attributes: ['uid'] });
    return searchEntries.map((entry) => String(entry.uid)).sort();
  }

  const inSource = (filter: Filter): Filter =>
    new AndFilter({
      filters: [new EqualityFilter({ attribute: 'rostersyncSourceUid', value: 'sis-main' }), filter],
    });

  it('stores a rostersyncUser entry with every user attribute', async () => {
    const dn = `uid=full,${peopleDn}`;
    await client.add(
      dn,
      user('full', {
        rostersyncRecordUid: 'full-1',
        rostersyncRole: ['student:school:gym1', 'student:school:gym2'],
        rostersyncSchool: ['gym1', 'gym2'],
        rostersyncPurgeTimestamp: '20270101000000Z',
        rostersyncMissingSince: '20260901000000Z',
        rostersyncDeactivatedTimestamp: '20260901000000Z',
        rostersyncWarningTimestamp: '20261001000000Z',
        rostersyncRetirementState: 'deactivated',
        rostersyncLockFound: 'TRUE',
      }),
    );
    const { searchEntries } = await client.search(dn, { scope: 'base', attributes: ['*'] });
    expect(searchEntries[0]?.rostersyncRole).toEqual(['student:school:gym1', 'student:school:gym2']);
    expect(searchEntries[0]?.rostersyncRetirementState).toBe('deactivated');
    expect(searchEntries[0]?.rostersyncLockFound).toBe('TRUE');
  });

  it('takes only TRUE or FALSE for the found-lock mark, and matches it as a Boolean', async () => {
    await expect(
      client.add(
        `uid=notbool,${peopleDn}`,
        user('notbool', { rostersyncRecordUid: 'x', rostersyncLockFound: 'yes' }),
      ),
    ).rejects.toThrow();
    await client.add(
      `uid=found-no,${peopleDn}`,
      user('found-no', { rostersyncRecordUid: 'found-no', rostersyncLockFound: 'FALSE' }),
    );
    expect(
      await uidsMatching(new EqualityFilter({ attribute: 'rostersyncLockFound', value: 'TRUE' })),
    ).toEqual(['full']);
  });

  it('enforces MUST and SINGLE-VALUE', async () => {
    const { rostersyncSourceUid: _omitted, ...withoutSource } = user('nosource', {
      rostersyncRecordUid: 'x',
    });
    await expect(client.add(`uid=nosource,${peopleDn}`, withoutSource)).rejects.toBeInstanceOf(
      ObjectClassViolationError,
    );
    await expect(
      client.add(
        `uid=twice,${peopleDn}`,
        user('twice', {
          rostersyncRecordUid: 'twice',
          rostersyncPurgeTimestamp: ['20260101000000Z', '20260102000000Z'],
        }),
      ),
    ).rejects.toBeInstanceOf(ConstraintViolationError);
  });

  it('stores a rostersyncGroup class group', async () => {
    const dn = `cn=gym1-5a,${server.suffix}`;
    await client.add(dn, {
      objectClass: ['groupOfNames', 'rostersyncGroup'],
      cn: 'gym1-5a',
      member: `uid=full,${peopleDn}`,
      rostersyncSourceUid: 'sis-main',
      rostersyncSchool: 'gym1',
      rostersyncClass: '5a',
    });
    const { searchEntries } = await client.search(server.suffix, {
      filter: new EqualityFilter({ attribute: 'rostersyncClass', value: '5A' }),
      attributes: ['cn'],
    });
    expect(searchEntries.map((entry) => entry.dn)).toEqual([dn]);
  });

  it('selects purge candidates with (rostersyncPurgeTimestamp<=…) on the server', async () => {
    const stamps: Record<string, string | undefined> = {
      'purge-early': '20251231235959Z',
      'purge-before': '20261221235959Z',
      'purge-exact': '20261222000000Z',
      'purge-after': '20261222000001Z',
      // 23:30 on the 21st at UTC-2 is 01:30 UTC on the 22nd: later, although it sorts earlier as a string.
      'purge-offset': '20261221233000-0200',
      'purge-none': undefined,
    };
    for (const [uid, stamp] of Object.entries(stamps)) {
      await client.add(
        `uid=${uid},${peopleDn}`,
        user(uid, { rostersyncRecordUid: uid, ...(stamp ? { rostersyncPurgeTimestamp: stamp } : {}) }),
      );
    }
    const due = await uidsMatching(
      new LessThanEqualsFilter({ attribute: 'rostersyncPurgeTimestamp', value: '20261222000000Z' }),
    );
    expect(due).toEqual(['purge-before', 'purge-early', 'purge-exact']);
  });

  it('matches record uids case-exactly', async () => {
    await client.add(`uid=case-a,${peopleDn}`, user('case-a', { rostersyncRecordUid: 'AbC-42' }));
    await client.add(`uid=case-b,${peopleDn}`, user('case-b', { rostersyncRecordUid: 'abc-42' }));
    const byRecordUid = (value: string) =>
      uidsMatching(inSource(new EqualityFilter({ attribute: 'rostersyncRecordUid', value })));
    expect(await byRecordUid('AbC-42')).toEqual(['case-a']);
    expect(await byRecordUid('abc-42')).toEqual(['case-b']);
    expect(await byRecordUid('ABC-42')).toEqual([]);
    expect(
      await uidsMatching(new EqualityFilter({ attribute: 'rostersyncSourceUid', value: 'SIS-MAIN' })),
    ).toEqual([]);
  });

  it('matches schools and roles case-insensitively', async () => {
    await client.add(
      `uid=school,${peopleDn}`,
      user('school', {
        rostersyncRecordUid: 'school-1',
        rostersyncSchool: 'Gym-Nord',
        rostersyncRole: 'teacher:school:Gym-Nord',
      }),
    );
    expect(
      await uidsMatching(new EqualityFilter({ attribute: 'rostersyncSchool', value: 'gym-nord' })),
    ).toEqual(['school']);
    expect(
      await uidsMatching(
        new EqualityFilter({ attribute: 'rostersyncRole', value: 'TEACHER:school:gym-nord' }),
      ),
    ).toEqual(['school']);
  });

  it.runIf(configMode === 'cn=config')(
    'lists our attribute types and classes under cn=schema,cn=config',
    async () => {
      const passwordFile = join(server.dir, 'schema-test-config.pw');
      await writeFile(passwordFile, server.configAdminPassword ?? '', { mode: 0o600 });
      const { stdout } = await run('ldapsearch', [
        '-x',
        '-LLL',
        '-o',
        'ldif-wrap=no',
        '-H',
        server.url,
        '-D',
        server.configAdminDn ?? '',
        '-y',
        passwordFile,
        '-b',
        'cn=schema,cn=config',
        '(cn=*rostersync)',
        'olcAttributeTypes',
        'olcObjectClasses',
      ]);
      // cn=config renames the entry with an ordering prefix, e.g. cn={4}rostersync.
      expect(stdout).toMatch(/^dn: cn=\{\d+\}rostersync,cn=schema,cn=config$/m);
      for (const attribute of ATTRIBUTE_TYPES) expect(stdout).toContain(`NAME '${attribute.name}'`);
      for (const objectClass of OBJECT_CLASSES) expect(stdout).toContain(`NAME '${objectClass.name}'`);
    },
  );
});
