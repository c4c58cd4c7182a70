/**
 * Loads integrators' code named in the configuration: the `classes.user_import` subclass and the
 * `hooks` modules (SPEC §6). Every problem is a ConfigError (exit 2), found before anything is written.
 */
import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BUILT_IN_STEPS, type RetirementStep, stepNames } from '../apply/retirement.js';
import { UserImport } from '../apply/user-import.js';
import { type Config, ConfigError, type ConfigIssue } from '../config/index.js';
import { closestKey } from '../suggest.js';
import type { Logger } from '../logging/index.js';
import { Hooks } from './hooks.js';
import { HOOK_NAMES, type HookModule, type LoadedHookModule } from './types.js';

export interface Extensions {
  userImport: UserImport;
  hooks: Hooks;
}

type UserImportClass = new () => UserImport;

/** Config layers are the source of each key; the loaded config no longer knows which, so say `config`. */
const SOURCE = 'config';

/** Exports that look like a hook (`preDeletee`, `PostCreate`) but are not one: probably a typo. */
const LOOKS_LIKE_HOOK = /^(?:pre|post)[A-Za-z]/i;

/** Loads `classes.user_import` (or the stock `UserImport`) and every module in `hooks`, in order. */
export async function loadExtensions(config: Config, logger: Logger): Promise<Extensions> {
  const issues: ConfigIssue[] = [];

  let userImport: UserImport = new UserImport();
  const classPath = config.classes.user_import;
  if (classPath !== undefined) {
    const loaded = await loadUserImportClass(classPath);
    if (typeof loaded === 'string') {
      issues.push({ source: SOURCE, path: 'classes.user_import', message: loaded });
    } else {
      try {
        userImport = new loaded();
        logger.debug(`classes.user_import: using ${loaded.name || 'an anonymous class'} from ${classPath}`, {
          module: classPath,
        });
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        issues.push({
          source: SOURCE,
          path: 'classes.user_import',
          message: `${classPath}: new ${loaded.name}() threw: ${reason}`,
        });
      }
    }
  }

  const modules: LoadedHookModule[] = [];
  for (const [index, path] of config.hooks.entries()) {
    const loaded = await loadHookModule(path);
    if (Array.isArray(loaded)) {
      for (const message of loaded) issues.push({ source: SOURCE, path: `hooks[${index}]`, message });
    } else {
      modules.push({ path, module: loaded });
      const names = HOOK_NAMES.filter((name) => typeof loaded[name] === 'function');
      logger.debug(
        `hooks[${index}]: ${path} (${names.join(', ')}${loaded.dryRun === true ? '; dry run too' : ''})`,
        {
          module: path,
        },
      );
    }
  }

  issues.push(...checkRetirementSteps(config, modules));
  if (issues.length > 0) throw new ConfigError(issues);
  return { userImport, hooks: new Hooks(modules) };
}

/** Absolute paths become file URLs; package names (and URLs) are imported as they are. */
function specifierOf(path: string): string {
  return isAbsolute(path) ? pathToFileURL(path).href : path;
}

async function importModule(path: string): Promise<Record<string, unknown> | string> {
  try {
    return (await import(specifierOf(path))) as Record<string, unknown>;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return `cannot load ${path}: ${reason}`;
  }
}

