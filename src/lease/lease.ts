/**
 * The run lock held in the directory (SPEC §5): one lease entry per source, or per school for a run with
 * `--school`, under `ou=leases,ou=rostersync,<base_dn>`. Taking one is an LDAP `add` (the server lets one
 * of two adds through); a lease that has run out, or whose holder died on this host, is taken over with one
 * modify that deletes the exact holder value it replaces (of two takers the server refuses the second's
 * delete). The run renews it every third of its time; a run that cannot renew it, or finds it gone or taken,
 * has lost it and writes nothing more. Expiry is judged on the taker's clock: hosts keep theirs in sync.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { AttributeNames } from '../config/index.js';
import { parseGeneralizedTime, toGeneralizedTime } from '../dates.js';
import {
  and,
  type Directory,
  type DirectoryEntry,
  DirectoryError,
  type DirectoryErrorKind,
  eq,
  leafRdn,
  type Modification,
  parseRdn,
} from '../directory/index.js';
import { ExitCode, RostersyncError } from '../errors.js';
import type { Logger } from '../logging/index.js';
import { currentBootId, pidIsAlive } from '../state/holder.js';
import { type LockInfo, LockedError } from '../state/lock.js';
import { formatHolder, parseHolder } from './holder.js';
import { type FoundLease, type Here, isStale, judgeLease } from './judge.js';
import { leaseDn, leaseName, leasesConflict, partitionOf } from './partition.js';

export const LEASE_OBJECT_CLASS = 'rostersyncLease';

/**
 * What a server answers when it cannot hold a lease entry at all: the schema lacks the class or its
 * attributes, or the bind DN may not add there.
 */
const CANNOT_HOLD: ReadonlyMap<DirectoryErrorKind, string> = new Map([
  ['schema-violation', `the schema lacks the ${LEASE_OBJECT_CLASS} object class or its attributes`],
  ['insufficient-access', 'the bind DN may not add entries there'],
  ['unwilling', 'the server is unwilling to store it'],
]);

/** Of two takers of one stale lease, the one whose modify the server refused: the lease went to the other. */
const LOST_RACE: ReadonlySet<DirectoryErrorKind> = new Set([
  'no-such-attribute',
  'constraint',
  'value-exists',
]);

/** The directory cannot hold the lease entry (see CANNOT_HOLD); `lock.store` decides what then. */
export class CannotHoldLeaseError extends RostersyncError {}

/** The run lost its lease while it went on: it stopped before its next write (exit 4). */
export class LeaseLostError extends RostersyncError {
  constructor(message: string) {
    super(message, ExitCode.locked);
  }
}

export interface LeaseOptions {
  /** A connection to the server that holds the leases (`ldap.lock_url`). */
  directory: Directory;
  names: AttributeNames;
  /** `ou=leases,ou=rostersync,<base_dn>`, and its parent, made on first use. */
  leasesDn: string;
  runStateDn: string;
  sourceUid: string;
  /** The run's `--school`s; empty: the whole source. */
  schools: readonly string[];
  job: string;
  runId: string;
  leaseSeconds: number;
  logger: Logger;
}

interface HeldLease {
  dn: string;
  holder: string;
  /** The monotonic time (ms) until which the lease is surely ours, from its last successful renewal. */
  validUntil: number;
}

/** The holder values this process holds, to tell its own live leases from those of an earlier process with its pid. */
const ownHolders = new Set<string>();

function kindOf(error: unknown): DirectoryErrorKind | undefined {
  return error instanceof DirectoryError ? error.kind : undefined;
}

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

export class DirectoryLease {
  private readonly held: HeldLease[] = [];
  private readonly lostController = new AbortController();
  private lost: LeaseLostError | undefined;
  private renewing = false;
  private released = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly ttlMs: number;

  private constructor(private readonly options: LeaseOptions) {
    this.ttlMs = options.leaseSeconds * 1000;
  }

