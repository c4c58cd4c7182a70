import { z } from 'zod';
import { ATTRIBUTE_TYPES, type AttributeTypeName } from '../schema/index.js';
import { type MaxDeletions, parseMaxDeletions } from './max-deletions.js';
import { validateRetirementStates } from './retirement-states.js';
import {
  cronExpression,
  distinguishedName,
  dnTemplateProblem,
  dnProblem,
  filePath,
  isValidTimeZone,
  ldapAttributeName,
  modulePath,
  nameTemplate,
  nonEmptyString,
  placeholderTemplate,
  systemTimeZone,
  wholeNumber,
} from './validators.js';

/** The single source of truth for rostersync's configuration (SPEC §3–§9): shape, defaults, checks. */

export const DEFAULT_ROLES = ['student', 'teacher', 'staff', 'school_admin'] as const;

/** The role that `purge.roles` leaves out by default (seed 002's warning about school admins). */
export const PURGE_EXCLUDED_ROLE = 'school_admin';

export const CSV_FIELDS = [
  'record_uid',
  'firstname',
  'lastname',
  'schools',
  'role',
  'classes',
  'email',
  'birthday',
  'username',
  'password',
  'action',
] as const;

/** What a retirement removes besides the names and the password (SPEC §8); the import's `attr:` fields too. */
export const DEFAULT_WIPE_ATTRIBUTES = [
  'givenName',
  'initials',
  'title',
  'telephoneNumber',
  'mobile',
  'homePhone',
  'postalAddress',
  'homePostalAddress',
  'street',
  'l',
  'postalCode',
  'employeeNumber',
  'jpegPhoto',
  'photo',
  'preferredLanguage',
] as const;

export const DEFAULT_RETIREMENT_STATES = [
  'PENDING',
  'RETIRING_ARCHIVE',
  'ARCHIVE_COMPLETE',
  'RETIRING_GROUPS',
  'GROUPS_COMPLETE',
  'RETIRING_DIRECTORY',
  'DIRECTORY_COMPLETE',
  'ERRORED',
  'ABORTED',
  'COMPLETE',
] as const;

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** Role and school ids end up in `ROLE:school:SCHOOL` values and in DNs, so keep them plain. */
const identifier = z.string().regex(ID_PATTERN, {
  error: (issue) =>
    `'${String(issue.input)}' is not a valid id (letters, digits, '_', '.', '-'; starting with a letter or digit)`,
});

function enumOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, { error: `expected one of: ${values.join(', ')}` });
}

function uniqueList<T extends z.ZodType<string>>(item: T, what: string) {
  return z.array(item).superRefine((values, ctx) => {
    const seen = new Set<string>();
    values.forEach((value, index) => {
      if (seen.has(value)) {
        ctx.addIssue({ code: 'custom', path: [index], message: `duplicate ${what} '${value}'` });
      }
      seen.add(value);
    });
  });
}

/** `ldap.attributes`: any attribute of the schema, by its name there, to this directory's name for it. */
const attributeMapShape = Object.fromEntries(
  ATTRIBUTE_TYPES.map(({ name }) => [name, ldapAttributeName.optional()]),
) as Record<AttributeTypeName, z.ZodOptional<typeof ldapAttributeName>>;

const ldapUrl = z
  .string()
  .regex(/^ldaps?:\/\/\S*$/i, { error: "expected an URL starting with 'ldap://' or 'ldaps://'" });

