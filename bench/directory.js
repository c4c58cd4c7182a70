// What every benchmark does with a test server from outside: bind arguments for the OpenLDAP tools, and a
// fingerprint of its content to show that two servers ended up the same.
import { capture } from './measure.js';
import { fingerprint } from './ldif.js';

/** `-x -H URL -D admin -y password-file`: a simple bind as the server's admin. */
export const bind = (server) => [
  '-x',
  '-H',
  server.url,
  '-D',
  server.adminDn,
  '-y',
  server.adminPasswordFile,
];

/** Every user, group and OU with all user attributes, as `fingerprint` compares them. */
export async function directoryFingerprint(server) {
  const text = await capture('ldapsearch', [
    ...bind(server),
    '-b',
    server.suffix,
    '-E',
    'pr=1000/noprompt',
    '-LLL',
    '-o',
    'ldif-wrap=no',
    '(|(objectClass=inetOrgPerson)(objectClass=groupOfNames)(objectClass=organizationalUnit))',
    '*',
  ]);
  return fingerprint(text);
}

/** How many entries match `filter` under the server's suffix. */
export async function countEntries(server, filter) {
  const text = await capture('ldapsearch', [
    ...bind(server),
    '-b',
    server.suffix,
    '-E',
    'pr=1000/noprompt',
    '-LLL',
    filter,
    '1.1',
  ]);
  return text.split('\n').filter((line) => /^dn::? /.test(line)).length;
}
