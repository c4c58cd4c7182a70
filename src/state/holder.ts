/**
 * Whether the process that wrote a state file (run lock, takeover guard, status mutex) is still there, and
 * how long ago it wrote it. Ages are measured on the system's uptime, which only moves forward with real
 * time: comparing a file's mtime with the wall clock calls a live holder stale whenever the clock is
 * stepped (NTP after boot, a resumed VM, faketime in tests), and a stale holder's file gets removed.
 */
import { readFileSync } from 'node:fs';
import { uptime } from 'node:os';

/** Who holds a short-lived file and since when. */
export interface HolderStamp {
  pid: number;
  /** System uptime when the file was written, in ms. */
  uptimeMs: number;
  /** The kernel's id of the current boot (Linux), so a reboot is noticed even after a long uptime. */
  bootId?: string;
}

let cachedBootId: string | null | undefined;

/** This boot's id from /proc (Linux), or undefined where there is none. */
export function currentBootId(): string | undefined {
  if (cachedBootId === undefined) {
    try {
      cachedBootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || null;
    } catch {
      cachedBootId = null;
    }
  }
  return cachedBootId ?? undefined;
}

export function uptimeMs(): number {
  return Math.round(uptime() * 1000);
}

export function holderStamp(): HolderStamp {
  const bootId = currentBootId();
  return { pid: process.pid, uptimeMs: uptimeMs(), ...(bootId !== undefined ? { bootId } : {}) };
}

/** The stamp in `text`, or undefined when it is not one (empty, garbage, truncated). */
export function parseHolderStamp(text: string): HolderStamp | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!value || typeof value !== 'object') return undefined;
  const { pid, uptimeMs: since, bootId } = value as Record<string, unknown>;
  if (typeof pid !== 'number' || !Number.isSafeInteger(pid) || pid <= 0) return undefined;
  if (typeof since !== 'number' || !Number.isFinite(since)) return undefined;
  return { pid, uptimeMs: since, ...(typeof bootId === 'string' ? { bootId } : {}) };
}

/** Written by an earlier boot of this machine: whatever now runs under its pid is someone else. */
export function fromEarlierBoot(bootId: string | undefined): boolean {
  const current = currentBootId();
  return bootId !== undefined && current !== undefined && bootId !== current;
}

/**
 * Stale: written before the last reboot, longer than `maxAgeMs` ago, or by another process that is gone.
 * A stamp of this process's own pid is judged by age only: the caller knows whether it is its own.
 */
export function stampIsStale(stamp: HolderStamp, maxAgeMs: number): boolean {
  if (fromEarlierBoot(stamp.bootId)) return true;
  const age = uptimeMs() - stamp.uptimeMs;
  // A negative age: the uptime started again, so the machine rebooted (where there is no boot id).
  if (age < 0 || age > maxAgeMs) return true;
  return stamp.pid !== process.pid && !pidIsAlive(stamp.pid);
}

/** Signal 0 checks for existence only: EPERM means it exists (another user's process), ESRCH that it is gone. */
export function pidIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return !(error && typeof error === 'object' && 'code' in error && error.code === 'ESRCH');
  }
}
