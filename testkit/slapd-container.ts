/**
 * The same test server as `startSlapd`, run in a container through testcontainers — for machines with a
 * Docker engine and no local slapd. Opt-in (`ROSTERSYNC_TEST_LDAP=testcontainers`); testcontainers is not a
 * dependency of the project: install it for such a run with `npm install --no-save testcontainers`.
 *
 * The container is a plain Debian image that installs Debian's slapd and runs it with the very slapd.conf
 * and schema `startSlapd` writes, so both variants are configured by one piece of code.
 */
import { Client } from 'ldapts';
import { renderSchemaFile } from '../src/schema/index.js';
import { ADMIN_PASSWORD, addBaseEntries, type SlapdServer, slapdConf } from './slapd.js';

/** The part of the testcontainers API used here (it ships its own, fuller types). */
interface StartedContainer {
  getHost(): string;
  getMappedPort(port: number): number;
  stop(): Promise<unknown>;
}
interface ContainerBuilder {
  withCopyContentToContainer(files: { content: string; target: string }[]): ContainerBuilder;
  withCommand(command: string[]): ContainerBuilder;
  withExposedPorts(...ports: number[]): ContainerBuilder;
  withStartupTimeout(ms: number): ContainerBuilder;
  start(): Promise<StartedContainer>;
}
interface TestcontainersModule {
  GenericContainer: new (image: string) => ContainerBuilder;
}

const IMAGE = 'debian:bookworm-slim';
const DIR = '/rostersync';

async function loadTestcontainers(): Promise<TestcontainersModule> {
  try {
    const name = 'testcontainers';
    return (await import(name)) as TestcontainersModule;
  } catch {
    throw new Error(
      'ROSTERSYNC_TEST_LDAP=testcontainers needs the testcontainers package: npm install --no-save testcontainers',
    );
  }
}

export async function startSlapdContainer(options: { suffix?: string } = {}): Promise<SlapdServer> {
  const { GenericContainer } = await loadTestcontainers();
  const suffix = options.suffix ?? 'dc=rostersync,dc=test';
  const adminDn = `cn=admin,${suffix}`;
  const conf = slapdConf({ dir: DIR, moduleDir: '/usr/lib/ldap', suffix, adminDn, maxSize: 1024 ** 3 });
  const container = await new GenericContainer(IMAGE)
    .withCopyContentToContainer([
      { content: conf, target: `${DIR}/slapd.conf` },
      { content: renderSchemaFile(), target: `${DIR}/rostersync.schema` },
    ])
    .withCommand([
      'sh',
      '-c',
      'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slapd >/dev/null' +
        ` && mkdir -p ${DIR}/data && exec /usr/sbin/slapd -h ldap://0.0.0.0:389/ -f ${DIR}/slapd.conf -d 0`,
    ])
    .withExposedPorts(389)
    .withStartupTimeout(300_000)
    .start();
  const url = `ldap://${container.getHost()}:${container.getMappedPort(389)}`;
  try {
    // The port is mapped before slapd is installed and listening: wait until a bind works.
    const deadline = Date.now() + 300_000;
    for (;;) {
      const client = new Client({ url, connectTimeout: 1000, timeout: 2000 });
      try {
        await client.bind(adminDn, ADMIN_PASSWORD);
        break;
      } catch (error) {
        if (Date.now() > deadline) {
          throw new Error(`slapd in the container did not answer: ${String(error)}`, { cause: error });
        }
        await new Promise((resolve) => setTimeout(resolve, 500));
      } finally {
        await client.unbind().catch(() => {});
      }
    }
    await addBaseEntries(url, adminDn, suffix);
  } catch (error) {
    await container.stop();
    throw error;
  }
  return {
    url,
    suffix,
    adminDn,
    adminPassword: ADMIN_PASSWORD,
    // Tests read the password from a file for `ldap.bind_password_file`; the caller writes one.
    adminPasswordFile: '',
    dir: DIR,
    pid: -1,
    // Tests that kill and restart a server start their own with startSlapd.
    restart: () => Promise.reject(new Error('the container server cannot be restarted')),
    setOperationalTimes: () => Promise.reject(new Error('the container server cannot be reloaded')),
    stop: async () => {
      await container.stop();
    },
  };
}