const ldapSchema = z
  .strictObject({
    url: ldapUrl.default('ldap://localhost'),
    /**
     * The one server that holds the run lock's leases (SPEC §5). On replicated directories a lease taken on
     * two providers at once is a replication conflict, not a lock: every host must name the same one.
     */
    lock_url: ldapUrl.optional(),
    bind_dn: distinguishedName.optional(),
    bind_password_file: filePath.optional(),
    base_dn: nonEmptyString.pipe(distinguishedName),
    users_dn: placeholderTemplate(['school', 'base_dn']).default('ou=people,{base_dn}'),
    groups_dn: placeholderTemplate(['school', 'base_dn']).default('ou=groups,{base_dn}'),
    profile: enumOf(['openldap', 'ad', '389ds']).default('openldap'),
    posix: z.boolean().default(false),
    starttls: z.boolean().default(false),
    tls: z
      .strictObject({
        ca_file: filePath.optional(),
        reject_unauthorized: z.boolean().default(true),
      })
      .prefault({}),
    attributes: z
      .strictObject(attributeMapShape)
      .superRefine((mapping, ctx) => {
        const owners = new Map<string, string>();
        for (const [rostersyncName, localName] of Object.entries(mapping)) {
          if (localName === undefined) continue;
          const owner = owners.get(localName.toLowerCase());
          if (owner !== undefined) {
            ctx.addIssue({
              code: 'custom',
              path: [rostersyncName],
              message: `'${localName}' is already used for ${owner}`,
            });
          }
          owners.set(localName.toLowerCase(), rostersyncName);
        }
      })
      .prefault({}),
    page_size: wholeNumber({ min: 1, max: 10000 }).default(500),
    concurrency: wholeNumber({ min: 1, max: 256 }).default(16),
    timeout_ms: wholeNumber({ min: 1, unit: 'milliseconds' }).default(10000),
  })
  .superRefine((ldap, ctx) => {
    // The DN templates need the base DN; a broken one is reported under ldap.base_dn alone.
    if (dnProblem(ldap.base_dn) === undefined) {
      for (const key of ['users_dn', 'groups_dn'] as const) {
        const problem = dnTemplateProblem(ldap[key], ldap.base_dn);
        if (problem !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: problem });
      }
    }
    if (ldap.starttls && /^ldaps:/i.test(ldap.url)) {
      ctx.addIssue({
        code: 'custom',
        path: ['starttls'],
        message: 'cannot be used with an ldaps:// url (that connection is already TLS)',
      });
    }
    if (ldap.starttls && ldap.lock_url !== undefined && /^ldaps:/i.test(ldap.lock_url)) {
      ctx.addIssue({
        code: 'custom',
        path: ['lock_url'],
        message: 'an ldaps:// url cannot be used with ldap.starttls (that connection is already TLS)',
      });
    }
  });

const ATTR_FIELD = /^attr:[A-Za-z][A-Za-z0-9-]*$/;

const csvFieldName = z
  .string()
  .refine((field) => (CSV_FIELDS as readonly string[]).includes(field) || ATTR_FIELD.test(field), {
    error: (issue) =>
      `unknown field '${String(issue.input)}' (expected one of: ${CSV_FIELDS.join(', ')}, or attr:<ldapAttributeName>)`,
  });

const csvSchema = z
  .strictObject({
    mapping: z
      .record(z.string(), csvFieldName)
      .superRefine((mapping, ctx) => {
        const headers = new Map<string, string>();
        for (const [header, field] of Object.entries(mapping)) {
          const earlier = headers.get(field);
          if (earlier !== undefined) {
            ctx.addIssue({
              code: 'custom',
              path: [header],
              message: `field '${field}' is already mapped from column '${earlier}'`,
            });
          }
          headers.set(field, header);
        }
      })
      .default({}),
    delimiter: enumOf([',', ';', '\t', '|', 'auto']).default('auto'),
    encoding: enumOf(['utf-8', 'windows-1252', 'latin1', 'iso-8859-1', 'utf-16le']).default('utf-8'),
    multi_value_separator: nonEmptyString.default(','),
    role_values: z.record(z.string(), nonEmptyString).default({}),
  })
  .prefault({});

const schemeSchema = z
  .strictObject({
    username: nameTemplate('scheme.username', 'username').default('<firstname>[0].<lastname>[COUNTER2]'),
    email: nameTemplate('scheme.email', 'email').optional(),
    max_length: wholeNumber({ min: 1 }).default(20),
    reserve_deleted: z.boolean().default(true),
  })
  .prefault({});

const gracePeriodSchema = z
  .strictObject({
    deactivation: wholeNumber({ min: 0, unit: 'days' }).default(0),
    deletion: wholeNumber({ min: 0, unit: 'days' }).default(90),
  })
  .prefault({});

