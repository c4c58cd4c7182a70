/**
 * Whether a lease found in the directory still binds: judged from what the entry says and what this host
 * knows, with no directory access, so the rules can be tested with plain values.
 */
import type { LeaseHolder } from './holder.js';

/** A lease entry as read. */
export interface FoundLease {
  dn: string;
  /** The `rostersyncLeaseHolder` value exactly as stored (what a takeover deletes). */
  holderValue: string | undefined;
  holder: LeaseHolder | undefined;
  /** `rostersyncLeaseExpires`; undefined when missing or unreadable. */
  expires: Date | undefined;
  source: string | undefined;
  school: string | undefined;
  job: string | undefined;
}

/** What this host knows when it judges. */
export interface Here {
  now: Date;
  host: string;
  bootId: string | undefined;
  pid: number;
  /** The holder values this process holds right now. */
  ownHolders: ReadonlySet<string>;
  pidIsAlive(pid: number): boolean;
}

/**
 * - `ours`: this process holds it;
 * - `live`: someone else holds it and it has not run out;
 * - `expired`: it has run out by this host's clock (or says nothing readable about when it runs out);
 * - `holder-gone`: it was taken on this host in this boot, and that process is gone.
 */
export type LeaseVerdict = 'ours' | 'live' | 'expired' | 'holder-gone';

export function judgeLease(lease: FoundLease, here: Here): LeaseVerdict {
  if (lease.holderValue !== undefined && here.ownHolders.has(lease.holderValue)) return 'ours';
  if (lease.expires === undefined || lease.expires.getTime() <= here.now.getTime()) return 'expired';
  const holder = lease.holder;
  // Only the same host in the same boot can tell a pid's fate: another machine may share the host name.
  if (holder === undefined || holder.host !== here.host) return 'live';
  if (holder.bootId === undefined || here.bootId === undefined || holder.bootId !== here.bootId)
    return 'live';
  // Our own pid but not our lease: an earlier process that had this pid (a restarted container).
  if (holder.pid === here.pid) return 'holder-gone';
  return here.pidIsAlive(holder.pid) ? 'live' : 'holder-gone';
}

/** Whether a lease may be taken over instead of refusing the run. */
export function isStale(verdict: LeaseVerdict): boolean {
  return verdict === 'expired' || verdict === 'holder-gone';
}
