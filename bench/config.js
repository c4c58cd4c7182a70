// The rostersync config every benchmark run uses: the synthetic schools, the product's defaults unless
// --concurrency or --page-size say otherwise.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { CSV_MAPPING, SCHOOLS } from './roster.js';

/** Writes `rostersync.yaml` for `server` into `dir` and returns its path; `extra` adds top-level keys. */
export async function writeConfig(dir, server, options, extra = {}) {
  const config = {
    source_uid: 'bench',
    timezone: 'Europe/Berlin',
    state_dir: join(dir, 'state'),
    schools: SCHOOLS,
    ldap: {
      url: server.url,
      bind_dn: server.adminDn,
      bind_password_file: server.adminPasswordFile,
      base_dn: server.suffix,
      users_dn: 'ou=people,ou={school},{base_dn}',
      groups_dn: 'ou=groups,ou={school},{base_dn}',
      ...(options.concurrency ? { concurrency: options.concurrency } : {}),
      ...(options.pageSize ? { page_size: options.pageSize } : {}),
    },
    csv: { mapping: CSV_MAPPING, delimiter: ',' },
    deletion_grace_period: { deactivation: 0, deletion: 30 },
    safety: { max_deletions: '100%' },
    output: { log_format: 'json', log_level: 'info' },
    ...extra,
  };
  const path = join(dir, 'rostersync.yaml');
  await mkdir(dir, { recursive: true });
  await writeFile(path, stringify(config));
  return path;
}
