/**
 * The console's new import in a real browser (Debian's chromium through playwright-core) against the real
 * slapd: upload → held plan → Apply, checked on the directory (users made, binding with their initial
 * passwords); a stale plan refused with nothing written and planned again; a school admin held to its school
 * and to its own plans; the upload limit; CSRF on the import's writes. Saves README's screenshot of the page.
 */
import { readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { Attribute, Change } from 'ldapts';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Config, loadConfig } from '../../src/config/index.js';
import { type RunningConsole, startConsole } from '../../src/console/server.js';
import { toGeneralizedTime } from '../../src/dates.js';
import { createLogger } from '../../src/logging/index.js';
import { RunLock } from '../../src/state/lock.js';
import { type ImportFixture, importFixture, rosterCsv, type RosterRow } from '../support/import.js';

const updateScreenshots = process.env.UPDATE_SCREENSHOTS === '1';
const screenshot = (name: string) =>
  join(updateScreenshots ? join(import.meta.dirname, '../../docs/console') : fx.dir, `${name}.png`);
const PASSWORD = { alice: 'Alice-pw-7391', bob: 'Bob-pw-1844' } as const;
const SECRET = 'a-test-session-secret-of-at-least-32-characters';

const student = (id: string, first: string, last: string, school: string): RosterRow => ({
  id,
  first,
  last,
  schools: school,
  role: 'student',
  classes: '5a',
});
const EVA = student('S-1', 'Eva', 'Kurz', 'gym1');
const MAX = student('S-2', 'Max', 'Holm', 'rs2');
const NINA = student('S-3', 'Nina', 'Vogt', 'gym1');
const OLE = student('S-4', 'Ole', 'Prinz', 'rs2');
const PIA = student('S-5', 'Pia', 'Roth', 'gym1');
const UDO = student('S-6', 'Udo', 'Sand', 'rs2');

let fx: ImportFixture;
let config: Config;
let consoleApp: RunningConsole;
let browser: Browser;
let staffDn: (uid: string) => string;

const quietLogger = () => createLogger({ level: 'error', format: 'json', stream: new PassThrough() });

