import { z } from 'zod';
import { configSchema } from './schema.js';

/** Looks into the config schema by key path: used to map env names to keys and to suggest keys. */

type AnySchema = z.core.$ZodType;

/** Strips optional/default/nullable wrappers and pipes down to the schema that holds the shape. */
function unwrap(schema: AnySchema): AnySchema {
  let current = schema;
  for (;;) {
    if (
      current instanceof z.ZodOptional ||
      current instanceof z.ZodDefault ||
      current instanceof z.ZodPrefault ||
      current instanceof z.ZodNullable
    ) {
      current = current.unwrap();
    } else if (current instanceof z.ZodPipe) {
      // A preprocess (a transform, then the schema) is known by its schema; other pipes by their input.
      current = current.in instanceof z.ZodTransform ? current.out : current.in;
    } else {
      return current;
    }
  }
}

/** The schema for one child of `schema`, or undefined when `key` is not a known key there. */
function child(schema: AnySchema, key: string): AnySchema | undefined {
  const inner = unwrap(schema);
  if (inner instanceof z.ZodObject) {
    const shape: Record<string, AnySchema> = inner.shape;
    return Object.hasOwn(shape, key) ? shape[key] : undefined;
  }
  if (inner instanceof z.ZodRecord) return inner.valueType;
  if (inner instanceof z.ZodArray && /^\d+$/.test(key)) return inner.element;
  return undefined;
}

/** The (unwrapped) schema at a key path, or undefined when the path names no known key. */
export function schemaAt(path: readonly string[]): AnySchema | undefined {
  let current: AnySchema | undefined = configSchema;
  for (const key of path) {
    if (current === undefined) return undefined;
    current = child(current, key);
  }
  return current === undefined ? undefined : unwrap(current);
}

/** The keys a strict object at `path` accepts; undefined when it is not a fixed-shape object. */
export function knownKeysAt(path: readonly string[]): string[] | undefined {
  const schema = schemaAt(path);
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : undefined;
}

/** True when the value at `path` is plain text (so an env value must not be read as YAML). */
export function expectsText(path: readonly string[]): boolean {
  const schema = schemaAt(path);
  if (schema instanceof z.ZodString || schema instanceof z.ZodEnum) return true;
  if (schema instanceof z.ZodUnion) {
    const options: readonly AnySchema[] = schema.options;
    return options.every((option) => {
      const inner = unwrap(option);
      return inner instanceof z.ZodString || inner instanceof z.ZodEnum;
    });
  }
  return false;
}
