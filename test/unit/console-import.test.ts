/** The console's held imports: whose they are, what the page shows of them, and the upload limit setting. */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';
import type { ConsoleUser } from '../../src/console/auth.js';
import { type HeldImport, HeldImports, viewOf } from '../../src/console/held-import.js';
import { importPage } from '../../src/console/pages.js';
import { SessionStore } from '../../src/console/session.js';
import type { ImportPlan } from '../../src/plan/types.js';

const REQUIRED = { source_uid: 'district', ldap: { base_dn: 'dc=example,dc=org' } };
const config = parseConfig({ ...REQUIRED, state_dir: '/srv/state' }, 'a.yaml');

const ADMIN: ConsoleUser = { dn: 'uid=alice,ou=staff', username: 'alice', schools: 'all' };
const GYM1: ConsoleUser = { dn: 'uid=bob,ou=staff', username: 'bob', schools: ['gym1'] };
const RS2: ConsoleUser = { dn: 'uid=dora,ou=staff', username: 'dora', schools: ['rs2'] };

function held(owner: ConsoleUser, schools: string[], state: HeldImport['state'] = 'planned'): HeldImport {
  const plan = {
    job: 'import',
    schools,
    actions: [
      { kind: 'create', dn: 'uid=a,ou=gym1', school: 'gym1' },
      { kind: 'create', dn: 'uid=b,ou=gym1', school: 'gym1' },
      { kind: 'modify', dn: 'uid=c,ou=rs2', school: 'rs2' },
      { kind: 'create-container', dn: 'ou=gym1' },
    ],
    problems: [],
    unchanged: 7,
    safety: { removals: 0, inScope: 9, limit: 2, setting: '25%', exceeded: false },
  } as unknown as ImportPlan;
  return { owner: owner.dn, rosterName: 'r.csv', schools, plan, state, progress: { done: 3, total: 4 } };
}

describe('held imports', () => {
  it("are found only by their session and only for their owner; a school admin's only for its schools", () => {
    const store = new HeldImports(config);
    store.set('s-alice', held(ADMIN, []));
    store.set('s-bob', held(GYM1, ['gym1']));
    expect(store.get('s-alice', ADMIN)).toBeDefined();
    expect(store.get('s-alice', GYM1)).toBeUndefined();
    expect(store.get('s-bob', GYM1)).toBeDefined();
    expect(store.get('s-bob', RS2)).toBeUndefined();
    expect(store.get('s-other', ADMIN)).toBeUndefined();
    // A plan of all schools is never a school admin's, even one recorded under its DN.
    store.set('s-odd', held(GYM1, []));
    expect(store.get('s-odd', GYM1)).toBeUndefined();
  });

  it('live under state_dir in a directory named by a digest of the session id, not the id', () => {
    const dir = new HeldImports(config).directory('the-session-id');
    expect(dir.startsWith('/srv/state/console/')).toBe(true);
    expect(dir).not.toContain('the-session-id');
  });

  it('count the actions by kind and by school', () => {
    expect(viewOf(held(ADMIN, [])).counts).toEqual({
      byKind: { create: 2, modify: 1, 'create-container': 1 },
      bySchool: { gym1: { create: 2 }, rs2: { modify: 1 }, '-': { 'create-container': 1 } },
    });
  });
});

describe('the new-import page', () => {
  const frame = { user: ADMIN, csrf: 'token+/=' };

  it('while the plan is applied: refreshes itself and shows the progress, with no upload form', () => {
    const view = { held: viewOf(held(ADMIN, [], 'applying')), table: 'TABLE', schools: 'any' as const };
    const text = importPage(frame, view, 1024);
    expect(text).toContain('<meta http-equiv="refresh" content="2" />');
    expect(text.replace(/\s+/g, ' ')).toContain('running: 3 of 4 actions');
    expect(text).not.toContain('Upload and plan');
    expect(text).not.toContain('>Apply<');
  });

  it("planned: no refresh, Apply offered, the upload form's token in its address, the school admin's schools", () => {
    const view = { held: viewOf(held(GYM1, ['gym1'])), table: 'TABLE', schools: ['gym1'] };
    const text = importPage({ ...frame, user: GYM1 }, view, 2 * 1024 * 1024);
    expect(text).not.toContain('http-equiv="refresh"');
    expect(text).toContain('Apply');
    expect(text).toContain('action="/import/upload?_csrf=token%2B%2F%3D"');
    expect(text).toContain('value="gym1" checked');
    expect(text).toContain('at most 2 MiB');
  });
});

describe('console.max_upload_bytes', () => {
  it('defaults to 50 MiB and must be a positive whole number', () => {
    expect(parseConfig(REQUIRED, 'a.yaml').console.max_upload_bytes).toBe(50 * 1024 * 1024);
    expect(() => parseConfig({ ...REQUIRED, console: { max_upload_bytes: 0 } }, 'a.yaml')).toThrow(
      /console\.max_upload_bytes/,
    );
  });
});

describe('sessions ending', () => {
  it('tell the console of every session signed out or expired, once, so its held import goes too', () => {
    const ended: string[] = [];
    const store = new SessionStore(1000, (id) => ended.push(id));
    const signedOut = store.create(ADMIN, 0);
    const expired = store.create(GYM1, 0);
    store.destroy(signedOut.id);
    store.destroy(signedOut.id);
    expect(store.get(expired.id, 2000)).toBeUndefined();
    expect(ended).toEqual([signedOut.id, expired.id]);
  });
});
