/**
 * The web console in a real browser (Debian's chromium through playwright-core) against the real slapd:
 * sign-in and its refusals, CSRF, Keep and retry writing to the directory, a school admin's narrower view,
 * a busy run lock, sign-out. Every write is checked on the directory itself. Saves the screenshots README
 * shows (docs/console/).
 */
import { appendFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { Attribute, Change } from 'ldapts';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { type RunningConsole, startConsole } from '../../src/console/server.js';
import { toGeneralizedTime } from '../../src/dates.js';
import { createLogger } from '../../src/logging/index.js';
import { RunLock } from '../../src/state/lock.js';
import { type ImportFixture, importFixture, type RosterRow } from '../support/import.js';

/**
 * README's screenshots are rewritten only when asked (UPDATE_SCREENSHOTS=1), so that a test run leaves the
 * checkout as it was; otherwise they go to the test's own directory.
 */
const updateScreenshots = process.env.UPDATE_SCREENSHOTS === '1';
const screenshot = (name: string) =>
  join(updateScreenshots ? join(import.meta.dirname, '../../docs/console') : fx.dir, `${name}.png`);
const PASSWORD = { alice: 'Alice-pw-7391', bob: 'Bob-pw-1844', carl: 'Carl-pw-5520' } as const;

const student = (id: string, first: string, last: string, school: string): RosterRow => ({
  id,
  first,
  last,
  schools: school,
  role: 'student',
  classes: '5a',
});
const EVA = student('S-1', 'Eva', 'Kurz', 'gym1');
const TOM = student('S-2', 'Tom', 'Lind', 'gym1');
const RIA = student('S-3', 'Ria', 'Berg', 'gym1');
const MAX = student('S-4', 'Max', 'Holm', 'rs2');
const ZOE = student('S-5', 'Zoe', 'Falk', 'rs2');

let fx: ImportFixture;
let consoleApp: RunningConsole;
let browser: Browser;
let logs: string;
let staffDn: (uid: string) => string;

async function modify(dn: string, attributes: Record<string, string[]>): Promise<void> {
  await fx.tree.client.modify(
    dn,
    Object.entries(attributes).map(
      ([type, values]) => new Change({ operation: 'replace', modification: new Attribute({ type, values }) }),
    ),
  );
}

async function dnOf(row: RosterRow): Promise<string> {
  const user = await fx.user(row.id);
  if (!user) throw new Error(`no user ${row.id}`);
  return String(user.dn);
}

/** The text of the page's notice (`status`: done, `alert`: refused or failed). */
async function textOf(page: Page, role: 'status' | 'alert'): Promise<string> {
  return ((await page.getByRole(role).textContent()) ?? '').trim();
}

async function signedIn(who: keyof typeof PASSWORD): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${consoleApp.url}/`);
  await page.getByLabel('Username').fill(who);
  await page.getByLabel('Password').fill(PASSWORD[who]);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect.poll(() => page.url()).toBe(`${consoleApp.url}/`);
  return { context, page };
}

beforeAll(async () => {
  fx = await importFixture('console', {
    config: {
      lifecycle: {
        rules: [
          { name: 'stale', trigger: 'never_logged_in', days: 365, warning_days: 14, action: 'deactivate' },
        ],
      },
      // A dry run of the rules checks the mail settings but sends nothing.
      mail: { smtp: { host: '127.0.0.1', port: 2525, starttls: false }, from: 'it@school.example' },
    },
  });
  await fx.writeRoster([EVA, TOM, RIA, MAX, ZOE]);
  expect((await fx.runImport()).code).toBe(0);

  // The people who may (or may not) use the console, and its groups.
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
  await writeFile(secretFile, 'a-test-session-secret-of-at-least-32-characters\n', { mode: 0o600 });
  await fx.editConfig({
    console: {
      admin_group: `cn=console-admins,${staff}`,
      school_groups: { gym1: `cn=gym1-admins,${staff}` },
      session_secret_file: secretFile,
    },
  });

  // Warned by the rule just now, after they were made (gym1 and rs2); in retirement and failed (gym1 and rs2).
  const warning = {
    rostersyncWarningTimestamp: [toGeneralizedTime(new Date())],
    rostersyncWarningRule: ['stale'],
  };
  await modify(await dnOf(EVA), warning);
  await modify(await dnOf(MAX), warning);
  const failed = {
    rostersyncRetirementState: ['ERRORED'],
    rostersyncRetirementError: ['archive.dir is full'],
  };
  await modify(await dnOf(RIA), failed);
  await modify(await dnOf(ZOE), failed);

  const { config } = await loadConfig({ configPath: fx.configPath, env: {}, cwd: fx.dir });
  const stream = new PassThrough();
  logs = '';
  stream.on('data', (chunk: Buffer) => (logs += chunk.toString('utf8')));
  const logger = createLogger({ level: 'debug', format: 'json', stream });
  consoleApp = await startConsole(
    { config, env: {}, logger, sessionSecret: 'a-test-session-secret-of-at-least-32-characters' },
    '127.0.0.1:0',
  );
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
});

afterAll(async () => {
  await browser?.close();
  await consoleApp?.close();
  await fx?.dispose();
});

describe('web console', () => {
  it('signs in an admin by LDAP bind and shows the overview; the session cookie is HttpOnly and Strict', async () => {
    const { context, page } = await signedIn('alice');
    await expect.poll(() => page.getByRole('heading', { name: 'Overview' }).isVisible()).toBe(true);
    expect(await page.locator('header .who').textContent()).toContain('alice · all schools');
    expect(await page.getByRole('cell', { name: 'import', exact: true }).isVisible()).toBe(true);
    const cookie = (await context.cookies()).find((c) => c.name === 'rostersync_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    expect(cookie?.expires).toBeGreaterThan(Date.now() / 1000);
    await page.screenshot({ path: screenshot('overview'), fullPage: true });
    await context.close();
  });

  it('refuses a wrong password, a non-member, and an LDAP filter in the username', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const attempt = async (username: string, password: string) => {
      await page.goto(`${consoleApp.url}/sign-in`);
      await page.getByLabel('Username').fill(username);
      await page.getByLabel('Password').fill(password);
      const [response] = await Promise.all([
        page.waitForResponse((r) => r.url().endsWith('/sign-in') && r.request().method() === 'POST'),
        page.getByRole('button', { name: 'Sign in' }).click(),
      ]);
      return { status: response.status(), text: await textOf(page, 'alert') };
    };
    expect(await attempt('alice', 'wrong')).toEqual({ status: 401, text: 'Wrong username or password.' });
    expect(await attempt('carl', PASSWORD.carl)).toEqual({
      status: 403,
      text: 'You are not a member of the groups that may use this console.',
    });
    // As filters these would match alice; escaped, they are names no one has.
    expect((await attempt('*', PASSWORD.alice)).status).toBe(401);
    expect((await attempt('alice)(uid=*', PASSWORD.alice)).status).toBe(401);
    expect((await context.cookies()).some((c) => c.name === 'rostersync_session')).toBe(false);
    // Nothing secret in the log: no password typed above, no session secret.
    for (const secret of [...Object.values(PASSWORD), 'a-test-session-secret'])
      expect(logs).not.toContain(secret);
    await context.close();
  });

  it('refuses a forged POST without a CSRF token, for the page form and the API', async () => {
    const { context } = await signedIn('alice');
    const form = await context.request.post(`${consoleApp.url}/lifecycle/keep`, {
      form: { users: 'e.kurz' },
      maxRedirects: 0,
    });
    expect(form.status()).toBe(403);
    const api = await context.request.post(`${consoleApp.url}/api/lifecycle/keep`, {
      data: { users: ['e.kurz'] },
    });
    expect(api.status()).toBe(403);
    expect((await fx.user(EVA.id))?.rostersyncWarningRule).toBe('stale');
    await context.close();
  });

  it('Keep on a warned user lifts the warning in the directory, and the audit line names the console user', async () => {
    const { context, page } = await signedIn('alice');
    await page.getByRole('link', { name: 'Lifecycle' }).click();
    const warned = page.locator('section', { hasText: 'stale' }).locator('h3:has-text("Warned") + table');
    expect(await warned.getByRole('row').filter({ hasText: 'e.kurz' }).count()).toBe(1);
    await page.screenshot({ path: screenshot('lifecycle'), fullPage: true });
    await warned.getByRole('row').filter({ hasText: 'e.kurz' }).getByRole('checkbox').check();
    await page.getByRole('button', { name: 'Keep selected users' }).click();
    expect(await textOf(page, 'status')).toBe('Kept 1 user: e.kurz.');
    const eva = await fx.user(EVA.id);
    expect(eva?.rostersyncWarningTimestamp).toBeUndefined();
    expect(eva?.rostersyncWarningRule).toBeUndefined();
    expect(eva?.rostersyncKeptTimestamp).toMatch(/^\d{14}Z$/);
    const lines = (await fx.auditLines()).filter((line) => line.dn === eva?.dn);
    const keep = lines.filter((line) => 'rostersyncKeptTimestamp' in (line.attributes as object));
    expect(keep).toHaveLength(1);
    expect(keep[0]?.actor).toBe(staffDn('alice'));
    // The import's lines were the service's own: no actor.
    expect(lines.find((line) => line.action === 'add')?.actor).toBeUndefined();
    await context.close();
  });

  it('retry on an ERRORED retirement sets the state of the step it failed in', async () => {
    const ria = await dnOf(RIA);
    // The audit log shows the step Ria was in when it failed.
    await appendFile(
      join(fx.stateDir, 'audit.jsonl'),
      `${JSON.stringify({ time: new Date().toISOString(), runId: 'earlier', action: 'modify', dn: ria, attributes: { rostersyncRetirementState: ['RETIRING_GROUPS'] }, result: 'ok' })}\n`,
    );
    const { context, page } = await signedIn('alice');
    await page.getByRole('link', { name: 'Retirement' }).click();
    expect(await page.getByRole('row').filter({ hasText: 'archive.dir is full' }).count()).toBe(2);
    await page.screenshot({ path: screenshot('retirement'), fullPage: true });
    await page.getByRole('button', { name: 'Retry r.berg' }).click();
    expect(await textOf(page, 'status')).toBe('r.berg: ERRORED → RETIRING_GROUPS.');
    const after = await fx.user(RIA.id);
    expect(after?.rostersyncRetirementState).toBe('RETIRING_GROUPS');
    expect(after?.rostersyncRetirementError).toBeUndefined();
    // Zoe, with nothing in the audit log, would go back to the first step; Abort stops her.
    await page.getByRole('button', { name: 'Abort z.falk' }).click();
    expect((await fx.user(ZOE.id))?.rostersyncRetirementState).toBe('ABORTED');
    await page.getByRole('link', { name: 'History' }).click();
    expect(
      await page
        .getByRole('row')
        .filter({ hasText: staffDn('alice') })
        .count(),
    ).toBeGreaterThan(0);
    await page.screenshot({ path: screenshot('history') });
    // Past runs with their summaries, newest first: the imports that made the users are among them.
    expect(
      await page.getByRole('row').filter({ hasText: 'import' }).filter({ hasText: 'create' }).count(),
    ).toBeGreaterThan(0);
    const allLines = await page.getByRole('row').count();
    // Each run opens its own audit lines: the newest is Zoe's abort, by alice.
    await page.getByRole('link', { name: 'audit lines' }).first().click();
    expect(await page.getByRole('heading', { name: /Audit lines of run/ }).count()).toBe(1);
    expect(await page.getByRole('row').filter({ hasText: 'shown below' }).count()).toBe(1);
    const runLines = page.getByRole('row').filter({ hasText: staffDn('alice') });
    expect(await runLines.count()).toBeGreaterThan(0);
    expect(await page.getByRole('row').count()).toBeLessThan(allLines);
    expect(await page.getByRole('row').filter({ hasText: 'RETIRING_GROUPS' }).count()).toBe(0);
    await context.close();
  });

  it("a school admin sees and acts only on its school's users", async () => {
    const { context, page } = await signedIn('bob');
    expect(await page.locator('header .who').textContent()).toContain('bob · school gym1');
    await page.getByRole('link', { name: 'Lifecycle' }).click();
    const lifecycle = (await page.locator('main').textContent()) ?? '';
    expect(lifecycle).toContain('t.lind');
    expect(lifecycle).not.toContain('m.holm');
    await page.getByRole('link', { name: 'Retirement' }).click();
    const retirement = (await page.locator('main').textContent()) ?? '';
    expect(retirement).toContain('r.berg');
    expect(retirement).not.toContain('z.falk');
    // Through the API, with a valid CSRF token: Max (rs2) cannot be kept.
    const session = await context.request.get(`${consoleApp.url}/api/session`);
    const { csrfToken } = (await session.json()) as { csrfToken: string };
    const keep = await context.request.post(`${consoleApp.url}/api/lifecycle/keep`, {
      data: { users: ['m.holm'] },
      headers: { 'x-csrf-token': csrfToken },
    });
    expect(keep.status()).toBe(400);
    expect((await fx.user(MAX.id))?.rostersyncWarningRule).toBe('stale');
    await context.close();
  });

  it('a busy run lock is a message on the page, and nothing is written', async () => {
    const { config } = await loadConfig({ configPath: fx.configPath, env: {}, cwd: fx.dir });
    const lock = await RunLock.acquire(
      config,
      'import',
      createLogger({ level: 'error', format: 'json', stream: new PassThrough() }),
      'held',
    );
    try {
      const { context, page } = await signedIn('alice');
      await page.getByRole('link', { name: 'Lifecycle' }).click();
      const warned = page.locator('h3:has-text("Warned") + table');
      await warned.getByRole('row').filter({ hasText: 'm.holm' }).getByRole('checkbox').check();
      await page.getByRole('button', { name: 'Keep selected users' }).click();
      expect(page.url()).toBe(`${consoleApp.url}/lifecycle`);
      expect(await textOf(page, 'alert')).toMatch(/^Another run is going on \(another run holds the lock/);
      expect((await fx.user(MAX.id))?.rostersyncWarningRule).toBe('stale');
      await context.close();
    } finally {
      await lock.release();
    }
  });

  it('blocks an address after too many failed sign-ins, even with the right password then', async () => {
    const { config } = await loadConfig({ configPath: fx.configPath, env: {}, cwd: fx.dir });
    const strict = await startConsole(
      {
        config,
        env: {},
        logger: createLogger({ level: 'error', format: 'json', stream: new PassThrough() }),
        sessionSecret: 'another-test-session-secret-of-32-characters',
        signInFailures: { max: 2, windowMs: 60_000 },
      },
      '127.0.0.1:0',
    );
    try {
      const form = await fetch(`${strict.url}/sign-in`);
      const cookie = (form.headers.getSetCookie()[0] ?? '').split(';')[0] ?? '';
      const token = /name="_csrf" value="([^"]+)"/.exec(await form.text())?.[1] ?? '';
      const attempt = (password: string) =>
        fetch(`${strict.url}/sign-in`, {
          method: 'POST',
          redirect: 'manual',
          headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ _csrf: token, username: 'alice', password }).toString(),
        });
      expect((await attempt('wrong')).status).toBe(401);
      expect((await attempt('wrong')).status).toBe(401);
      const blocked = await attempt(PASSWORD.alice);
      expect(blocked.status).toBe(429);
      expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    } finally {
      await strict.close();
    }
  });

  it('sign-out ends the session: the old cookie no longer opens a page', async () => {
    const { context, page } = await signedIn('alice');
    const cookie = (await context.cookies()).find((c) => c.name === 'rostersync_session');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect.poll(() => page.url()).toBe(`${consoleApp.url}/sign-in`);
    const replay = await fetch(`${consoleApp.url}/api/overview`, {
      headers: { cookie: `rostersync_session=${cookie?.value ?? ''}` },
    });
    expect(replay.status).toBe(401);
    await context.close();
  });
});
