/**
 * The folders of src/ import downwards only. Each folder has a layer; a file may import from its own folder
 * and from folders of lower layers, never from its own layer's other folders or from above. The files at the
 * top of src/ (clock, dates, DNs, errors, LDIF, suggestions) are the base every folder may use; `index.ts`,
 * the package's API, is an entry point. No two files import each other either, however indirectly: type-only
 * imports count, since they tie modules together just the same.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '../../src');

/** The files directly in src/ other than the API. */
const BASE = 'src/*.ts';

/** Top first. A new folder goes into the layer of what it is, below everything that uses it. */
const LAYERS: readonly (readonly string[])[] = [
  ['cli', 'index.ts'], // entry points: the command line, the package's API
  ['daemon', 'console'], // `rostersync daemon` and `rostersync serve` run them
  ['app'], // what the entry points share: the runtime, the process streams
  ['jobs'], // lock and run records around every job
  ['import', 'purge', 'lifecycle', 'retirement', 'restore', 'held'], // the jobs
  ['run'], // the path every planned job takes: plan, show, check, dry run or apply, summary
  ['hooks'],
  ['apply'],
  ['plan'],
  ['snapshot'],
  ['lease'], // the run lock: a lease in the directory, or the lock file of state
  ['directory', 'roster', 'state', 'passwords', 'mail', 'archive'],
  ['config'],
  ['logging', 'naming', 'schema'],
  ['output'],
  [BASE],
];

const LAYER_OF = new Map(LAYERS.flatMap((modules, index) => modules.map((name) => [name, index] as const)));

/** src/a/b.ts → `a`; src/index.ts → `index.ts`; another file at the top of src/ → the base. */
function moduleOf(file: string): string {
  const [first = '', ...rest] = file.split('/');
  if (rest.length > 0) return first;
  return first === 'index.ts' ? first : BASE;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Every file of src/ (relative to it) and the files of src/ it imports, as TypeScript reads them. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const path of sourceFiles(SRC)) {
    const { importedFiles } = ts.preProcessFile(readFileSync(path, 'utf8'), true, true);
    const targets = importedFiles
      .map(({ fileName }) => fileName)
      .filter((specifier) => specifier.startsWith('.'))
      .map((specifier) => resolve(dirname(path), specifier.replace(/\.js$/, '.ts')));
    for (const target of targets) {
      if (!existsSync(target))
        throw new Error(`${relative(SRC, path)} imports ${target}, which is not there`);
    }
    graph.set(
      relative(SRC, path),
      targets.map((target) => relative(SRC, target)),
    );
  }
  return graph;
}

/** One cycle of `graph` as a path that ends where it starts, or undefined when there is none. */
function findCycle(graph: ReadonlyMap<string, readonly string[]>): string[] | undefined {
  const done = new Set<string>();
  const onPath: string[] = [];
  const visit = (node: string): string[] | undefined => {
    const start = onPath.indexOf(node);
    if (start >= 0) return [...onPath.slice(start), node];
    if (done.has(node)) return undefined;
    onPath.push(node);
    for (const next of graph.get(node) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    onPath.pop();
    done.add(node);
    return undefined;
  };
  for (const node of graph.keys()) {
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return undefined;
}

const graph = importGraph();

/** Imports between modules, as `from → to` with the files that make each one. */
function moduleImports(): Map<string, string[]> {
  const imports = new Map<string, string[]>();
  for (const [file, targets] of graph) {
    for (const target of targets) {
      const from = moduleOf(file);
      const to = moduleOf(target);
      if (from === to) continue;
      const key = `${from} → ${to}`;
      imports.set(key, [...(imports.get(key) ?? []), `${file} → ${target}`]);
    }
  }
  return imports;
}

describe('the import graph of src/', () => {
  it('is read from the sources', () => {
    expect(graph.get('cli/main.ts')?.length).toBeGreaterThan(3);
    expect(graph.get('state/status.ts')).toContain('state/records.ts');
    expect(moduleImports().has('daemon → app')).toBe(true);
  });

  it('gives every folder a layer', () => {
    const unplaced = [...new Set([...graph.keys()].map(moduleOf))].filter((name) => !LAYER_OF.has(name));
    expect(unplaced, 'put each into LAYERS').toEqual([]);
  });

  it('points down: no folder imports its own layer or one above it', () => {
    const upwards = [...moduleImports()]
      .filter(([key]) => {
        const [from = '', to = ''] = key.split(' → ');
        return (LAYER_OF.get(to) ?? -1) <= (LAYER_OF.get(from) ?? -1);
      })
      .flatMap(([, files]) => files);
    expect(upwards).toEqual([]);
  });

  it('has no cycle between folders', () => {
    const folders = new Map<string, string[]>();
    for (const key of moduleImports().keys()) {
      const [from = '', to = ''] = key.split(' → ');
      folders.set(from, [...(folders.get(from) ?? []), to]);
    }
    expect(findCycle(folders)).toBeUndefined();
  });

  it('has no cycle between files', () => {
    expect(findCycle(graph)).toBeUndefined();
  });
});

describe('findCycle', () => {
  it('finds a cycle through several nodes and none in a tree', () => {
    const cyclic = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a']],
    ]);
    expect(findCycle(cyclic)).toEqual(['a', 'b', 'c', 'a']);
    expect(
      findCycle(
        new Map([
          ['a', ['b', 'c']],
          ['b', ['c']],
        ]),
      ),
    ).toBeUndefined();
  });
});
