import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { envLayers } from './env.js';
import { ConfigError, type ConfigIssue } from './errors.js';
import { readConfigFile, shippedDefaultsPath } from './files.js';
import { type ConfigLayer, mergeLayers } from './layers.js';
import { resolveLayerPaths } from './paths.js';
import type { Config } from './schema.js';
import { validateConfig } from './validate.js';

export const SYSTEM_CONFIG_PATH = '/etc/rostersync/rostersync.yaml';

/** Source named for a problem that no single layer caused (e.g. a required key nobody set). */
const NO_SOURCE = 'config';

export interface LoadConfigOptions {
  /** `--config FILE`; must exist. Relative to `cwd`. */
  configPath?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Read when no `configPath` is given and it exists. */
  systemConfigPath?: string;
}

export interface LoadedConfig {
  config: Config;
  /** Every layer that contributed, lowest first: file paths, then `env ROSTERSYNC_X`. */
  sources: string[];
}

/** Loads the layered configuration: shipped defaults < the admin's file < `ROSTERSYNC_*` env. */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<LoadedConfig> {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const issues: ConfigIssue[] = [];
  const layers: ConfigLayer[] = [];

  const addFile = async (path: string) => {
    try {
      layers.push({ source: path, baseDir: dirname(path), values: await readConfigFile(path) });
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      issues.push(...error.issues);
    }
  };

  const defaultsPath = shippedDefaultsPath();
  await addFile(defaultsPath);
  const adminFile = adminConfigPath(options, cwd);
  if (adminFile !== undefined) await addFile(adminFile);
  const fromEnv = envLayers(env, cwd);
  issues.push(...fromEnv.issues);
  layers.push(...fromEnv.layers);
  // A file that cannot be read or parsed would make every key it sets look missing: stop here.
  if (issues.length > 0) throw new ConfigError(issues);

  for (const layer of layers) issues.push(...resolveLayerPaths(layer, env));

  const merged = mergeLayers(layers);
  const fallback = adminFile ?? NO_SOURCE;
  // The shipped defaults are never the admin's mistake (e.g. `ldap.base_dn` missing under `ldap`).
  const sourceOf = (path: readonly PropertyKey[]) => {
    const source = merged.sourceAt(path, fallback);
    return source === defaultsPath ? fallback : source;
  };
  const result = validateConfig(merged.values, sourceOf);
  if (!result.ok) issues.push(...result.issues);
  if (issues.length > 0 || !result.ok) throw new ConfigError(issues);
  return { config: result.config, sources: layers.map((layer) => layer.source) };
}

function adminConfigPath(options: LoadConfigOptions, cwd: string): string | undefined {
  if (options.configPath !== undefined) return resolve(cwd, options.configPath);
  const systemPath = options.systemConfigPath ?? SYSTEM_CONFIG_PATH;
  return existsSync(systemPath) ? systemPath : undefined;
}
