/**
 * The rostersync LDAP schema: the single definition that both the slapd.conf
 * rendering and the cn=config LDIF rendering are generated from.
 *
 * Adding an attribute or object class means adding one entry below with the
 * next free number; the renderers pick it up unchanged, and so do the config
 * (`ldap.attributes` accepts its name) and the code (by its `key`).
 */

/**
 * OID arc of the project, minted from a UUID (RFC 4122 / ITU-T X.667: `2.25.<uuid as decimal>`).
 * Attribute types live under `<arc>.1.N`, object classes under `<arc>.2.N`.
 */
export const ROSTERSYNC_OID_ARC = '2.25.169010634998397118601204378906321294404';

/** Attribute syntaxes we use, by their RFC 4517 OIDs. */
export const SYNTAX_OIDS = {
  directoryString: '1.3.6.1.4.1.1466.115.121.1.15',
  generalizedTime: '1.3.6.1.4.1.1466.115.121.1.24',
  boolean: '1.3.6.1.4.1.1466.115.121.1.7',
} as const;

export type SyntaxName = keyof typeof SYNTAX_OIDS;

/** Matching rules we use (RFC 4517 names, known to every LDAP server). */
export type MatchingRule =
  | 'booleanMatch'
  | 'caseExactMatch'
  | 'caseExactSubstringsMatch'
  | 'caseIgnoreMatch'
  | 'caseIgnoreSubstringsMatch'
  | 'generalizedTimeMatch'
  | 'generalizedTimeOrderingMatch';

export interface AttributeTypeDefinition {
  /** Last OID component under `<arc>.1`. Fixed forever once published. */
  readonly number: number;
  /** What code calls the attribute (`layout.attributes.sourceUid`); `name` is what the directory calls it. */
  readonly key: string;
  readonly name: string;
  readonly description: string;
  readonly syntax: SyntaxName;
  /** Every attribute rostersync filters on needs an EQUALITY rule. */
  readonly equality: MatchingRule;
  readonly ordering?: MatchingRule;
  readonly substrings?: MatchingRule;
  readonly singleValue: boolean;
}

export type ObjectClassKind = 'ABSTRACT' | 'STRUCTURAL' | 'AUXILIARY';

// Shared rule sets, so every attribute of one kind matches the same way.
const caseExactString = {
  syntax: 'directoryString',
  equality: 'caseExactMatch',
  substrings: 'caseExactSubstringsMatch',
} as const;

const caseIgnoreString = {
  syntax: 'directoryString',
  equality: 'caseIgnoreMatch',
  substrings: 'caseIgnoreSubstringsMatch',
} as const;

// Ordering makes `<=` / `>=` filters work on the server (e.g. the purge query).
const generalizedTime = {
  syntax: 'generalizedTime',
  equality: 'generalizedTimeMatch',
  ordering: 'generalizedTimeOrderingMatch',
} as const;

// A flag: `TRUE` or `FALSE`, written in capitals (RFC 4517).
const boolean = {
  syntax: 'boolean',
  equality: 'booleanMatch',
} as const;

/**
 * Attribute types. NEVER renumber or reuse a `number`: directories out there
 * hold data under these OIDs. Retired attributes keep their number.
 */
