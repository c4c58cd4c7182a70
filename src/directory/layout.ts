/**
 * Where things live in the directory: the DN templates of the config turned into DNs, the names of class
 * groups, and rostersync's attribute names as this directory spells them.
 */
import { type AttributeNames, attributeNames, type Config } from '../config/index.js';
import { dn, escapeDnValue, isDescendantOf, normalizeDn, parentDn, rdn } from '../dn.js';

/** `{school}` becomes an escaped RDN value; `{base_dn}` is a DN and goes in as it is. */
function expandDnTemplate(template: string, school: string, baseDn: string): string {
  return template.replaceAll('{school}', escapeDnValue(school)).replaceAll('{base_dn}', baseDn);
}

function expanded(cache: Map<string, string>, template: string, school: string, baseDn: string): string {
  let dn = cache.get(school);
  if (dn === undefined) {
    dn = expandDnTemplate(template, school, baseDn);
    cache.set(school, dn);
  }
  return dn;
}

export class DirectoryLayout {
  readonly attributes: AttributeNames;
  readonly baseDn: string;
  /** The users' and groups' containers by school: asked for once per user in a run, a few hundred schools. */
  private readonly usersDns = new Map<string, string>();
  private readonly groupsDns = new Map<string, string>();

  constructor(private readonly config: Config) {
    this.attributes = attributeNames(config);
    this.baseDn = config.ldap.base_dn;
  }

  usersDn(school: string): string {
    return expanded(this.usersDns, this.config.ldap.users_dn, school, this.baseDn);
  }

  groupsDn(school: string): string {
    return expanded(this.groupsDns, this.config.ldap.groups_dn, school, this.baseDn);
  }

  userDn(username: string, school: string): string {
    return dn(rdn('uid', username), this.usersDn(school));
  }

  groupName(school: string, className: string): string {
    return this.config.classes.group_name.replaceAll('{school}', school).replaceAll('{class}', className);
  }

  groupDn(school: string, className: string): string {
    return dn(rdn('cn', this.groupName(school, className)), this.groupsDn(school));
  }

  /** Where usernames of deleted users are kept taken (seed 004: login names stay reserved). */
  get reservationsDn(): string {
    return dn(rdn('ou', 'rostersync-reserved-usernames'), this.baseDn);
  }

  reservationDn(username: string): string {
    return dn(rdn('uid', username), this.reservationsDn);
  }

  /** Where rostersync keeps its run state: the run lock's leases, the retirement state list (SPEC §5). */
  get runStateDn(): string {
    return dn(rdn('ou', 'rostersync'), this.baseDn);
  }

  /** The run lock's lease entries, one per source or school partition. */
  get leasesDn(): string {
    return dn(rdn('ou', 'leases'), this.runStateDn);
  }

  /** Whether the user's place depends on the school (users_dn uses `{school}`). */
  get usersDnDependsOnSchool(): boolean {
    return this.config.ldap.users_dn.includes('{school}');
  }

  /**
   * The containers from just below the base DN down to `containerDn`, parents first: the entries that must
   * exist before anything can be added there.
   */
  containerChain(containerDn: string): string[] {
    const chain: string[] = [];
    let current: string | undefined = containerDn;
    const base = normalizeDn(this.baseDn);
    while (current && normalizeDn(current) !== base && isDescendantOf(current, this.baseDn)) {
      chain.unshift(current);
      current = parentDn(current);
    }
    return chain;
  }
}
