/** Names for new users, unique across the base DN, as a pure function of the names in use. */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';
import { NameError } from '../../src/naming/index.js';
import { DirectoryLayout } from '../../src/directory/layout.js';
import {
  NameBook,
  NameGiver,
  reservationEntry,
  settleNames,
  type UsernameContext,
  type UsernameMaker,
} from '../../src/plan/names.js';
import type { RosterRecord } from '../../src/roster/index.js';

const config = parseConfig(
  {
    source_uid: 'sis',
    ldap: { base_dn: 'dc=example,dc=org' },
    csv: { mapping: { id: 'record_uid' } },
    scheme: {
      username: '<firstname>[0].<lastname>[COUNTER2]',
      email: '<firstname>.<lastname>[COUNTER2]@school.example',
    },
  },
  'test',
);

function record(recordUid: string, overrides: Partial<RosterRecord> = {}): RosterRecord {
  return {
    line: 2,
    recordUid,
    firstname: 'Jörg',
    lastname: 'Meier',
    schools: ['gym1'],
    roles: ['student'],
    classes: [],
    attributes: {},
    ...overrides,
  };
}

const nothingInUse = { usernames: [], emails: [], freedUsernames: [], freedEmails: [], givenEmails: [] };

describe("NameGiver with an integrator's makeUsername", () => {
  const giving = (make: (record: RosterRecord, ctx: UsernameContext) => unknown) =>
    new NameGiver(config.scheme, { ...nothingInUse, usernames: ['j.meier'] }, make as UsernameMaker);

  it('a name from the scheme, or from a template of its own, is given once and stays taken', () => {
    const giver = giving((_, ctx) => ctx.fromScheme('<firstname>.<lastname>'));
    expect(giver.give(record('A'), 'gym1').username).toBe('joerg.meier');
    expect(() => giver.give(record('B'), 'gym1')).toThrow(NameError);
    expect(giving((_, ctx) => ctx.fromScheme()).give(record('C'), 'gym1').username).toBe('j.meier2');
  });

  it('what is not a name is a NameError naming what came back', () => {
    for (const [returned, words] of [
      [Promise.resolve('x'), 'a promise'],
      [undefined, 'undefined'],
      [42, 'a number'],
      ['  ', 'an empty name'],
    ] as const) {
      expect(() => giving(() => returned).give(record('A'), 'gym1'), words).toThrow(
        new NameError(
          `makeUsername returned ${words}${words === 'a promise' ? ' (it must return the name itself)' : ''}, not a username`,
        ),
      );
    }
  });
});

describe('NameGiver', () => {
  it('counts up on collision with names in use and names given in this run', () => {
    const giver = new NameGiver(config.scheme, { ...nothingInUse, usernames: ['j.meier'] });
    expect(giver.give(record('S-1'), 'gym1')).toEqual({
      username: 'j.meier2',
      email: 'joerg.meier@school.example',
    });
    expect(giver.give(record('S-2'), 'gym1')).toEqual({
      username: 'j.meier3',
      email: 'joerg.meier2@school.example',
    });
  });

  it('gives out again what this run’s deletions free, but not addresses given to existing users', () => {
    const giver = new NameGiver(config.scheme, {
      ...nothingInUse,
      usernames: ['j.meier'],
      emails: ['joerg.meier@school.example'],
      freedUsernames: ['j.meier'],
      freedEmails: ['joerg.meier@school.example'],
      givenEmails: ['joerg.meier@school.example'],
    });
    expect(giver.give(record('S-1', { email: 'own@school.example' }), 'gym1').username).toBe('j.meier');
    expect(() => giver.give(record('S-2', { email: 'joerg.meier@school.example' }), 'gym1')).toThrow(
      NameError,
    );
  });

  it('takes a username from the roster as it is, and refuses one in use', () => {
    const giver = new NameGiver(config.scheme, { ...nothingInUse, usernames: ['taken'] });
    expect(giver.give(record('S-1', { username: 'own.name' }), 'gym1').username).toBe('own.name');
    expect(() => giver.give(record('S-2', { username: 'taken' }), 'gym1')).toThrow(/already taken/);
  });
});

