/** The plan's envelope: what every plan says about itself, and the reader that refuses what it does not know. */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';
import { ExitCode, exitCodeOf } from '../../src/errors.js';
import { configDigest } from '../../src/plan/basis.js';
import { parsePlan } from '../../src/plan/read-plan.js';
import { PLAN_VERSION } from '../../src/plan/types.js';

const config = (over: Record<string, unknown> = {}) =>
  parseConfig(
    {
      source_uid: 'sis',
      ldap: { base_dn: 'dc=example,dc=org' },
      csv: { mapping: { id: 'record_uid' } },
      ...over,
    },
    'test',
  );

const envelope = {
  version: PLAN_VERSION,
  job: 'purge',
  sourceUid: 'sis',
  now: '2026-12-01T06:00:00.000Z',
  timezone: 'Europe/Berlin',
  basedOn: { configDigest: 'a'.repeat(64) },
  due: 0,
  skipped: [],
  problems: [],
  actions: [],
};

function refusal(text: string): string {
  try {
    parsePlan(text, 'plan.json');
  } catch (error) {
    expect(exitCodeOf(error)).toBe(ExitCode.usage);
    return (error as Error).message;
  }
  throw new Error('parsePlan accepted it');
}

describe('configDigest', () => {
  it('is the same for the same config, whatever the order of its keys, and differs when a value does', () => {
    expect(configDigest(config({ tolerate_errors: 2, timezone: 'UTC' }))).toBe(
      configDigest(config({ timezone: 'UTC', tolerate_errors: 2 })),
    );
    expect(configDigest(config({ tolerate_errors: 2 }))).not.toBe(
      configDigest(config({ tolerate_errors: 3 })),
    );
    expect(configDigest(config())).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('parsePlan', () => {
  it('reads a plan of this version', () => {
    expect(parsePlan(JSON.stringify(envelope), 'plan.json')).toEqual(envelope);
  });

  it('refuses another version, an unknown job, a plan without its basis, and what is not JSON', () => {
    expect(refusal(JSON.stringify({ ...envelope, version: 1 }))).toMatch(
      /plan\.json: plan version 1 is not one/,
    );
    expect(refusal(JSON.stringify({ ...envelope, job: 'mystery' }))).toMatch(/unknown job "mystery"/);
    expect(refusal(JSON.stringify({ ...envelope, basedOn: undefined }))).toMatch(/based on/);
    expect(refusal('{"version": 2,')).toMatch(/not a plan/);
    expect(refusal('[]')).toMatch(/not a plan/);
  });
});