function describe(value: unknown): string {
  if (value === undefined) return 'no default export';
  if (value === null) return 'null';
  if (typeof value === 'function') {
    const name = value.name ? ` ${value.name}` : '';
    return isClass(value) ? `a class${name} that does not extend UserImport` : `a function${name}`;
  }
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function isClass(value: object): boolean {
  return /^class[\s{]/.test(Function.prototype.toString.call(value as () => unknown));
}

function extendsUserImport(value: unknown): value is UserImportClass {
  return typeof value === 'function' && (value === UserImport || value.prototype instanceof UserImport);
}

/**
 * A class whose prototype chain has a `UserImport` that is not ours: the module imported another
 * copy of rostersync (installed twice, or a build next to the sources).
 */
function extendsForeignUserImport(value: unknown): boolean {
  if (typeof value !== 'function') return false;
  for (let proto: unknown = value; typeof proto === 'function'; proto = Object.getPrototypeOf(proto)) {
    if (proto.name === 'UserImport') return true;
  }
  return false;
}

const EXPECTED_CLASS =
  'expected the default export to be a subclass of UserImport or a function (Base) => class extends Base {…}';

/**
 * The default export is either
 * - a class extending `UserImport` (`import { UserImport } from 'rostersync'`), which only works where
 *   the module can resolve the `rostersync` package, i.e. inside a project that has it installed; or
 * - a factory `(Base) => class extends Base {…}`, called with `UserImport`: it needs no import at all,
 *   so it works from anywhere, e.g. `/etc/rostersync/hooks/my-import.js`.
 *
 * Returns the class, or a message saying what is wrong.
 */
async function loadUserImportClass(path: string): Promise<UserImportClass | string> {
  const imported = await importModule(path);
  if (typeof imported === 'string') return imported;
  const exported = imported.default;
  if (extendsUserImport(exported)) return exported;
  if (extendsForeignUserImport(exported)) {
    return (
      `${path}: its default export extends a different copy of UserImport than the one running ` +
      `(is rostersync installed twice?); export a function (Base) => class extends Base {…} instead`
    );
  }
  if (typeof exported !== 'function' || isClass(exported)) {
    return `${path}: ${EXPECTED_CLASS}, found ${describe(exported)}`;
  }
  let made: unknown;
  try {
    made = (exported as (base: typeof UserImport) => unknown)(UserImport);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return `${path}: the default export was called as (Base) => class extends Base {…} and threw: ${reason}`;
  }
  if (extendsUserImport(made)) return made;
  return `${path}: the default export was called as (Base) => class extends Base {…} and returned ${describe(made)}, not a subclass of UserImport`;
}

/** Returns the module's hooks, or every problem found in it. */
async function loadHookModule(path: string): Promise<HookModule | string[]> {
  const imported = await importModule(path);
  if (typeof imported === 'string') return [imported];
  const problems: string[] = [];
  const known = new Set<string>(HOOK_NAMES);
  const module: HookModule = {};
  for (const [name, value] of Object.entries(imported)) {
    if (known.has(name)) {
      if (typeof value === 'function') {
        module[name as keyof Omit<HookModule, 'dryRun' | 'retirementSteps'>] =
          value as HookModule['preCreate'];
      } else {
        problems.push(
          `${path}: export ${name} must be a function (async (user, ctx) => …), found ${describe(value)}`,
        );
      }
    } else if (name === 'retirementSteps') {
      const steps = retirementStepsOf(value);
      if (typeof steps === 'string') problems.push(`${path}: export retirementSteps ${steps}`);
      else module.retirementSteps = steps;
    } else if (name === 'dryRun') {
      if (typeof value === 'boolean') module.dryRun = value;
      else problems.push(`${path}: export dryRun must be true or false, found ${describe(value)}`);
    } else if (LOOKS_LIKE_HOOK.test(name)) {
      const suggestion = closestKey(name, HOOK_NAMES);
      problems.push(
        `${path}: export ${name} is not a known hook` +
          (suggestion === undefined ? ` (known: ${HOOK_NAMES.join(', ')})` : `; did you mean ${suggestion}?`),
      );
    }
  }
  if (
    problems.length === 0 &&
    !HOOK_NAMES.some((name) => module[name] !== undefined) &&
    module.retirementSteps === undefined
  ) {
    const hint =
      imported.default !== undefined
        ? ' (hooks are named exports: export async function preDelete(user, ctx) …)'
        : '';
    problems.push(`${path}: exports none of ${HOOK_NAMES.join(', ')}, retirementSteps${hint}`);
  }
  return problems.length > 0 ? problems : module;
}

/** `{ X: async (user, ctx) => … }` with step names as `retirement.states` spells them; or what is wrong. */
function retirementStepsOf(value: unknown): Record<string, RetirementStep> | string {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return `must be an object { STEP: async (user, ctx) => … }, found ${describe(value)}`;
  }
  const steps: Record<string, RetirementStep> = {};
  for (const [name, step] of Object.entries(value)) {
    if (!/^[A-Z][A-Z0-9_]*$/.test(name)) return `names a step '${name}': expected an UPPER_CASE name`;
    if (typeof step !== 'function') return `${name} must be a function (async (user, ctx) => …)`;
    steps[name] = step as RetirementStep;
  }
  return steps;
}

/**
 * Every step `retirement.states` names (`RETIRING_X`) needs a function: built in (ARCHIVE, GROUPS,
 * DIRECTORY) or exported by a hook module. Checked when `purge.mode` is `retire`, before anything runs.
 */
function checkRetirementSteps(config: Config, modules: readonly LoadedHookModule[]): ConfigIssue[] {
  if (config.purge.mode !== 'retire') return [];
  const given = new Set([
    ...BUILT_IN_STEPS,
    ...modules.flatMap((loaded) => Object.keys(loaded.module.retirementSteps ?? {})),
  ]);
  return stepNames(config.retirement.states)
    .filter((step) => !given.has(step))
    .map((step) => ({
      source: SOURCE,
      path: 'retirement.states',
      message: `RETIRING_${step} has no step: export retirementSteps: { ${step}: async (user, ctx) => … } from a module in hooks`,
    }));
}
