/**
 * A lifecycle setup: a slapd of the test's own (so users can be aged offline, testkit
 * `setOperationalTimes`), users made by a real import, an SMTP sink for the warning mails, and the CLI.
 * Every date is relative to the real clock: the server compares `pwdLastSuccess` and `createTimestamp` with
 * the values it stored, and the run's `now` is the real now.
 */
import { rm } from 'node:fs/promises';
import { Attribute, Change, Client } from 'ldapts';
import { dayStartInZone, toGeneralizedTime } from '../../src/dates.js';
import {
  type OperationalTimes,
  type SlapdOptions,
  type SlapdServer,
  startSlapd,
} from '../../testkit/slapd.js';
import type { CliResult } from './cli.js';
import { type ImportFixture, importFixture, merge } from './import.js';
import { TEST_ZONE } from './real-clock.js';
import { type SmtpSink, startSmtpSink } from './smtp.js';

/** Noon (in the test zone) of the day `days` days before today, as GeneralizedTime. */
export function daysAgo(days: number, zone = TEST_ZONE): string {
  return toGeneralizedTime(new Date(dayStartInZone(new Date(), zone, -days).getTime() + 12 * 3_600_000));
}

export interface LifecycleFixture extends ImportFixture {
  server: SlapdServer;
  smtp: SmtpSink;
  /** Moves the users' (by record uid) operational times; the server restarts on the same port. */
  age(times: Record<string, OperationalTimes>): Promise<void>;
  /** `rostersync lifecycle --config …` plus `args`. */
  lifecycle(args?: string[]): Promise<CliResult>;
  /** Sets (or, with `[]`, removes) attributes of a user by record uid, as an admin would. */
  setAttributes(recordUid: string, attributes: Record<string, string[]>): Promise<void>;
  dnOf(recordUid: string): Promise<string>;
}

export async function lifecycleFixture(
  name: string,
  options: { config?: Record<string, unknown>; slapd?: SlapdOptions } = {},
): Promise<LifecycleFixture> {
  const server = await startSlapd(options.slapd);
  const smtp = await startSmtpSink();
  const base = await importFixture(name, {
    server,
    config: merge(
      { mail: { smtp: smtp.smtp(), from: 'Schul-IT <it@school.example>' } },
      options.config ?? {},
    ),
  });
  const reconnect = async () => {
    const client = new Client({ url: server.url });
    await client.bind(server.adminDn, server.adminPassword);
    const old = base.tree.client;
    base.tree.client = client;
    await old.unbind().catch(() => undefined);
  };
  const dnOf = async (recordUid: string): Promise<string> => {
    const user = await base.user(recordUid);
    if (!user) throw new Error(`no user ${recordUid}`);
    return String(user.dn);
  };
  const fixture: LifecycleFixture = {
    ...base,
    server,
    smtp,
    dnOf,
    age: async (times) => {
      const byDn: Record<string, OperationalTimes> = {};
      for (const [recordUid, values] of Object.entries(times)) byDn[await dnOf(recordUid)] = values;
      await server.setOperationalTimes(byDn);
      await reconnect();
    },
    lifecycle: (args = []) => base.run(['lifecycle', '--config', base.configPath, ...args]),
    setAttributes: async (recordUid, attributes) => {
      await base.tree.client.modify(
        await dnOf(recordUid),
        Object.entries(attributes).map(
          ([type, values]) =>
            new Change({
              operation: values.length === 0 ? 'delete' : 'replace',
              modification: new Attribute({ type, values }),
            }),
        ),
      );
    },
    dispose: async () => {
      await base.tree.client.unbind().catch(() => undefined);
      await smtp.close();
      await server.stop();
      await rm(base.dir, { recursive: true, force: true });
    },
  };
  return fixture;
}
