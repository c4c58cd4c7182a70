import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import { DirectoryError } from './errors.js';

export interface DirectoryTlsOptions {
  /** PEM file with the CA certificate(s) that signed the server certificate. */
  caFile?: string;
  /** Verify the server certificate; only an explicit `false` turns verification off. */
  rejectUnauthorized: boolean;
}

export interface DirectoryOptions {
  /** `ldap://host[:port]` or `ldaps://host[:port]`. */
  url: string;
  bindDn: string;
  bindPassword: string;
  /** Upgrade an `ldap://` connection with StartTLS before binding. */
  starttls: boolean;
  tls: DirectoryTlsOptions;
  /** Limit for connecting and for every single operation. */
  timeoutMs: number;
  /** Entries per page in paged searches. */
  pageSize: number;
}

export interface ParsedUrl {
  secure: boolean;
  host: string;
}

export function parseLdapUrl(url: string): ParsedUrl {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    throw new DirectoryError('other', `invalid LDAP URL ${JSON.stringify(url)}`, { cause: error });
  }
  if (parsed.protocol !== 'ldap:' && parsed.protocol !== 'ldaps:') {
    throw new DirectoryError('other', `invalid LDAP URL ${JSON.stringify(url)}: use ldap:// or ldaps://`);
  }
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1') || 'localhost';
  return { secure: parsed.protocol === 'ldaps:', host };
}

/** Node TLS options for the connection: CA from the file, certificate and host name verification. */
export async function buildTlsOptions(options: DirectoryOptions, host: string): Promise<ConnectionOptions> {
  const tls: ConnectionOptions = {
    host,
    rejectUnauthorized: options.tls.rejectUnauthorized,
    minVersion: 'TLSv1.2',
  };
  // SNI must be a host name, never an IP address (RFC 6066).
  if (isIP(host) === 0) tls.servername = host;
  if (options.tls.caFile !== undefined) {
    try {
      tls.ca = await readFile(options.tls.caFile);
    } catch (error) {
      throw new DirectoryError('tls', `cannot read the CA file ${options.tls.caFile} (ldap.tls.ca_file)`, {
        cause: error,
      });
    }
  }
  return tls;
}
