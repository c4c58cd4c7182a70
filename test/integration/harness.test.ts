/**
 * The test server behaves like the production directory rostersync is built for: ppolicy enforces the
 * admin lock and the end time the lifecycle relies on, and lastbind records logins.
 */
import { Attribute, Change, Client } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findOpenLdapProgram, startSlapd } from '../../testkit/slapd.js';
import { canBind, createTestSubtree, type TestSubtree } from '../support/ldap.js';

describe('shared test slapd', () => {
  let tree: TestSubtree;
  beforeAll(async () => {
    tree = await createTestSubtree('harness');
  });
  afterAll(async () => {
    await tree.dispose();
  });

  const person = (uid: string) => ({
    objectClass: ['inetOrgPerson'],
    uid,
    cn: uid,
    sn: uid,
    userPassword: 'pupil-password',
  });

  it('records the last successful bind (lastbind on)', async () => {
    const dn = `uid=lb,${tree.baseDn}`;
    await tree.client.add(dn, person('lb'));
    expect(await canBind(tree.url, dn, 'pupil-password')).toBe(true);
    const { searchEntries } = await tree.client.search(dn, { scope: 'base', attributes: ['pwdLastSuccess'] });
    expect(String(searchEntries[0]?.pwdLastSuccess)).toMatch(/^\d{14}Z$/);
  });

  it('enforces the ppolicy admin lock and pwdEndTime', async () => {
    const locked = `uid=locked,${tree.baseDn}`;
    await tree.client.add(locked, person('locked'));
    await tree.client.modify(
      locked,
      new Change({
        operation: 'add',
        modification: new Attribute({ type: 'pwdAccountLockedTime', values: ['000001010000Z'] }),
      }),
    );
    expect(await canBind(tree.url, locked, 'pupil-password')).toBe(false);

    const ended = `uid=ended,${tree.baseDn}`;
    await tree.client.add(ended, person('ended'));
    await tree.client.modify(
      ended,
      new Change({
        operation: 'add',
        modification: new Attribute({ type: 'pwdEndTime', values: ['20200101000000Z'] }),
      }),
    );
    expect(await canBind(tree.url, ended, 'pupil-password')).toBe(false);
  });

  it('isolates test files in their own subtree', async () => {
    const { searchEntries } = await tree.client.search(tree.baseDn, { scope: 'base', attributes: ['ou'] });
    expect(searchEntries).toHaveLength(1);
  });
});

describe('dedicated servers', () => {
  it.each([
    { configMode: 'slapd.conf' as const, tls: true },
    { configMode: 'cn=config' as const, tls: false },
  ])('start in $configMode mode (tls: $tls) with base entries and the default policy', async (options) => {
    const server = await startSlapd(options);
    try {
      const client = new Client({ url: server.url });
      await client.bind(server.adminDn, server.adminPassword);
      const { searchEntries } = await client.search(`cn=default,ou=policies,${server.suffix}`, {
        scope: 'base',
      });
      expect(searchEntries[0]?.pwdAttribute).toBe('userPassword');
      await client.unbind();
      if (options.tls) {
        expect(server.ldapsUrl).toMatch(/^ldaps:\/\/127\.0\.0\.1:\d+$/);
        expect(server.caFile).toBeDefined();
      }
    } finally {
      await server.stop();
    }
  });
});

describe('without OpenLDAP installed', () => {
  it('fails at once with the apt-get line that installs it', () => {
    expect(() => findOpenLdapProgram('slapd', ['/nonexistent'])).toThrow(
      'slapd is not installed; install OpenLDAP with: apt-get update && apt-get install -y slapd ldap-utils',
    );
  });
});