const MAX_DELETIONS_MESSAGE = "expected a whole number ≥ 0 or a percentage 'N%' with 0 ≤ N ≤ 100";

const maxDeletionsSchema = z
  .union([z.number(), z.string()], { error: MAX_DELETIONS_MESSAGE })
  .transform((value, ctx): MaxDeletions => {
    const parsed = parseMaxDeletions(value);
    if (parsed === undefined) {
      ctx.addIssue({ code: 'custom', message: MAX_DELETIONS_MESSAGE });
      return z.NEVER;
    }
    return parsed;
  });

const passwordSchema = z
  .strictObject({
    // Also as LDAP writes the schemes: `{SSHA}`, `{ARGON2}` (any case).
    hash: z
      .preprocess(
        (value) => (typeof value === 'string' ? value.replace(/^\{(.*)\}$/, '$1').toLowerCase() : value),
        enumOf(['ssha', 'argon2']),
      )
      .default('ssha'),
    set_via: enumOf(['add', 'exop']).default('add'),
    length: wholeNumber({ min: 8, max: 128 }).default(16),
    // New users get ppolicy's pwdReset: TRUE, so they must change the initial password at first login.
    must_change: z.boolean().default(false),
  })
  .prefault({});

const outputSchema = z
  .strictObject({
    passwords_file: filePath.optional(),
    audit_log: filePath.optional(),
    metrics_file: filePath.optional(),
    log_level: enumOf(['error', 'warn', 'info', 'debug']).default('info'),
    log_format: enumOf(['auto', 'text', 'json']).default('auto'),
  })
  .prefault({});

const purgeSchema = z
  .strictObject({
    // Absent means "derived from the effective `roles`", filled in after parsing.
    roles: uniqueList(identifier, 'role').optional(),
    mode: enumOf(['delete', 'move', 'retire']).default('delete'),
    move_to_dn: nonEmptyString.pipe(distinguishedName).optional(),
  })
  .superRefine((purge, ctx) => {
    if (purge.mode === 'move' && purge.move_to_dn === undefined) {
      ctx.addIssue({ code: 'custom', path: ['move_to_dn'], message: "required when purge.mode is 'move'" });
    }
  })
  .prefault({});

const classesSchema = z
  .strictObject({
    user_import: modulePath.optional(),
    group_name: placeholderTemplate(['school', 'class']).default('{school}-{class}'),
  })
  .prefault({});

const daemonSchema = z
  .strictObject({
    schedules: z
      .strictObject({
        purge: cronExpression.optional(),
        import: cronExpression.optional(),
        lifecycle: cronExpression.optional(),
      })
      .prefault({}),
    import_input: filePath.optional(),
  })
  .superRefine((daemon, ctx) => {
    if (daemon.schedules.import !== undefined && daemon.import_input === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['import_input'],
        message: 'required when daemon.schedules.import is set',
      });
    }
  })
  .prefault({});

const lifecycleRuleSchema = z.strictObject({
  name: nonEmptyString,
  trigger: enumOf(['no_login', 'never_logged_in', 'unconfirmed', 'deactivated', 'expired']),
  days: wholeNumber({ min: 0, unit: 'days' }),
  warning_days: wholeNumber({ min: 0, unit: 'days' }).default(0),
  roles: uniqueList(identifier, 'role').optional(),
  schedule: cronExpression.optional(),
  action: enumOf(['delete', 'deactivate', 'notify']).default('delete'),
  unwarnable: enumOf(['keep', 'act']).default('keep'),
});

const lifecycleSchema = z
  .strictObject({
    rules: z
      .array(lifecycleRuleSchema)
      .superRefine((rules, ctx) => {
        const seen = new Set<string>();
        rules.forEach((rule, index) => {
          if (seen.has(rule.name)) {
            ctx.addIssue({
              code: 'custom',
              path: [index, 'name'],
              message: `duplicate rule name '${rule.name}'`,
            });
          }
          seen.add(rule.name);
        });
      })
      .default([]),
  })
  .prefault({});