  /**
   * Takes the run's leases (one per school in one order, all or none) and starts renewing them. Throws
   * `LockedError` (exit 4) when another live run holds one, or holds a lease this run excludes (the whole
   * source against a school of it); `CannotHoldLeaseError` when the directory cannot hold lease entries.
   */
  static async take(options: LeaseOptions): Promise<DirectoryLease> {
    const lease = new DirectoryLease(options);
    const schools = partitionOf(options.schools);
    try {
      for (const school of schools.length > 0 ? schools : [undefined]) await lease.takeOne(school);
      // Each run writes its own lease before it reads the others (one server, so one order of operations):
      // of two excluding runs the later reader sees the earlier writer. Both may back off; never both go on.
      await lease.refuseConflicts(schools);
    } catch (error) {
      await lease.release();
      throw error;
    }
    lease.timer = setInterval(() => void lease.renew(), Math.max(100, Math.floor(lease.ttlMs / 3)));
    lease.timer.unref();
    return lease;
  }

  /** Aborted once the lease is lost: the run stops between users, as on SIGTERM. */
  get signal(): AbortSignal {
    return this.lostController.signal;
  }

  /** How the lease was lost, once it was. */
  lostError(): LeaseLostError | undefined {
    this.checkTime();
    return this.lost;
  }

  /** Throws `LeaseLostError` once the run may no longer write. A local check: no round trip. */
  guard(): void {
    const lost = this.lostError();
    if (lost) throw lost;
  }

  /** Deletes each lease that is still this run's (an assertion on its holder value); safe to call twice. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    clearInterval(this.timer);
    const { directory, names, logger } = this.options;
    for (const lease of this.held.splice(0)) {
      try {
        await directory.delete(lease.dn, { assertion: eq(names.leaseHolder, lease.holder) });
        logger.debug(`released the run lock's lease ${lease.dn}`);
      } catch (error) {
        const kind = kindOf(error);
        if (kind === 'assertion-failed' || kind === 'no-such-object') {
          logger.warn(`the run lock's lease ${lease.dn} was no longer this run's at its end; left as it is`);
        } else if (kind === 'control-unsupported') {
          // A server without the assertion control: let the lease run out now instead, still only if ours.
          await directory.modify(lease.dn, this.renewal(lease.holder, new Date(0))).catch(() => undefined);
        } else {
          logger.warn(
            `could not release the run lock's lease ${lease.dn}: ${messageOf(error)}; it runs out by itself`,
          );
        }
      } finally {
        ownHolders.delete(lease.holder);
      }
    }
  }

  private here(): Here {
    return {
      now: new Date(),
      host: hostname(),
      bootId: currentBootId(),
      pid: process.pid,
      ownHolders,
      pidIsAlive,
    };
  }

  private newHolder(): string {
    const bootId = currentBootId();
    return formatHolder({
      host: hostname(),
      pid: process.pid,
      runId: this.options.runId,
      ...(bootId !== undefined ? { bootId } : {}),
      since: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      nonce: randomBytes(6).toString('hex'),
    });
  }

  private expiresFrom(now: Date): string {
    return toGeneralizedTime(new Date(now.getTime() + this.ttlMs));
  }

  /** Until when, on the monotonic clock, a lease written at `sentAt` is surely ours: a sixth before its end. */
  private validFrom(sentAt: number): number {
    return sentAt + this.ttlMs - this.ttlMs / 6;
  }

  /** A lease's attributes besides its name: holder, end (a lease time from now), source, school, job. */
  private fields(holder: string, school: string | undefined): Record<string, string[]> {
    const { names, sourceUid, job } = this.options;
    return {
      [names.leaseHolder]: [holder],
      [names.leaseExpires]: [this.expiresFrom(new Date())],
      [names.leaseSource]: [sourceUid],
      [names.leaseSchool]: school === undefined ? [] : [school],
      [names.leaseJob]: [job],
    };
  }

