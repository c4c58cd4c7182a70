/**
 * Two test slapds replicating one suffix to each other (multi-provider syncrepl) on loopback, for tests of
 * rostersync against a replicated directory. Each is a test server as `startSlapd` makes it (mdb, ppolicy,
 * `lastbind on`, the rostersync schema and indexes) plus: its own serverID, the syncprov overlay, a
 * refreshAndPersist consumer of the other server, and `multiprovider on`, so both accept writes.
 */
import { Client } from 'ldapts';
import { ADMIN_PASSWORD, freePort, type SlapdServer, startSlapd } from './slapd.js';

export interface ReplicatedPair {
  /** serverID 1: holds the base entries first; the second receives them by replication. */
  provider1: SlapdServer;
  /** serverID 2. */
  provider2: SlapdServer;
  /** Resolves once both hold the same contextCSN, i.e. each has every change the other made. */
  waitForSync(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export interface ReplicatedPairOptions {
  suffix?: string;
}

/** The database lines that make a test server a provider and a consumer of the server at `peerUrl`. */
export function multiProviderConfig(opts: {
  peerServerId: number;
  peerUrl: string;
  suffix: string;
  adminDn: string;
}): string[] {
  return [
    // syncprov finds changes since a consumer's cookie by entryCSN; the consumer matches entries by UUID.
    'index entryCSN eq',
    [
      `syncrepl rid=${String(opts.peerServerId).padStart(3, '0')}`,
      `provider=${opts.peerUrl}`,
      'bindmethod=simple',
      `binddn="${opts.adminDn}"`,
      `credentials=${ADMIN_PASSWORD}`,
      `searchbase="${opts.suffix}"`,
      'type=refreshAndPersist',
      // The peer may not be up yet (they start one after the other), or a test may stop it: retry every second.
      'retry="1 +"',
      'network-timeout=2',
      'timeout=2',
    ].join(' '),
    'multiprovider on',
    'overlay syncprov',
  ];
}

/** The contextCSN values of a server's suffix entry, sorted (one per serverID that wrote); [] if none. */
export async function contextCsns(
  server: Pick<SlapdServer, 'url' | 'adminDn' | 'adminPassword' | 'suffix'>,
): Promise<string[]> {
  const client = new Client({ url: server.url, connectTimeout: 2000, timeout: 2000 });
  try {
    await client.bind(server.adminDn, server.adminPassword);
    const { searchEntries } = await client.search(server.suffix, {
      scope: 'base',
      attributes: ['contextCSN'],
    });
    const value = searchEntries[0]?.contextCSN ?? [];
    return (Array.isArray(value) ? value : [value]).map(String).sort();
  } finally {
    await client.unbind().catch(() => {});
  }
}

/**
 * Polls until every server holds the same, non-empty contextCSN set; throws after `timeoutMs` with the
 * values last seen, so a failure shows which side fell behind.
 */
export async function waitForSameContextCsn(
  servers: readonly Pick<SlapdServer, 'url' | 'adminDn' | 'adminPassword' | 'suffix'>[],
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let seen: string[][] = [];
  for (;;) {
    seen = await Promise.all(servers.map((server) => contextCsns(server).catch(() => [])));
    const [first = [], ...rest] = seen.map((csns) => csns.join(' '));
    if (first !== '' && rest.every((csns) => csns === first)) return;
    if (Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const lines = servers.map((server, index) => `${server.url}: ${(seen[index] ?? []).join(' ') || 'none'}`);
  throw new Error(`the servers did not converge within ${timeoutMs} ms:\n${lines.join('\n')}`);
}

/** Starts two test slapds as multi-provider replicas of one suffix; resolves once they are in sync. */
export async function startReplicatedPair(options: ReplicatedPairOptions = {}): Promise<ReplicatedPair> {
  const suffix = options.suffix ?? 'dc=rostersync,dc=test';
  const adminDn = `cn=admin,${suffix}`;
  // Both ports first: each server's config names the other's.
  const port1 = await freePort();
  let port2 = await freePort();
  while (port2 === port1) port2 = await freePort();
  const url = (port: number): string => `ldap://127.0.0.1:${port}`;
  const replica = (serverId: number, peerServerId: number, peerPort: number) => ({
    global: ['moduleload syncprov', `serverID ${serverId}`],
    database: multiProviderConfig({ peerServerId, peerUrl: url(peerPort), suffix, adminDn }),
  });

  const provider1 = await startSlapd({ suffix, port: port1, extraConfig: replica(1, 2, port2) });
  let provider2: SlapdServer | undefined;
  try {
    provider2 = await startSlapd({
      suffix,
      port: port2,
      baseEntries: false,
      extraConfig: replica(2, 1, port1),
    });
    const pair = [provider1, provider2] as const;
    await waitForSameContextCsn(pair);
    return {
      provider1,
      provider2,
      waitForSync: (timeoutMs) => waitForSameContextCsn(pair, timeoutMs),
      stop: async () => {
        await Promise.all(pair.map((server) => server.stop()));
      },
    };
  } catch (error) {
    await Promise.all([provider1.stop(), provider2?.stop()]);
    throw error;
  }
}