async function signedIn(
  who: keyof typeof PASSWORD,
  app: RunningConsole = consoleApp,
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${app.url}/sign-in`);
  await page.getByLabel('Username').fill(who);
  await page.getByLabel('Password').fill(PASSWORD[who]);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect.poll(() => page.url()).toBe(`${app.url}/`);
  return { context, page };
}

/** Writes a roster file of the test's own and uploads it on the new-import page. */
async function upload(page: Page, name: string, rows: RosterRow[], app: RunningConsole = consoleApp) {
  const path = join(fx.dir, name);
  await writeFile(path, rosterCsv(rows));
  await page.goto(`${app.url}/import`);
  await page.getByLabel(/^Roster/).setInputFiles(path);
  await page.getByRole('button', { name: 'Upload and plan' }).click();
}

async function stateOf(page: Page): Promise<string> {
  return (await page.locator('[data-state]').getAttribute('data-state')) ?? '';
}

/** Applies the plan shown and waits until the page (which refreshes itself meanwhile) shows the end. */
async function applyShown(page: Page): Promise<string> {
  await page.getByRole('button', { name: 'Apply' }).click();
  await expect.poll(() => stateOf(page), { timeout: 20_000 }).not.toBe('applying');
  return stateOf(page);
}

async function apiToken(context: BrowserContext): Promise<string> {
  const session = await context.request.get(`${consoleApp.url}/api/session`);
  return ((await session.json()) as { csrfToken: string }).csrfToken;
}

beforeAll(async () => {
  fx = await importFixture('console-import', { config: { daemon: { schedules: { purge: '30 3 * * *' } } } });
  await fx.writeRoster([EVA, MAX]);
  expect((await fx.runImport()).code).toBe(0);

  const { baseDn } = fx.tree;
  const staff = `ou=staff,${baseDn}`;
  staffDn = (uid) => `uid=${uid},${staff}`;
  await fx.tree.client.add(staff, { objectClass: 'organizationalUnit', ou: 'staff' });
  for (const [uid, password] of Object.entries(PASSWORD)) {
    await fx.tree.client.add(staffDn(uid), {
      objectClass: 'inetOrgPerson',
      uid,
      cn: uid,
      sn: uid,
      userPassword: password,
    });
  }
  await fx.tree.client.add(`cn=console-admins,${staff}`, {
    objectClass: 'groupOfNames',
    cn: 'console-admins',
    member: staffDn('alice'),
  });
  await fx.tree.client.add(`cn=gym1-admins,${staff}`, {
    objectClass: 'groupOfNames',
    cn: 'gym1-admins',
    member: staffDn('bob'),
  });
  const secretFile = join(fx.dir, 'console-secret');
  await writeFile(secretFile, `${SECRET}\n`, { mode: 0o600 });
  await fx.editConfig({
    console: {
      admin_group: `cn=console-admins,${staff}`,
      school_groups: { gym1: `cn=gym1-admins,${staff}` },
      session_secret_file: secretFile,
    },
  });
  ({ config } = await loadConfig({ configPath: fx.configPath, env: {}, cwd: fx.dir }));
  consoleApp = await startConsole(
    { config, env: {}, logger: quietLogger(), sessionSecret: SECRET },
    '127.0.0.1:0',
  );
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
});

afterAll(async () => {
  await browser?.close();
  await consoleApp?.close();
  await fx?.dispose();
});

describe('web console: new import', () => {
  it('uploads a roster, shows its held plan, and Apply creates the users, who bind with their initial passwords', async () => {
    const { context, page } = await signedIn('alice');
    await upload(page, 'new-students.csv', [EVA, MAX, NINA, OLE]);
    expect(await stateOf(page)).toBe('planned');
    const main = (await page.locator('main').textContent()) ?? '';
    expect(main).toContain('Plan of new-students.csv');
    expect(main).toContain('within the limit');
    expect(await page.locator('pre.plan').textContent()).toContain('n.vogt');
    // The upload's place on the server is not in the page.
    expect(await page.content()).not.toContain(fx.stateDir);
    await page.screenshot({ path: screenshot('import'), fullPage: true });

    // The held plan, as the CLI would have written it; kept 0600 in the session's place.
    const download = await context.request.get(`${consoleApp.url}/import/plan.json`);
    const plan = (await download.json()) as { job: string; actions: { kind: string; dn: string }[] };
    expect(plan.job).toBe('import');
    expect(plan.actions.filter((action) => action.kind === 'create')).toHaveLength(2);
    expect(
      (await context.request.get(`${consoleApp.url}/import/plan.ldif`)).headers()['content-disposition'],
    ).toContain('plan.ldif');
    const held = await context.request.get(`${consoleApp.url}/api/import`);
    expect(((await held.json()) as { held: { state: string } }).held.state).toBe('planned');

    expect(await applyShown(page)).toBe('applied');
    expect(await page.getByRole('status').first().textContent()).toMatch(/Applied: \d+ actions? done\./);
    // The progress counted every action of the plan, on the page and in the API.
    const total = plan.actions.length;
    expect(await page.getByRole('progressbar').innerText()).toBe(`${total} of ${total} actions`);
    const status = await context.request.get(`${consoleApp.url}/api/import/status`);
    expect(await status.json()).toMatchObject({ state: 'applied', progress: { done: total, total } });
    const passwords = await fx.passwords();
    for (const row of [NINA, OLE]) {
      const user = await fx.user(row.id);
      expect(user).toBeDefined();
      const password = passwords.get(String(user?.uid));
      expect(password).toBeDefined();
      expect(await fx.canBind(String(user?.dn), password ?? '')).toBe(true);
    }
    // The audit log names the console user.
    const created = (await fx.auditLines()).filter(
      (line) => line.action === 'add' && String(line.dn).includes('vogt'),
    );
    expect(created[0]?.actor).toBe(staffDn('alice'));
    // Applying it again is refused: a held plan applies once.
    const token = await apiToken(context);
    const again = await context.request.post(`${consoleApp.url}/api/import/apply`, {
      headers: { 'x-csrf-token': token },
      data: {},
    });
    expect(again.status()).toBe(400);
    await context.close();
  });

  it('a plan whose entry was edited by hand since is refused as stale, nothing written; Plan again applies', async () => {
    const { context, page } = await signedIn('alice');
    const renamed = { ...EVA, last: 'Kurz-Lang' };
    await upload(page, 'renamed.csv', [renamed, MAX, NINA, OLE]);
    expect(await stateOf(page)).toBe('planned');
    const eva = await fx.user(EVA.id);
    // Someone edits the entry the plan touches between plan and apply.
    await fx.tree.client.modify(String(eva?.dn), [
      new Change({
        operation: 'replace',
        modification: new Attribute({ type: 'description', values: ['edited by hand'] }),
      }),
    ]);
    expect(await applyShown(page)).toBe('stale');
    expect(await page.getByRole('alert').textContent()).toContain(
      'The directory changed since this plan was made',
    );
    expect((await fx.user(EVA.id))?.sn).toBe('Kurz');

    await page.getByRole('button', { name: 'Plan again' }).click();
    expect(await stateOf(page)).toBe('planned');
    expect(await applyShown(page)).toBe('applied');
    expect((await fx.user(EVA.id))?.sn).toBe('Kurz-Lang');
    await context.close();
  });

  it("a school admin plans only for its school and can neither see nor apply another user's plan", async () => {
    const alice = await signedIn('alice');
    await upload(alice.page, 'alice.csv', [EVA, MAX, NINA, OLE, PIA, UDO]);
    expect(await stateOf(alice.page)).toBe('planned');

    const { context, page } = await signedIn('bob');
    // Alice's plan is not bob's: none to see, download or apply.
    await page.goto(`${consoleApp.url}/import`);
    expect(await page.locator('[data-state]').count()).toBe(0);
    expect((await context.request.get(`${consoleApp.url}/import/plan.json`)).status()).toBe(404);
    const token = await apiToken(context);
    const apply = await context.request.post(`${consoleApp.url}/api/import/apply`, {
      headers: { 'x-csrf-token': token },
      data: {},
    });
    expect(apply.status()).toBe(400);
    expect(await fx.user(PIA.id)).toBeUndefined();
    // Choosing another school is refused.
    const foreign = await context.request.post(`${consoleApp.url}/api/import/upload`, {
      headers: { 'x-csrf-token': token },
      multipart: {
        schools: 'rs2',
        roster: { name: 'bob.csv', mimeType: 'text/csv', buffer: Buffer.from(rosterCsv([PIA, UDO])) },
      },
    });
    expect(foreign.status()).toBe(400);

    // Bob's own plan of the same roster touches gym1 only.
    await upload(page, 'bob.csv', [EVA, MAX, NINA, OLE, PIA, UDO]);
    expect(await stateOf(page)).toBe('planned');
    const plan = (await (await context.request.get(`${consoleApp.url}/import/plan.json`)).json()) as {
      schools: string[];
      actions: { school?: string; dn: string }[];
    };
    expect(plan.schools).toEqual(['gym1']);
    expect(plan.actions.length).toBeGreaterThan(0);
    for (const action of plan.actions) expect(action.dn.toLowerCase()).not.toContain('rs2');
    expect(await applyShown(page)).toBe('applied');
    expect(await fx.user(PIA.id)).toBeDefined();
    expect(await fx.user(UDO.id)).toBeUndefined();
    // Alice's plan is still hers, as she left it.
    await alice.page.goto(`${consoleApp.url}/import`);
    expect(await stateOf(alice.page)).toBe('planned');
    await alice.context.close();
    await context.close();
  });

  it('a busy run lock is a message on the page, nothing is written, and the plan can be applied later', async () => {
    const { context, page } = await signedIn('alice');
    const VERA = student('S-7', 'Vera', 'Wolf', 'gym1');
    await upload(page, 'locked.csv', [EVA, MAX, NINA, OLE, PIA, VERA]);
    const lock = await RunLock.acquire(config, 'purge', quietLogger(), 'held');
    try {
      expect(await applyShown(page)).toBe('planned');
      expect(await page.getByRole('alert').textContent()).toMatch(/Another run is going on/);
      expect(await fx.user(VERA.id)).toBeUndefined();
    } finally {
      await lock.release();
    }
    expect(await applyShown(page)).toBe('applied');
    expect(await fx.user(VERA.id)).toBeDefined();
    await context.close();
  });

  it('keeps the session files private: a 0700 directory and 0600 files under state_dir, gone at sign-out', async () => {
    const { context, page } = await signedIn('alice');
    await upload(page, 'private.csv', [EVA, MAX]);
    const root = join(fx.stateDir, 'console');
    const before = await readdir(root);
    for (const name of before) {
      expect((await stat(join(root, name))).mode & 0o777).toBe(0o700);
      for (const file of await readdir(join(root, name)))
        expect((await stat(join(root, name, file))).mode & 0o777).toBe(0o600);
    }
    // Signing out removes the session's place with its upload and plan.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect.poll(async () => (await readdir(root)).length).toBe(before.length - 1);
    await context.close();
  });

  it('a roster over console.max_upload_bytes is a message on the page, and a 413 from the API', async () => {
    const small = await startConsole(
      {
        config: { ...config, console: { ...config.console, max_upload_bytes: 200 } },
        env: {},
        logger: quietLogger(),
        sessionSecret: SECRET,
      },
      '127.0.0.1:0',
    );
    try {
      const { context, page } = await signedIn('alice', small);
      const rows = Array.from({ length: 20 }, (_, index) =>
        student(`L-${index}`, 'Lena', `Lang${index}`, 'gym1'),
      );
      await upload(page, 'large.csv', rows, small);
      expect(page.url()).toBe(`${small.url}/import`);
      expect(await page.getByRole('alert').textContent()).toContain(
        'The roster is larger than the upload limit of 200 bytes (console.max_upload_bytes); nothing was planned.',
      );
      const session = await context.request.get(`${small.url}/api/session`);
      const { csrfToken } = (await session.json()) as { csrfToken: string };
      const api = await context.request.post(`${small.url}/api/import/upload`, {
        headers: { 'x-csrf-token': csrfToken },
        multipart: {
          roster: { name: 'large.csv', mimeType: 'text/csv', buffer: Buffer.from(rosterCsv(rows)) },
        },
      });
      expect(api.status()).toBe(413);
      expect(await fx.user('L-0')).toBeUndefined();
      await context.close();
    } finally {
      await small.close();
    }
  });

  it('refuses forged POSTs without a CSRF token to the import endpoints', async () => {
    const { context, page } = await signedIn('alice');
    await upload(page, 'forged.csv', [EVA, MAX, { ...PIA, id: 'S-9', first: 'Fay' }]);
    expect(await stateOf(page)).toBe('planned');
    const roster = { name: 'x.csv', mimeType: 'text/csv', buffer: Buffer.from(rosterCsv([EVA])) };
    for (const path of ['/import/upload', '/api/import/upload']) {
      const response = await context.request.post(`${consoleApp.url}${path}`, {
        multipart: { roster },
        maxRedirects: 0,
      });
      expect(response.status()).toBe(403);
    }
    for (const path of ['/import/apply', '/import/plan-again', '/import/discard']) {
      const response = await context.request.post(`${consoleApp.url}${path}`, { form: {}, maxRedirects: 0 });
      expect(response.status()).toBe(403);
    }
    for (const path of ['/api/import/apply', '/api/import/plan-again', '/api/import/discard']) {
      const response = await context.request.post(`${consoleApp.url}${path}`, { data: {} });
      expect(response.status()).toBe(403);
    }
    await page.goto(`${consoleApp.url}/import`);
    expect(await stateOf(page)).toBe('planned');
    expect(await fx.user('S-9')).toBeUndefined();
    await context.close();
  });

  it("the overview shows the pending warnings and deletions (of the user's schools) and the next schedule times", async () => {
    const later = toGeneralizedTime(new Date(Date.now() + 7 * 86_400_000));
    const replace = (type: string, value: string) =>
      new Change({ operation: 'replace', modification: new Attribute({ type, values: [value] }) });
    await fx.tree.client.modify(String((await fx.user(EVA.id))?.dn), [
      replace('rostersyncWarningTimestamp', toGeneralizedTime(new Date())),
    ]);
    await fx.tree.client.modify(String((await fx.user(MAX.id))?.dn), [
      replace('rostersyncPurgeTimestamp', later),
    ]);
    const bob = await signedIn('bob');
    const bobs = (await (await bob.context.request.get(`${consoleApp.url}/api/overview`)).json()) as {
      pending: unknown;
    };
    expect(bobs.pending).toEqual({ warnings: 1, deletions: 0 });
    await bob.context.close();

    const { context, page } = await signedIn('alice');
    const overview = (await (await context.request.get(`${consoleApp.url}/api/overview`)).json()) as {
      pending: { warnings: number; deletions: number };
      nextRuns: Record<string, string>;
    };
    expect(overview.pending).toEqual({ warnings: 1, deletions: 1 });
    expect(await page.locator('[data-pending="warnings"]').textContent()).toBe('1');
    expect(await page.locator('[data-pending="deletions"]').textContent()).toBe('1');
    // The next 03:30 in the config's time zone: within a day from now.
    const next = Date.parse(overview.nextRuns.purge ?? '');
    expect(next).toBeGreaterThan(Date.now());
    expect(next - Date.now()).toBeLessThanOrEqual(25 * 3_600_000);
    expect((await page.locator('main').textContent()) ?? '').toContain(overview.nextRuns.purge);
    await context.close();
  });
});