/** A directory that answers lookups from its names and counts what it was asked. */
function directoryOf(names: Iterable<string>) {
  const used = new Set(names);
  const asked: string[][] = [];
  return {
    asked,
    lookUp: (batch: string[]) => {
      asked.push(batch);
      return Promise.resolve(batch.filter((name) => used.has(name)));
    },
  };
}

describe('NameBook and settleNames: the names looked up, not read whole', () => {
  const meiers = ['j.meier', ...Array.from({ length: 39 }, (_, index) => `j.meier${index + 2}`)];
  const others = Array.from({ length: 10_000 }, (_, index) => `other.user${index}`);

  /** New users' names as a run gives them: looked up first, then given from the same books. */
  async function giveLookedUp(
    records: RosterRecord[],
    usernames: ReturnType<typeof directoryOf>,
    emails: ReturnType<typeof directoryOf>,
    freed: { usernames?: string[]; emails?: string[]; given?: string[] } = {},
  ) {
    const books = [new NameBook(usernames.lookUp), new NameBook(emails.lookUp)] as const;
    const giver = () =>
      new NameGiver(config.scheme, {
        usernames: books[0],
        emails: books[1],
        freedUsernames: freed.usernames ?? [],
        freedEmails: freed.emails ?? [],
        givenEmails: freed.given ?? [],
      });
    const giveAll = (names: NameGiver) =>
      records.map((row) => {
        try {
          return names.give(row, 'gym1');
        } catch (error) {
          if (error instanceof NameError) return error.message;
          throw error;
        }
      });
    await settleNames(books, () => giveAll(giver()));
    return giveAll(giver());
  }

  it('gives what a run knowing every name gives, asking about a few of them', async () => {
    const usernames = directoryOf([...meiers, ...others]);
    const emails = directoryOf(['joerg.meier@school.example', 'joerg.meier3@school.example']);
    const records = [
      record('S-1'),
      record('S-2'),
      record('S-3', { firstname: 'Other', lastname: 'User1' }),
      record('S-4', { username: 'other.user7' }),
      record('S-5', { email: 'joerg.meier3@school.example' }),
    ];
    const given = await giveLookedUp(records, usernames, emails);

    const everyName = new NameGiver(config.scheme, {
      ...nothingInUse,
      usernames: [...meiers, ...others],
      emails: ['joerg.meier@school.example', 'joerg.meier3@school.example'],
    });
    const expected = records.map((row) => {
      try {
        return everyName.give(row, 'gym1');
      } catch (error) {
        return (error as Error).message;
      }
    });
    expect(given).toEqual(expected);
    expect(given.slice(0, 2)).toEqual([
      { username: 'j.meier41', email: 'joerg.meier2@school.example' },
      { username: 'j.meier42', email: 'joerg.meier4@school.example' },
    ]);
    // A run of 40 taken names is found in a few rounds, each asking more of the sequence ahead.
    expect(usernames.asked.length).toBeLessThanOrEqual(7);
    expect(usernames.asked.flat().length).toBeLessThan(150);
  });

  it('gives out again what the run frees, and asks nothing twice', async () => {
    const usernames = directoryOf(['j.meier']);
    const emails = directoryOf(['joerg.meier@school.example']);
    const given = await giveLookedUp([record('S-1')], usernames, emails, {
      usernames: ['j.meier'],
      emails: ['joerg.meier@school.example'],
    });
    expect(given).toEqual([{ username: 'j.meier', email: 'joerg.meier@school.example' }]);
    const asked = usernames.asked.flat();
    expect(new Set(asked).size).toBe(asked.length);
  });

  it('refuses to answer for a name never looked up, outside a trial', () => {
    const book = new NameBook(() => Promise.resolve([]));
    expect(() => book.isUsed('j.meier')).toThrow(/not looked up/);
  });
});

describe('reservationEntry', () => {
  it('keeps a username under the reservations container', () => {
    expect(
      reservationEntry(
        new DirectoryLayout(config),
        { username: 'j.meier', recordUid: 'S-1' },
        'sis',
        'purged',
      ),
    ).toEqual({
      dn: 'uid=j.meier,ou=rostersync-reserved-usernames,dc=example,dc=org',
      attributes: {
        objectClass: ['account'],
        uid: ['j.meier'],
        description: ['reserved by rostersync: username of purged user S-1 (sis)'],
      },
    });
  });
});
