/**
 * Who holds a lease, as the `rostersyncLeaseHolder` value says: `host=… pid=… run=… boot=… since=… nonce=…`.
 * People read it (ldapsearch, exit 4's message); the program compares it byte for byte: the nonce makes
 * every taking unique, so renewing and releasing never mistake someone else's lease for their own.
 */

export interface LeaseHolder {
  host: string;
  pid: number;
  runId: string;
  /** The kernel's id of the holder's boot (Linux): a pid means something only within one boot. */
  bootId?: string;
  /** When the lease was taken, ISO-8601 UTC, whole seconds. */
  since: string;
  nonce: string;
}

/** Values go between spaces: a space in one (a host name never has any) would split it. */
const plain = (value: string): string => value.replace(/[\s=]/g, '_');

export function formatHolder(holder: LeaseHolder): string {
  return [
    `host=${plain(holder.host)}`,
    `pid=${holder.pid}`,
    `run=${plain(holder.runId)}`,
    ...(holder.bootId !== undefined ? [`boot=${plain(holder.bootId)}`] : []),
    `since=${plain(holder.since)}`,
    `nonce=${plain(holder.nonce)}`,
  ].join(' ');
}

/** The holder a value names, or undefined when it is not one this program wrote. */
export function parseHolder(text: string): LeaseHolder | undefined {
  const fields = new Map<string, string>();
  for (const part of text.trim().split(/\s+/)) {
    const at = part.indexOf('=');
    if (at <= 0) return undefined;
    fields.set(part.slice(0, at), part.slice(at + 1));
  }
  const host = fields.get('host');
  const pid = Number(fields.get('pid'));
  const runId = fields.get('run');
  const since = fields.get('since');
  const nonce = fields.get('nonce');
  if (!host || !runId || !since || !nonce || !Number.isSafeInteger(pid) || pid <= 0) return undefined;
  const bootId = fields.get('boot');
  return { host, pid, runId, ...(bootId ? { bootId } : {}), since, nonce };
}