  private async takeOne(school: string | undefined): Promise<void> {
    const { directory, names, sourceUid, leasesDn } = this.options;
    const dn = leaseDn(leasesDn, sourceUid, school);
    // A few rounds: the entry may go (released) or change hands between our add and our read.
    for (let round = 0; round < 5; round++) {
      const holder = this.newHolder();
      ownHolders.add(holder);
      const sentAt = performance.now();
      try {
        await directory.add(dn, {
          objectClass: [LEASE_OBJECT_CLASS],
          cn: [leaseName(sourceUid, school)],
          description: ['rostersync run lock'],
          ...this.fields(holder, school),
        });
        this.held.push({ dn, holder, validUntil: this.validFrom(sentAt) });
        this.options.logger.debug(`took the run lock's lease ${dn}`);
        return;
      } catch (error) {
        ownHolders.delete(holder);
        const kind = kindOf(error);
        if (kind === 'no-such-object') {
          await this.makeContainers();
          continue;
        }
        this.throwIfCannotHold(error);
        if (kind !== 'already-exists') throw error;
      }

      const found = await this.read(dn);
      if (found === undefined) continue; // released in the meantime: add again
      const verdict = judgeLease(found, this.here());
      if (!isStale(verdict)) throw this.locked(found, school);

      const takeover = this.newHolder();
      ownHolders.add(takeover);
      const takenAt = performance.now();
      const { [names.leaseHolder]: _holder, ...rest } = this.fields(takeover, school);
      const changes: Modification[] = [
        // Compare-and-swap: the delete fails (noSuchAttribute) once another taker replaced this value.
        ...(found.holderValue !== undefined
          ? [{ operation: 'delete' as const, attribute: names.leaseHolder, values: [found.holderValue] }]
          : []),
        { operation: 'add', attribute: names.leaseHolder, values: [takeover] },
        ...Object.entries(rest).map(([attribute, values]) => ({
          operation: 'replace' as const,
          attribute,
          values,
        })),
      ];
      try {
        await directory.modify(dn, changes);
      } catch (error) {
        ownHolders.delete(takeover);
        const kind = kindOf(error);
        if (kind === 'no-such-object') continue;
        if (kind !== undefined && LOST_RACE.has(kind)) {
          const now = await this.read(dn);
          if (now === undefined) continue;
          throw this.locked(now, school);
        }
        throw error;
      }
      this.held.push({ dn, holder: takeover, validUntil: this.validFrom(takenAt) });
      const who = found.holder ? `pid ${found.holder.pid} on host ${found.holder.host}` : 'an unknown holder';
      this.options.logger.warn(
        `taking over the run lock's lease ${dn} of ${who}: ${verdict === 'expired' ? 'it ran out' : 'that process is gone'}`,
        { lease: dn, staleHolder: found.holderValue ?? null },
      );
      return;
    }
    throw this.locked(await this.read(dn), school);
  }

  /** A live lease of this source that this run must not run beside: the whole source against a school. */
  private async refuseConflicts(schools: readonly string[]): Promise<void> {
    const { directory, names, sourceUid, leasesDn } = this.options;
    const mine = new Set(this.held.map((lease) => lease.holder));
    const entries = await directory.searchAll(leasesDn, {
      scope: 'one',
      filter: and(eq('objectClass', LEASE_OBJECT_CLASS), eq(names.leaseSource, sourceUid)),
      attributes: this.attributes(),
    });
    for (const entry of entries) {
      const found = this.toFound(entry);
      if (found.holderValue !== undefined && mine.has(found.holderValue)) continue;
      if (found.source !== sourceUid || !leasesConflict(schools, found.school)) continue;
      const verdict = judgeLease(found, this.here());
      if (verdict === 'live' || verdict === 'ours') throw this.locked(found, found.school);
    }
  }

  /** Renews every lease (compare-and-swap on the holder value); runs every third of the lease time. */
  private async renew(): Promise<void> {
    if (this.renewing || this.released || this.lost) return;
    this.renewing = true;
    const { directory, logger } = this.options;
    try {
      for (const lease of this.held) {
        const sentAt = performance.now();
        try {
          await directory.modify(lease.dn, this.renewal(lease.holder, new Date(Date.now() + this.ttlMs)));
          lease.validUntil = this.validFrom(sentAt);
        } catch (error) {
          const kind = kindOf(error);
          if (kind === 'no-such-object' || kind === 'no-such-attribute') {
            this.markLost(lease.dn, 'removed or taken over');
            return;
          }
          // A passing failure (the server restarting): the next round tries again, until the lease runs out.
          logger.warn(`could not renew the run lock's lease ${lease.dn}: ${messageOf(error)}`);
        }
      }
    } finally {
      this.renewing = false;
      this.checkTime();
    }
  }

