/** The run lock's lease, its pure parts: the holder token, the lease names, the conflict and expiry rules. */
import { describe, expect, it } from 'vitest';
import { formatHolder, type LeaseHolder, parseHolder } from '../../src/lease/holder.js';
import { type FoundLease, type Here, isStale, judgeLease } from '../../src/lease/judge.js';
import { leaseDn, leaseName, leasesConflict, partitionOf } from '../../src/lease/partition.js';

const holder: LeaseHolder = {
  host: 'sync1.example.org',
  pid: 4242,
  runId: '20261123T060000Z-abc123',
  bootId: 'boot-1',
  since: '2026-11-23T06:00:00Z',
  nonce: 'c0ffee',
};
const value = formatHolder(holder);

const NOW = new Date('2026-11-23T06:00:30Z');
const later = new Date(NOW.getTime() + 30_000);
const earlier = new Date(NOW.getTime() - 1_000);

function lease(over: Partial<FoundLease> = {}): FoundLease {
  return {
    dn: 'cn=sis,ou=leases,ou=rostersync,dc=example,dc=org',
    holderValue: value,
    holder,
    expires: later,
    source: 'sis',
    school: undefined,
    job: 'import',
    ...over,
  };
}

function here(over: Partial<Here> = {}): Here {
  return {
    now: NOW,
    host: 'sync2.example.org',
    bootId: 'boot-2',
    pid: 1000,
    ownHolders: new Set(),
    pidIsAlive: () => true,
    ...over,
  };
}

describe('the holder token', () => {
  it('reads back what it wrote, and says who in words people read', () => {
    expect(value).toBe(
      'host=sync1.example.org pid=4242 run=20261123T060000Z-abc123 boot=boot-1 since=2026-11-23T06:00:00Z nonce=c0ffee',
    );
    expect(parseHolder(value)).toEqual(holder);
    const { bootId: _bootId, ...withoutBoot } = holder;
    expect(parseHolder(formatHolder(withoutBoot))).toEqual(withoutBoot);
  });

  it('keeps each value in its field, and refuses what it did not write', () => {
    expect(parseHolder(formatHolder({ ...holder, host: 'odd host=x' }))?.host).toBe('odd_host_x');
    for (const garbage of ['', 'locked by bob', 'host=a pid=0 run=r since=s nonce=n', 'host=a pid=1 run=r']) {
      expect(parseHolder(garbage), garbage).toBeUndefined();
    }
  });
});

describe('lease names', () => {
  it('are the source for the whole source and source/school for a school, escaped as RDN values', () => {
    expect(leaseName('sis', undefined)).toBe('sis');
    expect(leaseName('sis', 'GYM1')).toBe('sis/gym1');
    expect(leaseDn('ou=leases,ou=rostersync,dc=example,dc=org', 'a,b+c', 'gym1')).toBe(
      'cn=a\\,b\\+c/gym1,ou=leases,ou=rostersync,dc=example,dc=org',
    );
  });

  it('take each school once, case-insensitively, in one order', () => {
    expect(partitionOf(['rs2', 'GYM1', 'gym1'])).toEqual(['gym1', 'rs2']);
    expect(partitionOf([])).toEqual([]);
  });
});

describe('which leases of one source exclude each other', () => {
  it('the whole source excludes every school, and a school the whole source', () => {
    expect(leasesConflict([], undefined)).toBe(true);
    expect(leasesConflict([], 'gym1')).toBe(true);
    expect(leasesConflict(['gym1'], undefined)).toBe(true);
  });

  it('different schools run side by side; the same school does not', () => {
    expect(leasesConflict(['gym1'], 'rs2')).toBe(false);
    expect(leasesConflict(['gym1', 'rs2'], 'gs3')).toBe(false);
    expect(leasesConflict(['gym1', 'rs2'], 'RS2')).toBe(true);
  });
});

describe('judging a lease found in the directory', () => {
  it('binds while it has not run out, on another host whatever its pid', () => {
    expect(judgeLease(lease(), here())).toBe('live');
    expect(judgeLease(lease(), here({ pidIsAlive: () => false }))).toBe('live');
  });

  it("has run out once its end is not after now (this host's clock), or when it says no end", () => {
    expect(judgeLease(lease({ expires: earlier }), here())).toBe('expired');
    expect(judgeLease(lease({ expires: NOW }), here())).toBe('expired');
    expect(judgeLease(lease({ expires: undefined }), here())).toBe('expired');
    expect(isStale('expired')).toBe(true);
    expect(isStale('live')).toBe(false);
  });

  it('is taken over at once when its holder ran on this host in this boot and is gone', () => {
    const sameHost = { host: holder.host, bootId: holder.bootId };
    expect(judgeLease(lease(), here({ ...sameHost, pidIsAlive: () => false }))).toBe('holder-gone');
    expect(judgeLease(lease(), here({ ...sameHost, pidIsAlive: () => true }))).toBe('live');
    expect(isStale('holder-gone')).toBe(true);
  });

  it('cannot tell a pid on a host of the same name in another boot, or without boot ids: it waits', () => {
    const gone = { host: holder.host, pidIsAlive: () => false };
    expect(judgeLease(lease(), here({ ...gone, bootId: 'boot-other' }))).toBe('live');
    expect(judgeLease(lease(), here({ ...gone, bootId: undefined }))).toBe('live');
    const noBoot = { ...holder, bootId: undefined };
    expect(judgeLease(lease({ holder: noBoot }), here({ ...gone, bootId: 'boot-1' }))).toBe('live');
  });

  it("this process's own lease is its own; another's with this pid was an earlier process's", () => {
    const mine = here({ host: holder.host, bootId: holder.bootId, pid: holder.pid });
    expect(judgeLease(lease(), { ...mine, ownHolders: new Set([value]) })).toBe('ours');
    expect(judgeLease(lease(), mine)).toBe('holder-gone');
  });

  it('an unreadable holder binds until the lease runs out', () => {
    expect(judgeLease(lease({ holder: undefined, holderValue: 'by hand' }), here())).toBe('live');
    expect(judgeLease(lease({ holder: undefined, holderValue: undefined, expires: earlier }), here())).toBe(
      'expired',
    );
  });
});
