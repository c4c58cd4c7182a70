import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type ManagedUser, UserImport, type UserImportContext } from '../../src/apply/user-import.js';
import { type Config, ConfigError, parseConfig } from '../../src/config/index.js';
import { ExitCode, exitCodeOf, RostersyncError } from '../../src/errors.js';
import { type HookModule, HookVetoError, Hooks, loadExtensions } from '../../src/hooks/index.js';
import { captureLogger, silentLogger } from '../support/logging.js';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/hooks/${name}`, import.meta.url));

const user: ManagedUser = {
  dn: 'uid=jdoe,ou=people,dc=example,dc=org',
  username: 'jdoe',
  recordUid: 'r1',
  sourceUid: 'district',
  schools: ['north'],
  roles: ['student'],
  attributes: {},
};

// The Hooks class only passes the context through.
const ctx = { dryRun: false } as unknown as UserImportContext;

function config(extra: Record<string, unknown> = {}): Config {
  return parseConfig({ source_uid: 'district', ldap: { base_dn: 'dc=example,dc=org' }, ...extra }, 'test');
}

async function configError(promise: Promise<unknown>): Promise<ConfigError> {
  const error = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(error).toBeInstanceOf(ConfigError);
  return error as ConfigError;
}

describe('Hooks', () => {
  it('runs pre and post hooks of every module in list order', async () => {
    const calls: string[] = [];
    const module = (name: string): HookModule => ({
      preDelete: () => void calls.push(`${name}.preDelete`),
      postDelete: async () => {
        await Promise.resolve();
        calls.push(`${name}.postDelete`);
      },
      preCreate: () => void calls.push(`${name}.preCreate`),
    });
    const hooks = new Hooks([
      { path: '/etc/rostersync/hooks/a.js', module: module('a') },
      { path: '/etc/rostersync/hooks/b.js', module: {} },
      { path: '/etc/rostersync/hooks/c.js', module: module('c') },
    ]);
    expect(hooks.size).toBe(3);
    await hooks.pre('Delete', user, ctx);
    expect(await hooks.post('Delete', user, ctx)).toEqual([]);
    await hooks.pre('Modify', user, ctx);
    expect(calls).toEqual(['a.preDelete', 'c.preDelete', 'a.postDelete', 'c.postDelete']);
  });

  it('passes the user and the context to each hook', async () => {
    const seen: unknown[] = [];
    const hooks = new Hooks([{ path: 'x.js', module: { preModify: (u, c) => void seen.push(u, c) } }]);
    await hooks.pre('Modify', user, ctx);
    expect(seen).toEqual([user, ctx]);
  });

  it('turns the first throwing pre hook into a veto and skips the later ones', async () => {
    const calls: string[] = [];
    const hooks = new Hooks([
      { path: '/hooks/first.js', module: { preDelete: () => void calls.push('first') } },
      {
        path: '/etc/rostersync/hooks/archive-before-delete.js',
        module: {
          preDelete: async () => {
            await Promise.resolve();
            throw new Error('archive.dir is not configured');
          },
        },
      },
      { path: '/hooks/third.js', module: { preDelete: () => void calls.push('third') } },
    ]);
    const error = await hooks.pre('Delete', user, ctx).catch((error: unknown) => error);
    expect(error).toBeInstanceOf(HookVetoError);
    expect(error).toBeInstanceOf(RostersyncError);
    expect((error as Error).message).toBe(
      'preDelete hook archive-before-delete.js refused uid=jdoe,ou=people,dc=example,dc=org: archive.dir is not configured',
    );
    expect((error as HookVetoError).cause).toBeInstanceOf(Error);
    expect(exitCodeOf(error)).toBe(ExitCode.failed);
    expect(calls).toEqual(['first']);
  });

  it('names a thrown non-Error value too', async () => {
    // Integrators' plain JavaScript may reject with a string.
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
    const hooks = new Hooks([{ path: 'h.js', module: { preCreate: () => Promise.reject('no thanks') } }]);
    await expect(hooks.pre('Create', user, ctx)).rejects.toThrow(
      /^preCreate hook h\.js refused .*: no thanks$/,
    );
  });

  it('collects post hook failures and still runs every post hook', async () => {
    const calls: string[] = [];
    const hooks = new Hooks([
      {
        path: '/hooks/webhook.js',
        module: {
          postDelete: () => {
            calls.push('webhook');
            throw new Error('answered 500');
          },
        },
      },
      { path: '/hooks/mail.js', module: { postDelete: () => Promise.reject(new Error('smtp down')) } },
      { path: '/hooks/log.js', module: { postDelete: () => void calls.push('log') } },
    ]);
    expect(await hooks.post('Delete', user, ctx)).toEqual([
      'postDelete hook webhook.js failed for uid=jdoe,ou=people,dc=example,dc=org: answered 500',
      'postDelete hook mail.js failed for uid=jdoe,ou=people,dc=example,dc=org: smtp down',
    ]);
    expect(calls).toEqual(['webhook', 'log']);
  });

  it('keeps only the modules that declare dryRun = true for a dry run', async () => {
    const calls: string[] = [];
    const hooks = new Hooks([
      { path: 'a.js', module: { dryRun: true, preCreate: () => void calls.push('a') } },
      { path: 'b.js', module: { preCreate: () => void calls.push('b') } },
      { path: 'c.js', module: { dryRun: false, preCreate: () => void calls.push('c') } },
    ]);
    const dry = hooks.forDryRun();
    expect(dry.size).toBe(1);
    expect(dry.paths).toEqual(['a.js']);
    await dry.pre('Create', user, ctx);
    expect(calls).toEqual(['a']);
  });

  it('does nothing without modules', async () => {
    const hooks = new Hooks();
    expect(hooks.size).toBe(0);
    await hooks.pre('Reactivate', user, ctx);
    expect(await hooks.post('Deactivate', user, ctx)).toEqual([]);
  });
});

describe('loadExtensions', () => {
  it('uses the stock UserImport and no hooks by default', async () => {
    const { userImport, hooks } = await loadExtensions(config(), silentLogger);
    expect(userImport.constructor).toBe(UserImport);
    expect(hooks.size).toBe(0);
  });

  it('accepts a subclass of UserImport as the default export', async () => {
    const { userImport } = await loadExtensions(
      config({ classes: { user_import: fixture('user-import-subclass.ts') } }),
      silentLogger,
    );
    expect(userImport).toBeInstanceOf(UserImport);
    expect((userImport as UserImport & { form: string }).form).toBe('subclass');
  });

  it('accepts a factory (Base) => class extends Base', async () => {
    const { userImport } = await loadExtensions(
      config({ classes: { user_import: fixture('user-import-factory.js') } }),
      silentLogger,
    );
    expect(userImport).toBeInstanceOf(UserImport);
    expect(userImport.constructor.name).toBe('FactoryImport');
    expect((userImport as UserImport & { form: string }).form).toBe('factory');
  });

  it('accepts the shipped move-instead-of-delete example', async () => {
    const path = fileURLToPath(new URL('../../hooks/move-instead-of-delete.js', import.meta.url));
    const { userImport } = await loadExtensions(config({ classes: { user_import: path } }), silentLogger);
    expect(userImport).toBeInstanceOf(UserImport);
    expect(Object.hasOwn(Object.getPrototypeOf(userImport) as object, 'doDelete')).toBe(true);
  });

  it.each([
    ['user-import-object.js', 'found an object'],
    ['user-import-unrelated-class.js', 'found a class NotAUserImport that does not extend UserImport'],
    ['user-import-factory-wrong.js', 'returned a number, not a subclass of UserImport'],
    ['hook-ok.js', 'found no default export'],
  ])('rejects %s as classes.user_import', async (name, expected) => {
    const error = await configError(
      loadExtensions(config({ classes: { user_import: fixture(name) } }), silentLogger),
    );
    expect(error.exitCode).toBe(ExitCode.usage);
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]?.path).toBe('classes.user_import');
    expect(error.issues[0]?.message).toContain(fixture(name));
    expect(error.issues[0]?.message).toContain(expected);
    expect(error.message).toContain('classes.user_import:');
  });

  it('reports a module that does not load (syntax error, missing file) with the key and the file', async () => {
    const broken = await configError(
      loadExtensions(config({ classes: { user_import: fixture('syntax-error.js') } }), silentLogger),
    );
    expect(broken.issues[0]?.path).toBe('classes.user_import');
    expect(broken.issues[0]?.message).toMatch(/^cannot load .*syntax-error\.js: ./);

    const missing = await configError(
      loadExtensions(config({ hooks: [fixture('hook-ok.js'), fixture('no-such-hook.js')] }), silentLogger),
    );
    expect(missing.issues).toHaveLength(1);
    expect(missing.issues[0]?.path).toBe('hooks[1]');
    expect(missing.issues[0]?.message).toContain('no-such-hook.js');
  });

  it('loads hook modules in order', async () => {
    const { logger, lines } = captureLogger();
    const paths = [fixture('hook-second.js'), fixture('hook-ok.js')];
    const { hooks } = await loadExtensions(config({ hooks: paths }), logger);
    expect(hooks.paths).toEqual(paths);
    expect(hooks.forDryRun().paths).toEqual([fixture('hook-ok.js')]);
    const log = (await lines()).join('\n');
    expect(log).toContain('hooks[0]: ');
    expect(log).toContain('preCreate, postCreate; dry run too');
  });

  it('names a misspelt hook export with a suggestion', async () => {
    const error = await configError(
      loadExtensions(config({ hooks: [fixture('hook-ok.js'), fixture('hook-typo.js')] }), silentLogger),
    );
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]?.path).toBe('hooks[1]');
    expect(error.issues[0]?.message).toContain('preDeletee is not a known hook; did you mean preDelete?');
    expect(error.message).toContain('hooks[1]:');
  });

  it('rejects a hook export that is not a function, a module without hooks, and reports every problem', async () => {
    const error = await configError(
      loadExtensions(
        config({
          classes: { user_import: fixture('user-import-object.js') },
          hooks: [fixture('hook-not-function.js'), fixture('hook-none.js'), fixture('hook-default-only.js')],
        }),
        silentLogger,
      ),
    );
    expect(error.issues.map((issue) => issue.path)).toEqual([
      'classes.user_import',
      'hooks[0]',
      'hooks[1]',
      'hooks[2]',
    ]);
    expect(error.issues[1]?.message).toContain('export preDelete must be a function');
    expect(error.issues[2]?.message).toContain('exports none of preCreate, postCreate');
    expect(error.issues[3]?.message).toContain('hooks are named exports');
  });
});