  /** The modify that sets a lease's end, only while the holder value is still `holder`. */
  private renewal(holder: string, until: Date): Modification[] {
    const { names } = this.options;
    return [
      { operation: 'delete', attribute: names.leaseHolder, values: [holder] },
      { operation: 'add', attribute: names.leaseHolder, values: [holder] },
      { operation: 'replace', attribute: names.leaseExpires, values: [toGeneralizedTime(until)] },
    ];
  }

  /** Past its last renewal's time the run cannot be sure the lease is still its own: lost. */
  private checkTime(): void {
    if (this.lost || this.released) return;
    const now = performance.now();
    const expired = this.held.find((lease) => now >= lease.validUntil);
    if (expired) this.markLost(expired.dn, 'not renewed in time');
  }

  private markLost(dn: string, why: string): void {
    if (this.lost) return;
    this.lost = new LeaseLostError(`the run lost its lease ${dn} (${why}); stopped before the next write`);
    this.options.logger.error(this.lost.message, { lease: dn });
    clearInterval(this.timer);
    this.lostController.abort(this.lost);
  }

  private async makeContainers(): Promise<void> {
    const { directory, runStateDn, leasesDn } = this.options;
    for (const container of [runStateDn, leasesDn]) {
      const [name] = parseRdn(leafRdn(container));
      if (name === undefined) continue;
      try {
        await directory.add(container, {
          objectClass: ['organizationalUnit'],
          [name.attribute]: [name.value],
        });
      } catch (error) {
        if (kindOf(error) === 'already-exists') continue;
        this.throwIfCannotHold(error);
        throw error;
      }
    }
  }

  private throwIfCannotHold(error: unknown): void {
    const kind = kindOf(error);
    const reason = kind === undefined ? undefined : CANNOT_HOLD.get(kind);
    if (reason !== undefined) {
      throw new CannotHoldLeaseError(`${reason}: ${messageOf(error)}`, ExitCode.failed, { cause: error });
    }
  }

  private attributes(): string[] {
    const { names } = this.options;
    return [names.leaseHolder, names.leaseExpires, names.leaseSource, names.leaseSchool, names.leaseJob];
  }

  private async read(dn: string): Promise<FoundLease | undefined> {
    const entry = await this.options.directory.searchOne(dn, this.attributes());
    return entry === undefined ? undefined : this.toFound(entry);
  }

  private toFound(entry: DirectoryEntry): FoundLease {
    const { names } = this.options;
    const first = (name: string): string | undefined => entry.attributes[name]?.[0];
    const holderValue = first(names.leaseHolder);
    const expiresText = first(names.leaseExpires);
    let expires: Date | undefined;
    try {
      expires = expiresText === undefined ? undefined : parseGeneralizedTime(expiresText);
    } catch {
      expires = undefined;
    }
    return {
      dn: entry.dn,
      holderValue,
      holder: holderValue === undefined ? undefined : parseHolder(holderValue),
      expires,
      source: first(names.leaseSource),
      school: first(names.leaseSchool),
      job: first(names.leaseJob),
    };
  }

  private locked(found: FoundLease | undefined, school: string | undefined): LockedError {
    const holder: LockInfo | undefined = found?.holder
      ? {
          pid: found.holder.pid,
          startedAt: found.holder.since,
          job: found.job ?? 'unknown',
          host: found.holder.host,
          runId: found.holder.runId,
        }
      : undefined;
    return new LockedError(this.options.sourceUid, holder, found?.dn ?? this.options.leasesDn, {
      ...(school !== undefined ? { part: `school ${school}` } : {}),
      nameHost: true,
    });
  }
}