const mailSchema = z
  .strictObject({
    smtp: z.strictObject({
      host: nonEmptyString,
      port: wholeNumber({ min: 1, max: 65535 }).default(25),
      secure: z.boolean().default(false),
      starttls: z.boolean().default(true),
      user: nonEmptyString.optional(),
      password_file: filePath.optional(),
    }),
    from: nonEmptyString.optional(),
    reply_to: nonEmptyString.optional(),
    templates_dir: filePath.optional(),
    default_language: nonEmptyString.default('en'),
  })
  .optional();

const retirementSchema = z
  .strictObject({
    username_prefix: nonEmptyString.default('retired__user_'),
    email_prefix: nonEmptyString.default('retired__user_'),
    email_domain: nonEmptyString.default('retired.invalid'),
    salts_file: filePath.optional(),
    // SHA-1 is Open edX's user_util, so both systems arrive at the same pseudonyms.
    hash: enumOf(['sha1', 'sha256']).default('sha1'),
    wipe_attributes: uniqueList(ldapAttributeName, 'attribute').default([...DEFAULT_WIPE_ATTRIBUTES]),
    states: z
      .array(z.string().regex(/^[A-Z][A-Z0-9_]*$/, { error: 'expected an UPPER_CASE state name' }))
      .superRefine((states, ctx) => {
        for (const message of validateRetirementStates(states)) ctx.addIssue({ code: 'custom', message });
      })
      .default([...DEFAULT_RETIREMENT_STATES]),
  })
  .prefault({});

const archiveSchema = z.strictObject({ dir: filePath.optional() }).prefault({});

/** Who owns what a removed user owned (SPEC §8, seed 003). */
const ownershipSchema = z
  .strictObject({
    last_owner: enumOf(['inherit', 'admin', 'none']).default('inherit'),
    admin_dn: nonEmptyString.pipe(distinguishedName).optional(),
  })
  .superRefine((ownership, ctx) => {
    if (ownership.last_owner === 'admin' && ownership.admin_dn === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['admin_dn'],
        message: "required when ownership.last_owner is 'admin'",
      });
    }
  })
  .prefault({});

/** `host:port`, an IPv6 host in brackets: `127.0.0.1:8080`, `[::1]:8080`. */
const LISTEN_ADDRESS = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/;

/** The web console of `rostersync serve` (SPEC §11). */
const consoleSchema = z
  .strictObject({
    listen: z
      .string()
      .regex(LISTEN_ADDRESS, { error: "expected 'HOST:PORT', e.g. 127.0.0.1:8080 or [::1]:8080" })
      .refine((value) => Number(value.slice(value.lastIndexOf(':') + 1)) <= 65535, {
        error: 'the port must be at most 65535',
      })
      .default('127.0.0.1:8080'),
    admin_group: nonEmptyString.pipe(distinguishedName).optional(),
    school_groups: z.record(identifier, nonEmptyString.pipe(distinguishedName)).default({}),
    session_secret_file: filePath.optional(),
    /** The largest roster the new-import page accepts, in bytes. */
    max_upload_bytes: wholeNumber({ min: 1 }).default(50 * 1024 * 1024),
    tls: z
      .strictObject({ cert_file: filePath.optional(), key_file: filePath.optional() })
      .superRefine((tls, ctx) => {
        if ((tls.cert_file === undefined) !== (tls.key_file === undefined)) {
          ctx.addIssue({
            code: 'custom',
            path: [tls.cert_file === undefined ? 'cert_file' : 'key_file'],
            message: 'console.tls needs both cert_file and key_file',
          });
        }
      })
      .prefault({}),
  })
  .prefault({});

/** Account and group numbers and login settings for `ldap.posix: true`. */
const posixSchema = z
  .strictObject({
    uid_number_min: wholeNumber({ min: 1 }).default(10000),
    gid_number_min: wholeNumber({ min: 1 }).default(10000),
    primary_gid_number: wholeNumber({ min: 0 }).default(100),
    home_directory: placeholderTemplate(['username', 'school']).default('/home/{username}'),
    login_shell: nonEmptyString.default('/bin/bash'),
  })
  .prefault({});

