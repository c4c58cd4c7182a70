/**
 * `rostersync serve` (SPEC §11): the web console on Fastify. Pages and the JSON API under `/api/` share the
 * session (a signed, HttpOnly, SameSite=Strict cookie holding a random id; Secure under TLS) and the CSRF
 * check on every POST (the `_csrf` form field, or the `x-csrf-token` header for the API).
 */
import { createWriteStream } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import cookie from '@fastify/cookie';
import csrf from '@fastify/csrf-protection';
import formbody from '@fastify/formbody';
import multipart from '@fastify/multipart';
import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { type Config, ConfigError } from '../config/index.js';
import { ExitCode } from '../errors.js';
import { type Logger, registerSecret } from '../logging/index.js';
import { signIn } from './auth.js';
import { FailureLimiter, type FailureLimit } from './limiter.js';
import {
  errorPage,
  historyPage,
  importPage,
  lifecyclePage,
  overviewPage,
  type PageFrame,
  retirementPage,
  signInPage,
} from './pages.js';
import { type ActionResult, ConsoleService } from './service.js';
import { type Session, SESSION_LIFETIME_MS, SessionStore } from './session.js';
import { STYLESHEET } from './style.js';

export interface ConsoleOptions {
  config: Config;
  env: NodeJS.ProcessEnv;
  logger: Logger;
  /** Signs the cookies; read from `console.session_secret_file` by `readSessionSecret`. */
  sessionSecret: string;
  signInFailures?: FailureLimit;
  sessionLifetimeMs?: number;
}

export interface RunningConsole {
  url: string;
  close(): Promise<void>;
}

const SESSION_COOKIE = 'rostersync_session';
const MIN_SECRET_LENGTH = 32;
/** Requests per minute and client to the whole console: a runaway script, not a person. */
const REQUESTS_PER_MINUTE = 600;

declare module 'fastify' {
  interface FastifyRequest {
    consoleSession: Session | null;
  }
}

