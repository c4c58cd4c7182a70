/** The hashes rostersync puts into userPassword are the ones slapd accepts at bind time. */
import { Client, InvalidCredentialsError } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword, type PasswordHashScheme } from '../../src/passwords/index.js';
import { type SlapdServer, startSlapd } from '../../testkit/slapd.js';

let server: SlapdServer;
let admin: Client;

beforeAll(async () => {
  server = await startSlapd();
  admin = new Client({ url: server.url });
  await admin.bind(server.adminDn, server.adminPassword);
  await admin.add(`ou=people,${server.suffix}`, { objectClass: 'organizationalUnit', ou: 'people' });
});

afterAll(async () => {
  await admin?.unbind();
  await server?.stop();
});

async function bindAs(dn: string, password: string): Promise<void> {
  const client = new Client({ url: server.url });
  try {
    await client.bind(dn, password);
  } finally {
    await client.unbind();
  }
}

describe.each<PasswordHashScheme>(['ssha', 'argon2'])('userPassword hashed with %s', (scheme) => {
  const password = 'Anfangs-Passwort 7ü';
  let dn: string;

  beforeAll(async () => {
    dn = `uid=user-${scheme},ou=people,${server.suffix}`;
    await admin.add(dn, {
      objectClass: 'inetOrgPerson',
      uid: `user-${scheme}`,
      cn: 'Test User',
      sn: 'User',
      userPassword: await hashPassword(password, scheme),
    });
  });

  it('lets the user bind with the plain password', async () => {
    await expect(bindAs(dn, password)).resolves.toBeUndefined();
  });

  it('refuses a wrong password', async () => {
    await expect(bindAs(dn, `${password}x`)).rejects.toBeInstanceOf(InvalidCredentialsError);
  });
});