/**
 * The run lock (SPEC §5): `auto` holds it as a lease entry in the directory when the directory can hold one,
 * else as a lock file on this host; `directory` insists on the lease; `file` uses the lock file only.
 */
const lockSchema = z
  .strictObject({
    store: enumOf(['auto', 'directory', 'file']).default('auto'),
    // Renewed every third of it; a holder that dies is taken over once it has run out.
    lease_seconds: wholeNumber({ min: 2, max: 86400, unit: 'seconds' }).default(60),
  })
  .prefault({});

const configObjectSchema = z
  .strictObject({
    ldap: ldapSchema,
    source_uid: nonEmptyString,
    timezone: z
      .string()
      .refine(isValidTimeZone, {
        error: (issue) =>
          `unknown time zone '${String(issue.input)}' (expected an IANA name such as Europe/Berlin)`,
      })
      .default(systemTimeZone),
    roles: uniqueList(identifier, 'role')
      .min(1, { error: 'expected at least one role' })
      .default([...DEFAULT_ROLES]),
    schools: uniqueList(identifier, 'school').optional(),
    csv: csvSchema,
    scheme: schemeSchema,
    deletion_grace_period: gracePeriodSchema,
    no_delete: z.boolean().default(false),
    incremental: z.boolean().default(false),
    tolerate_errors: wholeNumber({ min: 0 }).default(0),
    safety: z
      .strictObject({ max_deletions: maxDeletionsSchema.default({ kind: 'percent', percent: 10 }) })
      .prefault({}),
    password: passwordSchema,
    output: outputSchema,
    state_dir: filePath.default('/var/lib/rostersync'),
    lock: lockSchema,
    purge: purgeSchema,
    classes: classesSchema,
    hooks: z.array(modulePath).default([]),
    daemon: daemonSchema,
    lifecycle: lifecycleSchema,
    mail: mailSchema,
    retirement: retirementSchema,
    archive: archiveSchema,
    ownership: ownershipSchema,
    posix: posixSchema,
    console: consoleSchema,
  })
  .superRefine((config, ctx) => {
    // Every role named elsewhere must be one of `roles`.
    const known = new Set(config.roles);
    const unknownRole = (role: string) => `'${role}' is not one of roles (${config.roles.join(', ')})`;
    config.purge.roles?.forEach((role, index) => {
      if (!known.has(role))
        ctx.addIssue({ code: 'custom', path: ['purge', 'roles', index], message: unknownRole(role) });
    });
    for (const [spelling, role] of Object.entries(config.csv.role_values)) {
      if (!known.has(role)) {
        ctx.addIssue({ code: 'custom', path: ['csv', 'role_values', spelling], message: unknownRole(role) });
      }
    }
    if (config.purge.mode === 'retire' && config.retirement.salts_file === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['retirement', 'salts_file'],
        message: "required when purge.mode is 'retire': the salts that hash retired names",
      });
    }
    config.lifecycle.rules.forEach((rule, ruleIndex) => {
      rule.roles?.forEach((role, index) => {
        if (!known.has(role)) {
          ctx.addIssue({
            code: 'custom',
            path: ['lifecycle', 'rules', ruleIndex, 'roles', index],
            message: unknownRole(role),
          });
        }
      });
    });
  });

export const configSchema = configObjectSchema.transform((config) => ({
  ...config,
  purge: {
    ...config.purge,
    roles: config.purge.roles ?? config.roles.filter((role) => role !== PURGE_EXCLUDED_ROLE),
  },
}));

/** The validated configuration, defaults applied. */
export type Config = z.output<typeof configSchema>;
export type LifecycleRule = Config['lifecycle']['rules'][number];
export type LdapProfile = Config['ldap']['profile'];
export type PurgeMode = Config['purge']['mode'];
export type CsvField = (typeof CSV_FIELDS)[number];
export type { MaxDeletions };
