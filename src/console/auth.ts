/**
 * Sign-in (SPEC §11): the username is looked up as `uid` under the base DN with the service account (an
 * equality filter built as a tree, so `*)(uid=*` is just a name that matches no one), the password is
 * checked by binding as that entry, and the groups decide what the user may act on: `console.admin_group`
 * all schools, a `console.school_groups` group its school — a member by DN (`member`, `uniqueMember`) or by
 * username (`memberUid`). Anyone else is refused.
 */
import type { Config } from '../config/index.js';
import { connectDirectory, type Directory, DirectoryError, eq, or } from '../directory/index.js';
import type { Logger } from '../logging/index.js';

export interface ConsoleUser {
  dn: string;
  username: string;
  /** The schools the user acts for; `all` for members of `console.admin_group`. */
  schools: 'all' | readonly string[];
}

export type SignInResult =
  { ok: true; user: ConsoleUser } | { ok: false; reason: 'credentials' | 'not-member' };

/** A member by DN (`groupOfNames`, `groupOfUniqueNames`) or by username (`posixGroup`). */
async function isMember(
  directory: Directory,
  groupDn: string,
  user: { dn: string; uid: string },
  logger: Logger,
) {
  try {
    const found = await directory.searchAll(groupDn, {
      scope: 'base',
      filter: or(eq('member', user.dn), eq('uniqueMember', user.dn), eq('memberUid', user.uid)),
      attributes: [],
    });
    return found.length > 0;
  } catch (error) {
    if (error instanceof DirectoryError && error.kind === 'no-such-object') {
      logger.warn(`console group ${groupDn} does not exist`);
      return false;
    }
    throw error;
  }
}

export async function signIn(
  config: Config,
  env: NodeJS.ProcessEnv,
  logger: Logger,
  username: string,
  password: string,
): Promise<SignInResult> {
  if (username === '' || password === '') return { ok: false, reason: 'credentials' };
  const directory = await connectDirectory(config, env);
  try {
    const found = await directory.searchAll(config.ldap.base_dn, {
      scope: 'sub',
      filter: eq('uid', username),
      attributes: ['uid'],
    });
    // No one, or a name that is not unique: the same answer as a wrong password.
    const [entry] = found;
    if (entry === undefined || found.length > 1) return { ok: false, reason: 'credentials' };
    const { dn } = entry;
    if (!(await directory.bindAs(dn, password))) return { ok: false, reason: 'credentials' };
    // memberUid holds the uid as stored, which the typed name may match in another letter case.
    const member = { dn, uid: entry.attributes.uid?.[0] ?? username };

    const { admin_group: adminGroup, school_groups: schoolGroups } = config.console;
    if (adminGroup !== undefined && (await isMember(directory, adminGroup, member, logger))) {
      return { ok: true, user: { dn, username, schools: 'all' } };
    }
    const schools: string[] = [];
    for (const [school, groupDn] of Object.entries(schoolGroups)) {
      if (await isMember(directory, groupDn, member, logger)) schools.push(school);
    }
    if (schools.length === 0) return { ok: false, reason: 'not-member' };
    return { ok: true, user: { dn, username, schools } };
  } finally {
    await directory.close();
  }
}

/** Whether a user who belongs to `schools` is one `user` may see and act on. */
export function mayActOn(user: ConsoleUser, schools: readonly string[]): boolean {
  if (user.schools === 'all') return true;
  const own = user.schools;
  return schools.some((school) => own.includes(school));
}