export const ATTRIBUTE_TYPES = [
  {
    number: 1,
    key: 'sourceUid',
    name: 'rostersyncSourceUid',
    description: 'rostersync: import source (job) that owns this entry',
    // Source ids are identifiers chosen in config, so compare them exactly.
    ...caseExactString,
    singleValue: true,
  },
  {
    number: 2,
    key: 'recordUid',
    name: 'rostersyncRecordUid',
    description: 'rostersync: stable id of the entry in its import source',
    // Student-information systems may issue ids differing only in case; folding
    // case could merge two people into one account.
    ...caseExactString,
    singleValue: true,
  },
  {
    number: 3,
    key: 'role',
    name: 'rostersyncRole',
    description: 'rostersync: role in a school, as ROLE:school:SCHOOL',
    // School ids are OU-like names, compared case-insensitively.
    ...caseIgnoreString,
    singleValue: false,
  },
  {
    number: 4,
    key: 'school',
    name: 'rostersyncSchool',
    description: 'rostersync: school ids the entry belongs to',
    ...caseIgnoreString,
    singleValue: false,
  },
  {
    number: 5,
    key: 'purgeTimestamp',
    name: 'rostersyncPurgeTimestamp',
    description: 'rostersync: time from which the entry may be purged',
    ...generalizedTime,
    singleValue: true,
  },
  {
    number: 6,
    key: 'missingSince',
    name: 'rostersyncMissingSince',
    description: 'rostersync: first import that missed the user; grace periods count from it',
    ...generalizedTime,
    singleValue: true,
  },
  {
    number: 7,
    key: 'deactivatedTimestamp',
    name: 'rostersyncDeactivatedTimestamp',
    description: 'rostersync: when rostersync deactivated the user (lock or expiry set by rostersync)',
    ...generalizedTime,
    singleValue: true,
  },
  {
    number: 8,
    key: 'warningTimestamp',
    name: 'rostersyncWarningTimestamp',
    description: 'rostersync: when a lifecycle warning mail was sent',
    ...generalizedTime,
    singleValue: true,
  },
  {
    number: 9,
    key: 'retirementState',
    name: 'rostersyncRetirementState',
    description: 'rostersync: name of the retirement state of the entry',
    // State names are program identifiers, so compare them exactly.
    ...caseExactString,
    singleValue: true,
  },
  {
    number: 10,
    key: 'className',
    name: 'rostersyncClass',
    description: 'rostersync: school class names of a managed group',
    ...caseIgnoreString,
    singleValue: false,
  },
  {
    number: 11,
    key: 'priorEndTime',
    name: 'rostersyncPriorEndTime',
    description:
      'rostersync: an end time an admin had set, replaced by an earlier grace period; restored on reactivation',
    ...generalizedTime,
    singleValue: true,
  },
  {
    number: 12,
    key: 'removedTimestamp',
    name: 'rostersyncRemovedTimestamp',
    description:
      'rostersync: when the user was removed from its source without deleting the entry (moved instead); out of every job from then on',
    ...generalizedTime,
    singleValue: true,
  },
  {
    number: 13,
    key: 'warningRule',
    name: 'rostersyncWarningRule',
    description: 'rostersync: name of the lifecycle rule the warning mail was sent for',
    // Rule names are identifiers chosen in config, so compare them exactly.
    ...caseExactString,
    singleValue: true,
  },
  {
    number: 14,
    key: 'keptTimestamp',
    name: 'rostersyncKeptTimestamp',
    description:
      'rostersync: when a lifecycle warning was cancelled (rostersync keep or a login); lifecycle clocks restart from it',
    ...generalizedTime,
    singleValue: true,
  },
  {
    number: 15,
    key: 'lockFound',
    name: 'rostersyncLockFound',
    description:
      'rostersync: the lock was found, not set by rostersync (a lifecycle run stamped it); reactivation leaves it',
    ...boolean,
    singleValue: true,
  },
  {
    number: 16,
    key: 'retirementUpdated',
    name: 'rostersyncRetirementUpdated',
    description: 'rostersync: when the retirement state of the entry was last written',
    ...generalizedTime,
    singleValue: true,
  },
  {
    number: 17,
    key: 'retirementError',
    name: 'rostersyncRetirementError',
    description: 'rostersync: why the retirement of the entry stopped (state ERRORED)',
    ...caseIgnoreString,
    singleValue: true,
  },
  {
    number: 18,
    key: 'leaseHolder',
    name: 'rostersyncLeaseHolder',
    description: 'rostersync: the run holding the run lock lease (host, pid, run id, a random token)',
    // An opaque token compared byte for byte: taking over and renewing delete exactly this value.
    ...caseExactString,
    singleValue: true,
  },
  {
    number: 19,
    key: 'leaseExpires',
    name: 'rostersyncLeaseExpires',
    description: 'rostersync: when the run lock lease ends unless its holder renews it',
    ...generalizedTime,
    singleValue: true,
  },
  {
    number: 20,
    key: 'leaseSource',
    name: 'rostersyncLeaseSource',
    description: 'rostersync: the source (import job) a run lock lease is for',
    // Like rostersyncSourceUid: source ids are compared exactly.
    ...caseExactString,
    singleValue: true,
  },
  {
    number: 21,
    key: 'leaseSchool',
    name: 'rostersyncLeaseSchool',
    description: 'rostersync: the school a partition run lock lease is for; none for the whole source',
    ...caseIgnoreString,
    singleValue: true,
  },
  {
    number: 22,
    key: 'leaseJob',
    name: 'rostersyncLeaseJob',
    description: 'rostersync: the job holding the run lock lease (import, purge, ...)',
    ...caseIgnoreString,
    singleValue: true,
  },
  {
    number: 23,
    key: 'ruleMail',
    name: 'rostersyncRuleMail',
    description:
      'rostersync: per lifecycle rule, its last mail to the user: "sent TIME RULE" (a notify rule) or "refused TIME RULE"',
    ...caseExactString,
    singleValue: false,
  },
] as const satisfies readonly AttributeTypeDefinition[];