/** The session secret from `console.session_secret_file`; registered so no log line can show it. */
export async function readSessionSecret(config: Config): Promise<string> {
  const path = config.console.session_secret_file;
  const problem = (message: string) =>
    new ConfigError([{ source: 'config', path: 'console.session_secret_file', message }]);
  if (path === undefined)
    throw problem('required by rostersync serve: a file holding the secret that signs sessions');
  let secret: string;
  try {
    secret = (await readFile(path, 'utf8')).trim();
  } catch (error) {
    throw problem(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  if (secret.length < MIN_SECRET_LENGTH)
    throw problem(`${path} must hold at least ${MIN_SECRET_LENGTH} characters`);
  registerSecret(secret);
  return secret;
}

/** A form or JSON field that should be text; anything else counts as empty. */
const textOf = (value: unknown): string => (typeof value === 'string' ? value : '');
/** A run id from the query (`?run=`): the shape run ids have, else none. */
const runOf = (value: unknown): string | undefined =>
  typeof value === 'string' && /^[0-9A-Za-z-]{1,64}$/.test(value) ? value : undefined;

/** `HOST:PORT` → the parts `listen` takes; `[::1]` loses its brackets. */
export function parseListen(listen: string): { host: string; port: number } {
  const at = listen.lastIndexOf(':');
  return { host: listen.slice(0, at).replace(/^\[(.*)\]$/, '$1'), port: Number(listen.slice(at + 1)) };
}

export async function buildConsole(options: ConsoleOptions): Promise<FastifyInstance> {
  const { config, env, logger } = options;
  if (config.console.admin_group === undefined && Object.keys(config.console.school_groups).length === 0) {
    throw new ConfigError([
      {
        source: 'config',
        path: 'console.admin_group',
        message: 'rostersync serve needs console.admin_group or console.school_groups: who may sign in',
      },
    ]);
  }
  const { cert_file: certFile, key_file: keyFile } = config.console.tls;
  const tls =
    certFile !== undefined && keyFile !== undefined
      ? { cert: await readFile(certFile), key: await readFile(keyFile) }
      : undefined;
  const secure = tls !== undefined;
  const app = Fastify({
    logger: false,
    bodyLimit: 1024 * 1024,
    // Fastify types its default server as http.Server; an https.Server serves the same requests.
    serverFactory: (handler) =>
      tls === undefined ? createHttpServer(handler) : (createHttpsServer(tls, handler) as unknown as Server),
  });
  const service = new ConsoleService({ config, env, logger });
  const sessions = new SessionStore(options.sessionLifetimeMs ?? SESSION_LIFETIME_MS, (id) => {
    service.endSession(id).catch((error: unknown) => logger.warn('a held import was not removed', { error }));
  });
  const failures = new FailureLimiter(options.signInFailures);
  const cookieOptions = { httpOnly: true, sameSite: 'strict', secure, path: '/', signed: true } as const;

  await app.register(cookie, { secret: options.sessionSecret });
  await app.register(csrf, {
    sessionPlugin: '@fastify/cookie',
    cookieOpts: cookieOptions,
    // A multipart body (the roster upload) is read in the handler, after the check: its form carries the
    // token in its address instead.
    getToken: (request) =>
      textOf((request.body as { _csrf?: unknown } | undefined)?._csrf) ||
      textOf(request.headers['x-csrf-token']) ||
      textOf((request.query as { _csrf?: unknown } | undefined)?._csrf),
  });
  await app.register(formbody);
  const maxUploadBytes = config.console.max_upload_bytes;
  await app.register(multipart, {
    limits: { fileSize: maxUploadBytes, files: 1, fields: 50, fieldSize: 4096 },
    // Over the limit the file is cut short and marked truncated: the handler says so on the page.
    throwFileSizeLimit: false,
  });
  await app.register(rateLimit, { max: REQUESTS_PER_MINUTE, timeWindow: '1 minute' });
  app.decorateRequest('consoleSession', null);

  app.addHook('onRequest', async (request, reply) => {
    const raw = request.cookies[SESSION_COOKIE];
    const unsigned = raw === undefined ? undefined : request.unsignCookie(raw);
    request.consoleSession = unsigned?.valid ? (sessions.get(unsigned.value ?? undefined) ?? null) : null;
    void reply.header('cache-control', 'no-store');
    void reply.header('x-frame-options', 'DENY');
    void reply.header(
      'content-security-policy',
      "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'",
    );
    void reply.header('referrer-policy', 'no-referrer');
  });

  const isApi = (request: FastifyRequest) => request.url.startsWith('/api/');

  app.setErrorHandler((error: { statusCode?: number; code?: string; message: string }, request, reply) => {
    const status = error.statusCode ?? 500;
    let message: string;
    if (error.code?.startsWith('FST_CSRF')) {
      message =
        'The form was missing its security token or it was out of date; reload the page and try again.';
    } else if (status === 429) {
      message = 'Too many requests; wait a minute and try again.';
    } else if (status < 500) {
      message = error.message;
    } else {
      logger.error('console request failed', { url: request.url, error });
      message = 'The request failed; see the service log.';
    }
    void reply.status(status);
    if (isApi(request)) return reply.send({ error: message });
    return reply.type('text/html; charset=utf-8').send(errorPage(status, message));
  });

  /** Route guard: a valid session, else the sign-in page (pages) or 401 (API). */
  const requireSession = async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.consoleSession !== null) return;
    if (isApi(request)) return reply.status(401).send({ error: 'sign in first' });
    return reply.redirect('/sign-in', 303);
  };
  // The CSRF check reads the token from the parsed body, so it runs as a preHandler, not onRequest.
  const checkCsrf = app.csrfProtection.bind(app);
  const guarded = { preHandler: requireSession };
  const guardedWrite = { preHandler: [checkCsrf, requireSession] };

  const sessionOf = (request: FastifyRequest): Session => {
    const session = request.consoleSession;
    if (session === null) throw new Error('no session');
    return session;
  };
  const frame = (request: FastifyRequest, reply: FastifyReply): PageFrame => {
    const session = sessionOf(request);
    const notice = session.notice;
    delete session.notice;
    return { user: session.user, csrf: reply.generateCsrf(), notice };
  };
  const htmlReply = (reply: FastifyReply, body: string) => reply.type('text/html; charset=utf-8').send(body);
  /** Post/redirect/get: the outcome is shown once on the page the form came from. */
  const afterWrite = (request: FastifyRequest, reply: FastifyReply, result: ActionResult, to: string) => {
    sessionOf(request).notice = { kind: result.ok ? 'ok' : 'error', text: result.message };
    return reply.redirect(to, 303);
  };

  app.get('/console.css', (_request, reply) => reply.type('text/css; charset=utf-8').send(STYLESHEET));

  // Sign-in and sign-out.
  app.get('/sign-in', (request, reply) => {
    if (request.consoleSession !== null) return reply.redirect('/', 303);
    return htmlReply(reply, signInPage(reply.generateCsrf()));
  });
  app.post<{ Body: { username?: unknown; password?: unknown } }>(
    '/sign-in',
    { preHandler: checkCsrf },
    async (request, reply) => {
      const client = request.ip;
      const wait = failures.retryAfter(client);
      if (wait > 0) {
        void reply.status(429).header('retry-after', String(wait));
        return htmlReply(
          reply,
          signInPage(
            reply.generateCsrf(),
            `Too many failed sign-ins; try again in ${Math.ceil(wait / 60)} minutes.`,
          ),
        );
      }
      const username = typeof request.body.username === 'string' ? request.body.username.trim() : '';
      const password = typeof request.body.password === 'string' ? request.body.password : '';
      const result = await signIn(config, env, logger, username, password);
      if (!result.ok) {
        failures.fail(client);
        logger.warn('console sign-in refused', { username, reason: result.reason, client });
        void reply.status(result.reason === 'not-member' ? 403 : 401);
        const message =
          result.reason === 'not-member'
            ? 'You are not a member of the groups that may use this console.'
            : 'Wrong username or password.';
        return htmlReply(reply, signInPage(reply.generateCsrf(), message));
      }
      failures.succeed(client);
      const session = sessions.create(result.user);
      logger.info('console sign-in', { dn: result.user.dn, schools: result.user.schools, client });
      void reply.setCookie(SESSION_COOKIE, session.id, {
        ...cookieOptions,
        maxAge: Math.floor((options.sessionLifetimeMs ?? SESSION_LIFETIME_MS) / 1000),
      });
      return reply.redirect('/', 303);
    },
  );
  app.post('/sign-out', guardedWrite, (request, reply) => {
    const session = sessionOf(request);
    sessions.destroy(session.id);
    logger.info('console sign-out', { dn: session.user.dn });
    void reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.redirect('/sign-in', 303);
  });

  // Pages.
  app.get('/', guarded, async (request, reply) =>
    htmlReply(reply, overviewPage(frame(request, reply), await service.overview(sessionOf(request).user))),
  );

  // New import: upload → held plan → apply (SPEC §11). The held import is the session's own.
  /** Reads the multipart upload into the session's place; a roster over the limit is a refusal. */
  const receiveUpload = async (request: FastifyRequest): Promise<ActionResult> => {
    const session = sessionOf(request);
    if (!request.isMultipart())
      return { ok: false, exitCode: ExitCode.usage, message: 'Send the roster as multipart/form-data.' };
    if (service.importView(session.id, session.user).held?.state === 'applying')
      return {
        ok: false,
        exitCode: ExitCode.usage,
        message: 'The plan is being applied; wait until it has finished.',
      };
    const paths = await service.uploadPaths(session.id);
    const schools: string[] = [];
    let rosterName: string | undefined;
    let truncated = false;
    for await (const part of request.parts()) {
      if (part.type === 'file') {
        if (part.fieldname !== 'roster' || rosterName !== undefined) {
          part.file.resume();
          continue;
        }
        await rm(paths.roster, { force: true });
        await pipeline(part.file, createWriteStream(paths.roster, { mode: 0o600 }));
        rosterName = part.filename || 'roster.csv';
        truncated = part.file.truncated;
      } else if (part.fieldname === 'schools') {
        schools.push(...textOf(part.value).split(','));
      }
    }
    if (truncated) {
      await rm(paths.roster, { force: true });
      return {
        ok: false,
        exitCode: ExitCode.usage,
        message: `The roster is larger than the upload limit of ${maxUploadBytes} bytes (console.max_upload_bytes); nothing was planned.`,
      };
    }
    if (rosterName === undefined)
      return { ok: false, exitCode: ExitCode.usage, message: 'Choose a roster file to upload.' };
    return service.planImport(session.id, session.user, { rosterName, schools });
  };
  const planDownload = async (request: FastifyRequest, reply: FastifyReply, format: 'json' | 'ldif') => {
    const session = sessionOf(request);
    const text = await service.heldPlan(session.id, session.user, format);
    if (text === undefined)
      return reply.status(404).send(isApi(request) ? { error: 'no held plan' } : 'No held plan.');
    return reply
      .type(format === 'json' ? 'application/json; charset=utf-8' : 'text/plain; charset=utf-8')
      .header('content-disposition', `attachment; filename="plan.${format}"`)
      .send(text);
  };
  app.get('/import', guarded, (request, reply) => {
    const session = sessionOf(request);
    const view = service.importView(session.id, session.user);
    return htmlReply(reply, importPage(frame(request, reply), view, maxUploadBytes));
  });
  app.post('/import/upload', guardedWrite, async (request, reply) =>
    afterWrite(request, reply, await receiveUpload(request), '/import'),
  );
  app.post('/import/apply', guardedWrite, async (request, reply) => {
    const session = sessionOf(request);
    const result = await service.applyImport(session.id, session.user);
    // Started: the page shows the progress; a refusal is a notice.
    if (result.ok) return reply.redirect('/import', 303);
    return afterWrite(request, reply, result, '/import');
  });
  app.post('/import/plan-again', guardedWrite, async (request, reply) => {
    const session = sessionOf(request);
    return afterWrite(request, reply, await service.planAgain(session.id, session.user), '/import');
  });
  app.post('/import/discard', guardedWrite, async (request, reply) => {
    const session = sessionOf(request);
    return afterWrite(request, reply, await service.discardImport(session.id, session.user), '/import');
  });
  app.get('/import/plan.json', guarded, (request, reply) => planDownload(request, reply, 'json'));
  app.get('/import/plan.ldif', guarded, (request, reply) => planDownload(request, reply, 'ldif'));
  app.get('/lifecycle', guarded, async (request, reply) => {
    const rules = await service.lifecycle(sessionOf(request).user);
    return htmlReply(reply, lifecyclePage(frame(request, reply), rules));
  });
  app.post<{ Body: { users?: string | string[] } }>(
    '/lifecycle/keep',
    guardedWrite,
    async (request, reply) => {
      const users = request.body.users;
      const result = await service.keep(sessionOf(request).user, users === undefined ? [] : [users].flat());
      return afterWrite(request, reply, result, '/lifecycle');
    },
  );
  app.get('/retirement', guarded, async (request, reply) => {
    const users = await service.retirement(sessionOf(request).user);
    return htmlReply(reply, retirementPage(frame(request, reply), users));
  });
  app.post<{ Body: { recordUid?: unknown } }>('/retirement/retry', guardedWrite, async (request, reply) => {
    const result = await service.retry(sessionOf(request).user, textOf(request.body.recordUid));
    return afterWrite(request, reply, result, '/retirement');
  });
  app.post<{ Body: { recordUid?: unknown } }>('/retirement/abort', guardedWrite, async (request, reply) => {
    const result = await service.abort(sessionOf(request).user, textOf(request.body.recordUid));
    return afterWrite(request, reply, result, '/retirement');
  });
  app.get<{ Querystring: { run?: unknown } }>('/history', guarded, async (request, reply) => {
    const history = await service.history(sessionOf(request).user, runOf(request.query.run));
    return htmlReply(reply, historyPage(frame(request, reply), history));
  });

  // The JSON API: the same data and actions; writes need the `x-csrf-token` header from /api/session.
  app.get('/api/session', guarded, (request, reply) => {
    const { user, expiresAt } = sessionOf(request);
    return reply.send({
      user,
      expiresAt: new Date(expiresAt).toISOString(),
      csrfToken: reply.generateCsrf(),
    });
  });
  app.get('/api/overview', guarded, (request) => service.overview(sessionOf(request).user));
  app.get('/api/lifecycle', guarded, (request) => service.lifecycle(sessionOf(request).user));
  app.get('/api/retirement', guarded, (request) => service.retirement(sessionOf(request).user));
  app.get<{ Querystring: { run?: unknown } }>('/api/history', guarded, (request) =>
    service.history(sessionOf(request).user, runOf(request.query.run)),
  );
  const apiResult = (reply: FastifyReply, result: ActionResult) =>
    reply.status(result.ok ? 200 : result.exitCode === 4 ? 409 : 400).send(result);
  app.post<{ Body: { users?: unknown } }>('/api/lifecycle/keep', guardedWrite, async (request, reply) => {
    const users = Array.isArray(request.body.users)
      ? request.body.users.filter((user) => typeof user === 'string')
      : [];
    return apiResult(reply, await service.keep(sessionOf(request).user, users));
  });
  app.post<{ Body: { recordUid?: unknown } }>('/api/retirement/retry', guardedWrite, async (request, reply) =>
    apiResult(reply, await service.retry(sessionOf(request).user, textOf(request.body.recordUid))),
  );
  app.post<{ Body: { recordUid?: unknown } }>('/api/retirement/abort', guardedWrite, async (request, reply) =>
    apiResult(reply, await service.abort(sessionOf(request).user, textOf(request.body.recordUid))),
  );
  app.get('/api/import', guarded, (request) => {
    const session = sessionOf(request);
    return service.importView(session.id, session.user);
  });
  app.get('/api/import/status', guarded, (request) => {
    const session = sessionOf(request);
    const held = service.importView(session.id, session.user).held;
    return held === undefined
      ? { state: 'none' }
      : { state: held.state, progress: held.progress, ...(held.result ? { result: held.result } : {}) };
  });
  app.get<{ Querystring: { format?: unknown } }>('/api/import/plan', guarded, (request, reply) =>
    planDownload(request, reply, request.query.format === 'ldif' ? 'ldif' : 'json'),
  );
  app.post('/api/import/upload', guardedWrite, async (request, reply) => {
    const result = await receiveUpload(request);
    if (!result.ok && result.message.startsWith('The roster is larger'))
      return reply.status(413).send(result);
    return apiResult(reply, result);
  });
  app.post('/api/import/apply', guardedWrite, async (request, reply) => {
    const session = sessionOf(request);
    return apiResult(reply, await service.applyImport(session.id, session.user));
  });
  app.post('/api/import/plan-again', guardedWrite, async (request, reply) => {
    const session = sessionOf(request);
    return apiResult(reply, await service.planAgain(session.id, session.user));
  });
  app.post('/api/import/discard', guardedWrite, async (request, reply) => {
    const session = sessionOf(request);
    return apiResult(reply, await service.discardImport(session.id, session.user));
  });

  return app;
}

/** Builds the console and listens on `console.listen` (or `listen`, e.g. port 0 in tests). */
export async function startConsole(
  options: ConsoleOptions,
  listen = options.config.console.listen,
): Promise<RunningConsole> {
  const app = await buildConsole(options);
  await app.listen(parseListen(listen));
  const address = app.server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const scheme = options.config.console.tls.cert_file === undefined ? 'http' : 'https';
  return { url: `${scheme}://${host}:${address.port}`, close: () => app.close() };
}
