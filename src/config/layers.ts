/** Layered config values: objects deep-merge, arrays and scalars replace, `null` removes a key. */

export type RawObject = Record<string, unknown>;

/** One layer of raw values and where it came from. */
export interface ConfigLayer {
  /** The file path, or `env ROSTERSYNC_X` for one environment variable. */
  source: string;
  /** Relative paths in this layer resolve against this directory. */
  baseDir: string;
  values: RawObject;
}

export interface MergedLayers {
  values: RawObject;
  /** The source that last set the value at `path` (or its nearest ancestor); `fallback` if none did. */
  sourceAt(path: readonly PropertyKey[], fallback: string): string;
}

export function isPlainObject(value: unknown): value is RawObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** Sets an own property even for names like `__proto__`, so a hostile key is reported, not obeyed. */
export function setOwn(target: RawObject, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
}

function provenanceKey(path: readonly PropertyKey[]): string {
  return JSON.stringify(path.map(String));
}

export function mergeLayers(layers: readonly ConfigLayer[]): MergedLayers {
  const values: RawObject = {};
  const provenance = new Map<string, string>();

  const record = (path: readonly string[], source: string) => {
    const prefix = provenanceKey(path).slice(0, -1);
    for (const key of [...provenance.keys()]) {
      if (key.startsWith(`${prefix},`)) provenance.delete(key);
    }
    provenance.set(provenanceKey(path), source);
  };

  const mergeInto = (target: RawObject, layerValues: RawObject, path: readonly string[], source: string) => {
    for (const [key, value] of Object.entries(layerValues)) {
      const childPath = [...path, key];
      if (value === null || value === undefined) {
        delete target[key];
        record(childPath, source);
      } else if (isPlainObject(value)) {
        const existing = Object.hasOwn(target, key) ? target[key] : undefined;
        if (isPlainObject(existing)) {
          provenance.set(provenanceKey(childPath), source);
          mergeInto(existing, value, childPath, source);
        } else {
          const fresh: RawObject = {};
          setOwn(target, key, fresh);
          record(childPath, source);
          mergeInto(fresh, value, childPath, source);
        }
      } else {
        setOwn(target, key, structuredClone(value));
        record(childPath, source);
      }
    }
  };

  for (const layer of layers) mergeInto(values, layer.values, [], layer.source);

  return {
    values,
    sourceAt(path, fallback) {
      for (let length = path.length; length > 0; length--) {
        const source = provenance.get(provenanceKey(path.slice(0, length)));
        if (source !== undefined) return source;
      }
      return fallback;
    },
  };
}