export type AttributeTypeName = (typeof ATTRIBUTE_TYPES)[number]['name'];
export type AttributeKey = (typeof ATTRIBUTE_TYPES)[number]['key'];

export interface ObjectClassDefinition {
  /** Last OID component under `<arc>.2`. Fixed forever once published. */
  readonly number: number;
  readonly name: string;
  readonly description: string;
  readonly kind: ObjectClassKind;
  readonly superior: string;
  readonly must: readonly (AttributeTypeName | StandardAttributeName)[];
  readonly may: readonly (AttributeTypeName | StandardAttributeName)[];
}

/**
 * Attributes of the standard schemas an object class of ours may carry: `member` lets a posixGroup
 * (structural in RFC 2307's nis.schema, so it cannot be combined with groupOfNames) hold member DNs;
 * `cn` names a lease entry and `description` says what it is for.
 */
export const STANDARD_ATTRIBUTES = ['member', 'cn', 'description'] as const;
export type StandardAttributeName = (typeof STANDARD_ATTRIBUTES)[number];

/** Object classes. NEVER renumber or reuse a `number` (see ATTRIBUTE_TYPES). */
export const OBJECT_CLASSES = [
  {
    number: 1,
    name: 'rostersyncUser',
    description: 'rostersync: user managed by a rostersync import',
    kind: 'AUXILIARY',
    superior: 'top',
    must: ['rostersyncSourceUid', 'rostersyncRecordUid'],
    may: [
      'rostersyncRole',
      'rostersyncSchool',
      'rostersyncPurgeTimestamp',
      'rostersyncMissingSince',
      'rostersyncPriorEndTime',
      'rostersyncDeactivatedTimestamp',
      'rostersyncWarningTimestamp',
      'rostersyncRetirementState',
      'rostersyncRetirementUpdated',
      'rostersyncRetirementError',
      'rostersyncRemovedTimestamp',
      'rostersyncWarningRule',
      'rostersyncKeptTimestamp',
      'rostersyncLockFound',
      'rostersyncRuleMail',
    ],
  },
  {
    number: 2,
    name: 'rostersyncGroup',
    description: 'rostersync: school class group managed by rostersync',
    kind: 'AUXILIARY',
    superior: 'top',
    must: ['rostersyncSourceUid'],
    may: ['rostersyncSchool', 'rostersyncClass', 'member'],
  },
  {
    number: 3,
    name: 'rostersyncLease',
    description: 'rostersync: the run lock of a source, or of one school of it, held by one run at a time',
    kind: 'STRUCTURAL',
    superior: 'top',
    must: ['cn'],
    may: [
      'rostersyncLeaseHolder',
      'rostersyncLeaseExpires',
      'rostersyncLeaseSource',
      'rostersyncLeaseSchool',
      'rostersyncLeaseJob',
      'description',
    ],
  },
] as const satisfies readonly ObjectClassDefinition[];

export type ObjectClassName = (typeof OBJECT_CLASSES)[number]['name'];

export function attributeTypeOid(attribute: Pick<AttributeTypeDefinition, 'number'>): string {
  return `${ROSTERSYNC_OID_ARC}.1.${attribute.number}`;
}

export function objectClassOid(objectClass: Pick<ObjectClassDefinition, 'number'>): string {
  return `${ROSTERSYNC_OID_ARC}.2.${objectClass.number}`;
}
